import { startAnvil } from '../dist/src/chain/anvil.js'
import * as P from '@dcn/protocol'
import { walletFromKey } from '@dcn/protocol'
const a = await startAnvil({ accounts: 8 })
try {
  const f = P.settlementClients(a.rpcUrl, a.chainId, walletFromKey(a.keys[0]))
  let t0 = Date.now()
  const d = await P.deployContracts(f, { extraTokens: ['USDX'] })
  console.log('deploy ms', Date.now() - t0, d)
  t0 = Date.now()
  for (let i = 0; i < 20; i++) await P.faucet(f, d.spon, 10n)
  console.log('faucet ms/tx', (Date.now() - t0) / 20)
  const blk = await f.public.getBlock()
  console.log('latest ts', blk.timestamp)
  await f.public.request({ method: 'evm_setNextBlockTimestamp', params: [Number(blk.timestamp) + 100] })
  await f.public.request({ method: 'evm_mine', params: [] })
  const b2 = await f.public.getBlock(); console.log('after mine', b2.timestamp)
  try { await f.public.request({ method: 'evm_setNextBlockTimestamp', params: [Number(b2.timestamp)] }); await P.faucet(f, d.spon, 1n); console.log('same ts allowed; block', (await f.public.getBlock()).timestamp) } catch (e) { console.log('same ts err', e.shortMessage ?? e.message) }
  // pending tag timestamp
  await f.public.request({ method: 'evm_setNextBlockTimestamp', params: [Number(b2.timestamp) + 500] })
  const pend = await f.public.request({ method: 'eth_getBlockByNumber', params: ['pending', false] })
  console.log('pending ts', Number(pend.timestamp), 'want', Number(b2.timestamp) + 500)
  await P.faucet(f, d.spon, 1n); console.log('next tx block ts', (await f.public.getBlock()).timestamp)
} finally { await a.stop() }
