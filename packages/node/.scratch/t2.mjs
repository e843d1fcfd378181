import { startAnvil } from '../dist/src/chain/anvil.js'
import * as P from '@dcn/protocol'
import { walletFromKey } from '@dcn/protocol'
import { parseAbi } from 'viem'
const a = await startAnvil({ accounts: 8 })
try {
  const f = P.settlementClients(a.rpcUrl, a.chainId, walletFromKey(a.keys[0]))
  const d = await P.deployContracts(f, { extraTokens: ['USDX'] })
  const blk = await f.public.getBlock()
  const T = Number(blk.timestamp) + 1000
  await f.public.request({ method: 'evm_setNextBlockTimestamp', params: [T] })
  // deploy a tiny contract returning block.timestamp? use eth_call with data for TIMESTAMP opcode: code 0x42 ... use create-call
  // initcode that returns timestamp: TIMESTAMP PUSH1 0 MSTORE PUSH1 32 PUSH1 0 RETURN = 42 60 00 52 60 20 60 00 f3
  const r = await f.public.request({ method: 'eth_call', params: [{ data: '0x4260005260206000f3' }, 'latest'] })
  console.log('eth_call latest ts', BigInt(r), 'latest block', blk.timestamp, 'pinned', T)
  const r2 = await f.public.request({ method: 'eth_call', params: [{ data: '0x4260005260206000f3' }, 'pending'] })
  console.log('eth_call pending ts', BigInt(r2))
  await f.public.request({ method: 'evm_mine', params: [] })
  const b3 = await f.public.getBlock(); console.log('mined', b3.timestamp)
  await f.public.request({ method: 'evm_increaseTime', params: [100] })
  await f.public.request({ method: 'evm_mine', params: [] })
  console.log('after increase', (await f.public.getBlock()).timestamp)
} finally { await a.stop() }
