import { startAnvil } from '../dist/src/chain/anvil.js'
import * as P from '@dcn/protocol'
import { createPublicClient, http } from 'viem'
const a = await startAnvil({ accounts: 8 })
try {
  const f = P.settlementClients(a.rpcUrl, a.chainId, P.walletFromKey(a.keys[0]))
  const d = await P.deployContracts(f, { extraTokens: ['USDX'] })
  const bn = await f.public.getBlockNumber()
  const ev = await f.public.getContractEvents({ address: d.escrow, abi: P.EscrowAbi, eventName: 'TokenEnabled', fromBlock: 1n })
  console.log(bn, ev.length)
  const ev2 = await f.public.getContractEvents({ address: d.escrow, abi: P.EscrowAbi, eventName: 'TokenEnabled', fromBlock: bn })
  console.log('from latest', ev2.length)
  const ev3 = await f.public.getContractEvents({ address: d.escrow, abi: P.EscrowAbi, eventName: 'TokenEnabled', fromBlock: bn + 1n })
  console.log('from latest+1', ev3.length)
  const ev4 = await f.public.request({ method: 'eth_getLogs', params: [{ address: d.escrow, fromBlock: '0x' + (bn + 1n).toString(16) }] })
  console.log('raw from latest+1', ev4.length)
  const ev5 = await f.public.request({ method: 'eth_getLogs', params: [{ address: d.escrow, fromBlock: '0x' + (bn + 1n).toString(16), toBlock: 'latest' }] })
  console.log('raw from latest+1 to latest', ev5.length)
} finally { await a.stop() }
