/**
 * The settlement contracts on a real anvil: per-second streaming, running out of funds, fees
 * in SPON and in another token, pausing and resuming by the provider, every refusal of
 * createLease (with nothing changed on chain), rating and update. Amounts are checked to the base unit.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { keccak256, parseEventLogs, toHex, type Address } from 'viem'
import {
  EscrowAbi, GAS_HEADROOM, LeasesAbi, accrued, closeLease, createLease, deposit, escrowBalance, getLease, pauseLease, rateLease,
  resumeLease, setTier, solBid, solMatch, solOrder, waitForReceipt, withdrawEscrow, withdrawLease, write,
  type LeaseSigned, type SettlementClients
} from '@dcn/protocol'
import { FOUNDATION_FEE_BPS, TOKEN_FEE_BPS, TestChain, bps, rejects, type Actor } from './helpers/chain.js'

let chain: TestChain
const CLOSE = { Owner: 0, Provider: 1, Expired: 2, Updated: 3 } as const

test.before(async () => {
  chain = await TestChain.start()
})

test.after(async () => {
  await chain?.stop()
})

// ------------------------------------------------------------------ helpers

async function fees (token: Address): Promise<bigint> {
  return await chain.reader.readContract({ address: chain.d.escrow, abi: EscrowAbi, functionName: 'fees', args: [token] })
}

async function balances (who: Actor, token: Address): Promise<{ unlocked: bigint, locked: bigint }> {
  const { unlocked, locked } = await escrowBalance(who.c, chain.d, token, who.address)
  return { unlocked, locked }
}

async function closedEvents (leaseId: bigint, fromBlock = BigInt(chain.d.startBlock)) {
  return await chain.reader.getContractEvents({ address: chain.d.leases, abi: LeasesAbi, eventName: 'LeaseClosed', args: { leaseId }, fromBlock })
}

const leaseArgs = (s: LeaseSigned) => [solOrder(s.order), s.orderSig, solBid(s.bid), s.bidSig, solMatch(s.match), s.matchSig] as const

/** Sends without simulating, so the contract itself must refuse in a mined transaction. */
async function sendUnsimulated (c: SettlementClients, functionName: 'createLease' | 'updateLease' | 'pauseLease' | 'resumeLease', args: readonly unknown[]): Promise<'success' | 'reverted'> {
  const hash = await c.wallet.writeContract({ address: chain.d.leases, abi: LeasesAbi, functionName, args, gas: 3_000_000n } as Parameters<SettlementClients['wallet']['writeContract']>[0])
  return (await waitForReceipt(c, hash)).status
}

/**
 * createLease must be refused with `reason` — in the simulation (the SettlementError) and in a
 * mined transaction — and leave every balance, lock, fee and the lease count as they were.
 */
async function refused (s: LeaseSigned, reason: string, by: Actor = chain.users[0]): Promise<void> {
  const before = await chain.snapshot()
  const fromBlock = (await chain.reader.getBlockNumber()) + 1n
  await rejects(async () => await createLease(by.c, chain.d, s), reason)
  assert.is(await sendUnsimulated(by.c, 'createLease', leaseArgs(s)), 'reverted')
  assert.equal(await chain.snapshot(), before, 'nothing changed on chain')
  const created = await chain.reader.getContractEvents({ address: chain.d.leases, abi: LeasesAbi, eventName: 'LeaseCreated', fromBlock })
  assert.is(created.length, 0, 'no LeaseCreated')
}

// ---------------------------------------------------------------- streaming

test('streams to the second: withdraw pays p·t less 20%, the owner\'s close refunds locked − p·t2', async () => {
  const { d, provider } = chain
  const user = chain.users[0]
  const p = 1_234_567_891n
  const D = 3600n
  const user0 = await balances(user, d.spon)
  const fees0 = await fees(d.spon)
  const prov0 = await balances(provider, d.spon)

  const lease = await createLease(user.c, d, await chain.signedLease({ user, price: p, duration: Number(D) }))
  assert.is(lease.locked, p * D, 'SPON locks price × duration, no token fee')
  assert.is(lease.end - lease.start, D)
  const user1 = await balances(user, d.spon)
  assert.is(user1.unlocked, user0.unlocked - p * D)
  assert.is(user1.locked, user0.locked + p * D)

  // accrued() at exactly t seconds predicts the withdrawal made in that same second.
  const t = 1_013n
  await chain.mineAt(lease.start + t)
  const predicted = await accrued(provider.c, d, lease.leaseId)
  const fee1 = bps(p * t, FOUNDATION_FEE_BPS)
  assert.is(predicted.gross, p * t)
  assert.is(predicted.toProvider, p * t - fee1)
  await chain.setNextTimestamp(lease.start + t)
  await withdrawLease(provider.c, d, lease.leaseId)
  const prov1 = await balances(provider, d.spon)
  assert.is(prov1.unlocked - prov0.unlocked, predicted.toProvider, 'provider paid exactly what accrued() said')
  assert.is(prov1.unlocked - prov0.unlocked, p * t - p * t * 2000n / 10000n)
  assert.is(await fees(d.spon) - fees0, fee1)
  assert.is((await balances(user, d.spon)).locked, user1.locked - p * t)
  const mid = await getLease(user.c, d, lease.leaseId)
  assert.is(mid.paidUntil, lease.start + t)
  assert.is(mid.locked, p * D - p * t)
  assert.is(mid.closedAt, 0n)

  // The owner closes at t2: the provider is paid up to t2, the rest comes back unlocked.
  const t2 = 2_500n
  await chain.setNextTimestamp(lease.start + t2)
  const { refund } = await closeLease(user.c, d, lease.leaseId)
  assert.is(refund, p * D - p * t2)
  const user2 = await balances(user, d.spon)
  assert.is(user2.unlocked, user0.unlocked - p * t2, 'unlocked refund is exactly locked − p·t2')
  assert.is(user2.locked, user0.locked)
  const fee2 = bps(p * (t2 - t), FOUNDATION_FEE_BPS)
  assert.is(await fees(d.spon) - fees0, fee1 + fee2, 'fees grew by the foundation fee of each payment')
  assert.is((await balances(provider, d.spon)).unlocked - prov0.unlocked, p * t2 - fee1 - fee2)
  const closed = await getLease(user.c, d, lease.leaseId)
  assert.is(closed.closedAt, lease.start + t2)
  assert.is(closed.paidUntil, lease.start + t2)
  assert.is(closed.locked, 0n)
  const events = await closedEvents(lease.leaseId)
  assert.is(events.length, 1)
  assert.is(events[0].args.reason, CLOSE.Owner)
  assert.is(events[0].args.refund, refund)

  await rejects(async () => await closeLease(user.c, d, lease.leaseId), 'lease already closed')
  await rejects(async () => await closeLease(provider.c, d, lease.leaseId), 'lease already closed')
  await rejects(async () => await withdrawLease(provider.c, d, lease.leaseId), 'lease already closed')
  await chain.increaseTime(100)
  assert.equal(await accrued(provider.c, d, lease.leaseId), { gross: 0n, toProvider: 0n }, 'nothing accrues after close')
})

test('funds run out: a withdraw after the end closes the lease; the provider got locked − fees, the owner nothing back', async () => {
  const { d, provider, outsider } = chain
  const user = chain.users[1]
  const p = 777_777n
  const D = 600n
  const user0 = await balances(user, d.spon)
  const prov0 = await balances(provider, d.spon)
  const fees0 = await fees(d.spon)

  const lease = await createLease(user.c, d, await chain.signedLease({ user, price: p, duration: Number(D) }))
  const t1 = 211n
  await chain.setNextTimestamp(lease.start + t1)
  await withdrawLease(provider.c, d, lease.leaseId)
  await chain.increaseTime(Number(D) + 50)
  assert.ok(await chain.now() > lease.end)
  assert.is(await chain.reader.readContract({ address: d.leases, abi: LeasesAbi, functionName: 'isActive', args: [lease.leaseId] }), false)
  // accrued stops at the end, however late it is asked.
  assert.is((await accrued(provider.c, d, lease.leaseId)).gross, p * (D - t1))

  const fromBlock = (await chain.reader.getBlockNumber()) + 1n
  await withdrawLease(provider.c, d, lease.leaseId)
  const l = await getLease(user.c, d, lease.leaseId)
  assert.ok(l.closedAt !== 0n, 'closed by the withdrawal')
  assert.is(l.paidUntil, lease.end)
  assert.is(l.locked, 0n)
  const events = await closedEvents(lease.leaseId, fromBlock)
  assert.is(events.length, 1, 'LeaseClosed emitted')
  assert.is(events[0].args.reason, CLOSE.Expired)
  assert.is(events[0].args.refund, 0n)

  const feeTotal = await fees(d.spon) - fees0
  const paid = (await balances(provider, d.spon)).unlocked - prov0.unlocked
  assert.is(paid, lease.locked - feeTotal, 'provider got exactly locked − fees')
  const g1 = p * t1
  const g2 = p * (D - t1)
  assert.is(feeTotal, bps(g1, FOUNDATION_FEE_BPS) + bps(g2, FOUNDATION_FEE_BPS))
  const user1 = await balances(user, d.spon)
  assert.is(user1.unlocked, user0.unlocked - lease.locked, 'no refund')
  assert.is(user1.locked, user0.locked, 'lockedOf back where it was')
  await rejects(async () => await withdrawLease(provider.c, d, lease.leaseId), 'lease already closed')

  // Once a lease has run out anyone may close it (reason Expired); before that only its parties.
  const other = await createLease(user.c, d, await chain.signedLease({ user, price: p, duration: 60 }))
  await rejects(async () => await closeLease(outsider.c, d, other.leaseId), 'only the owner or the provider can close an active lease')
  await chain.mineAt(other.end)
  const { refund } = await closeLease(outsider.c, d, other.leaseId)
  assert.is(refund, 0n)
  const ev = await closedEvents(other.leaseId)
  assert.is(ev[0].args.reason, CLOSE.Expired)
  assert.is((await balances(user, d.spon)).locked, user0.locked)
})

// ---------------------------------------------------------- pause, resume

async function isActive (leaseId: bigint): Promise<boolean> {
  return await chain.reader.readContract({ address: chain.d.leases, abi: LeasesAbi, functionName: 'isActive', args: [leaseId] })
}

async function paidEvents (leaseId: bigint, fromBlock: bigint) {
  return await chain.reader.getContractEvents({ address: chain.d.leases, abi: LeasesAbi, eventName: 'LeasePaid', args: { leaseId }, fromBlock })
}

test('pause stops accrual; resume moves paidUntil and end on by the paused time and accrual restarts', async () => {
  const { d, provider } = chain
  const user = chain.users[0]
  const p = 1_000_003n
  const D = 1_000n
  const prov0 = await balances(provider, d.spon)
  const lease = await createLease(user.c, d, await chain.signedLease({ user, price: p, duration: Number(D) }))

  // Pausing at 100 s pays the 100 s accrued so far.
  const t1 = 100n
  await chain.setNextTimestamp(lease.start + t1)
  const fromBlock = (await chain.reader.getBlockNumber()) + 1n
  const { at } = await pauseLease(provider.c, d, lease.leaseId)
  assert.is(at, lease.start + t1, 'LeasePaused at the block time')
  const [paid1] = await paidEvents(lease.leaseId, fromBlock)
  assert.is(paid1.args.gross, p * t1, 'the pause settles what accrued')
  const fee1 = bps(p * t1, FOUNDATION_FEE_BPS)
  assert.is((await balances(provider, d.spon)).unlocked - prov0.unlocked, p * t1 - fee1)
  const paused = await getLease(user.c, d, lease.leaseId)
  assert.equal([paused.pausedAt, paused.paidUntil, paused.end, paused.closedAt], [lease.start + t1, lease.start + t1, lease.end, 0n])
  assert.is(paused.locked, p * D - p * t1)

  // While paused nothing accrues, second after second, however long; the lease stays active.
  for (const dt of [0n, 1n, 2n, 7n, 250n]) {
    await chain.mineAt(lease.start + t1 + dt)
    assert.equal(await accrued(provider.c, d, lease.leaseId), { gross: 0n, toProvider: 0n }, `accrued ${dt} s into the pause`)
    assert.is(await isActive(lease.leaseId), true)
  }

  // Resumed at 400 s: 300 s paused, end and paidUntil move on by them, nothing is paid for them.
  const t2 = 400n
  await chain.setNextTimestamp(lease.start + t2)
  const from2 = (await chain.reader.getBlockNumber()) + 1n
  const { pausedFor } = await resumeLease(provider.c, d, lease.leaseId)
  assert.is(pausedFor, t2 - t1)
  assert.is((await paidEvents(lease.leaseId, from2)).length, 0, 'resume pays nothing')
  const resumed = await getLease(user.c, d, lease.leaseId)
  assert.equal([resumed.pausedAt, resumed.paidUntil, resumed.end, resumed.closedAt], [0n, lease.start + t2, lease.end + (t2 - t1), 0n])
  assert.is(resumed.locked, paused.locked, 'locked untouched by the pause')
  assert.is((await balances(provider, d.spon)).unlocked - prov0.unlocked, p * t1 - fee1)

  // Accrual restarts from the resume.
  await chain.mineAt(lease.start + t2 + 1n)
  assert.is((await accrued(provider.c, d, lease.leaseId)).gross, p)
  await chain.mineAt(lease.start + t2 + 50n)
  const a = await accrued(provider.c, d, lease.leaseId)
  assert.equal(a, { gross: p * 50n, toProvider: p * 50n - bps(p * 50n, FOUNDATION_FEE_BPS) })
  await chain.setNextTimestamp(lease.start + t2 + 50n)
  await withdrawLease(provider.c, d, lease.leaseId)
  assert.is((await balances(provider, d.spon)).unlocked - prov0.unlocked, p * t1 - fee1 + a.toProvider)
  await closeLease(user.c, d, lease.leaseId)
})

test('a lease paused twice runs to its end: paid exactly price × duration (less fees), ends at start + duration + the paused time', async () => {
  const { d, provider, outsider } = chain
  const user = chain.users[1]
  const usdx = chain.usdx
  const p = 12_345n
  const D = 1_000n
  const user0 = await balances(user, usdx)
  const prov0 = await balances(provider, usdx)
  const fees0 = await fees(usdx)
  const lease = await createLease(user.c, d, await chain.signedLease({ user, token: usdx, price: p, duration: Number(D) }))
  const fromBlock = lease.block

  // Paused from 200 s to 500 s (the end moves to 1,300 s), then from 900 s to 1,700 s: 1,100 s in all.
  await chain.setNextTimestamp(lease.start + 200n)
  await pauseLease(provider.c, d, lease.leaseId)
  await chain.setNextTimestamp(lease.start + 500n)
  await resumeLease(provider.c, d, lease.leaseId)
  const end1 = (await getLease(user.c, d, lease.leaseId)).end
  assert.is(end1, lease.end + 300n)
  await chain.setNextTimestamp(lease.start + 900n)
  await pauseLease(provider.c, d, lease.leaseId)
  const P = 300n + 800n
  // Past its recorded end the paused lease has not run out: still active, a stranger may not close it, withdraw does not close it.
  await chain.mineAt(end1 + 50n)
  assert.is(await isActive(lease.leaseId), true, 'paused past its recorded end, still active')
  await rejects(async () => await closeLease(outsider.c, d, lease.leaseId), 'Leases: only the owner or the provider can close an active lease')
  await chain.setNextTimestamp(end1 + 60n)
  await withdrawLease(outsider.c, d, lease.leaseId)
  assert.is((await getLease(user.c, d, lease.leaseId)).closedAt, 0n, 'withdraw while paused does not close')
  await chain.setNextTimestamp(lease.start + 1_700n)
  await resumeLease(provider.c, d, lease.leaseId)
  const mid = await getLease(user.c, d, lease.leaseId)
  assert.is(mid.end, lease.start + D + P, 'end = start + duration + paused time')
  assert.is(mid.paidUntil, lease.start + 1_700n)
  assert.is(mid.end - mid.paidUntil, D - 200n - 400n, 'the unpaid seconds are all still there')

  // One second before the new end it is active; at the end it has run out and anyone may close it.
  await chain.mineAt(mid.end - 1n)
  assert.is(await isActive(lease.leaseId), true)
  assert.is((await accrued(provider.c, d, lease.leaseId)).gross, p * (D - 600n - 1n))
  await chain.mineAt(mid.end + 30n)
  assert.is(await isActive(lease.leaseId), false)
  assert.is((await accrued(provider.c, d, lease.leaseId)).gross, p * (D - 600n), 'accrual stops at the moved end')
  await chain.setNextTimestamp(mid.end + 40n)
  const { refund } = await closeLease(outsider.c, d, lease.leaseId)
  assert.is(refund, 0n)
  const [closed] = await closedEvents(lease.leaseId)
  assert.is(closed.args.reason, CLOSE.Expired)
  const l = await getLease(user.c, d, lease.leaseId)
  assert.equal([l.paidUntil, l.closedAt, l.locked, l.pausedAt], [lease.start + D + P, mid.end + 40n, 0n, 0n])

  // Three payments (at the two pauses and at the close) make exactly price × duration gross.
  const paid = await paidEvents(lease.leaseId, fromBlock)
  assert.equal(paid.map(e => e.args.gross), [p * 200n, p * 400n, p * (D - 600n)])
  assert.is(paid.reduce((sum, e) => sum + (e.args.gross ?? 0n), 0n), p * D)
  const provTotal = (await balances(provider, usdx)).unlocked - prov0.unlocked
  const to = (g: bigint): bigint => g - bps(g, FOUNDATION_FEE_BPS) - bps(g, TOKEN_FEE_BPS)
  assert.is(provTotal, to(p * 200n) + to(p * 400n) + to(p * (D - 600n)), 'provider: each payment less 20% and 2%')
  assert.is(provTotal + (await fees(usdx) - fees0), lease.locked, 'provider + fees == locked')
  const user1 = await balances(user, usdx)
  assert.is(user1.unlocked, user0.unlocked - lease.locked, 'the owner paid price × duration · 1.02, no more')
  assert.is(user1.locked, user0.locked)
})

test('close while paused refunds everything after pausedAt: by the owner, by the provider, past the original end, by update', async () => {
  const { d, provider } = chain
  const user = chain.users[2]
  const p = 9_876_543n
  const D = 600n
  const user0 = await balances(user, d.spon)
  const prov0 = await balances(provider, d.spon)

  // The owner closes 500 s into a pause that began at 120 s, past the original end.
  const a = await createLease(user.c, d, await chain.signedLease({ user, price: p, duration: Number(D) }))
  await chain.setNextTimestamp(a.start + 120n)
  await pauseLease(provider.c, d, a.leaseId)
  await chain.setNextTimestamp(a.start + 620n)
  const ra = await closeLease(user.c, d, a.leaseId)
  assert.is(ra.refund, p * D - p * 120n, 'refund = locked − p · (pausedAt − start)')
  assert.is((await closedEvents(a.leaseId))[0].args.reason, CLOSE.Owner, 'not Expired: a paused lease has not run out')
  const la = await getLease(user.c, d, a.leaseId)
  assert.equal([la.paidUntil, la.closedAt, la.locked, la.pausedAt], [a.start + 120n, a.start + 620n, 0n, a.start + 120n])
  await chain.increaseTime(100)
  assert.equal(await accrued(provider.c, d, a.leaseId), { gross: 0n, toProvider: 0n })
  assert.is(await isActive(a.leaseId), false)
  await rejects(async () => await resumeLease(provider.c, d, a.leaseId), 'Leases: lease already closed')

  // The provider closes a lease it paused at its start second: nothing paid, all refunded.
  const b = await createLease(user.c, d, await chain.signedLease({ user, price: p, duration: Number(D) }))
  await chain.setNextTimestamp(b.start)
  await pauseLease(provider.c, d, b.leaseId)
  await chain.setNextTimestamp(b.start + 30n)
  const rb = await closeLease(provider.c, d, b.leaseId)
  assert.is(rb.refund, b.locked)
  assert.is((await closedEvents(b.leaseId))[0].args.reason, CLOSE.Provider)

  // update of a paused lease closes it the same way (reason Updated).
  const c = await createLease(user.c, d, await chain.signedLease({ user, price: p, duration: Number(D) }))
  await chain.setNextTimestamp(c.start + 45n)
  await pauseLease(provider.c, d, c.leaseId)
  const next = await chain.signedLease({ user, price: p, duration: 10 })
  await chain.setNextTimestamp(c.start + 300n)
  const created = await createLease(user.c, d, next, c.leaseId)
  const [closedC] = await closedEvents(c.leaseId)
  assert.is(closedC.args.reason, CLOSE.Updated)
  assert.is(closedC.args.refund, c.locked - p * 45n)
  await chain.setNextTimestamp(c.start + 300n)
  assert.is((await closeLease(user.c, d, created.leaseId)).refund, created.locked, 'the new lease closed in its first second')

  // In all: the owner paid for 120 + 0 + 45 seconds, the provider got them less 20%.
  const g = p * 165n
  const user1 = await balances(user, d.spon)
  assert.is(user1.unlocked, user0.unlocked - g)
  assert.is(user1.locked, user0.locked)
  assert.is((await balances(provider, d.spon)).unlocked - prov0.unlocked, p * 120n - bps(p * 120n, FOUNDATION_FEE_BPS) + p * 45n - bps(p * 45n, FOUNDATION_FEE_BPS))
})

test('withdraw while paused pays only up to pausedAt', async () => {
  const { d, provider } = chain
  const user = chain.users[0]
  const p = 5_555_555n
  const lease = await createLease(user.c, d, await chain.signedLease({ user, price: p, duration: 300 }))
  await chain.setNextTimestamp(lease.start + 40n)
  await withdrawLease(provider.c, d, lease.leaseId)
  const prov0 = await balances(provider, d.spon)
  const fees0 = await fees(d.spon)
  await chain.setNextTimestamp(lease.start + 70n)
  await pauseLease(provider.c, d, lease.leaseId)
  const prov1 = await balances(provider, d.spon)
  assert.is(prov1.unlocked - prov0.unlocked, p * 30n - bps(p * 30n, FOUNDATION_FEE_BPS), 'the pause pays 40 s → 70 s')
  const fromBlock = (await chain.reader.getBlockNumber()) + 1n
  for (const t of [71n, 150n, 299n, 300n, 1_000n]) {
    await chain.setNextTimestamp(lease.start + t)
    await withdrawLease(provider.c, d, lease.leaseId)
  }
  assert.is((await paidEvents(lease.leaseId, fromBlock)).length, 0, 'no payment while paused')
  assert.is((await closedEvents(lease.leaseId, fromBlock)).length, 0, 'not closed either')
  assert.is((await balances(provider, d.spon)).unlocked, prov1.unlocked)
  assert.is(await fees(d.spon) - fees0, bps(p * 30n, FOUNDATION_FEE_BPS))
  const l = await getLease(user.c, d, lease.leaseId)
  assert.equal([l.paidUntil, l.pausedAt, l.locked, l.closedAt], [lease.start + 70n, lease.start + 70n, p * 300n - p * 70n, 0n])
  const { refund } = await closeLease(user.c, d, lease.leaseId)
  assert.is(refund, p * 230n)
})

test('only the provider pauses and resumes; pausing twice, resuming a running lease, pausing a closed or ended lease are refused and change nothing', async () => {
  const { d, provider, outsider } = chain
  const user = chain.users[1]
  const lease = await createLease(user.c, d, await chain.signedLease({ user, price: 1_000n, duration: 1000 }))
  /** Refused in the simulation and in a mined transaction; every balance and the lease as they were. */
  const refusedCall = async (by: Actor, fn: 'pauseLease' | 'resumeLease', leaseId: bigint, reason: string): Promise<void> => {
    const before = await chain.snapshot()
    const lease0 = leaseId <= before.leaseCount ? await getLease(user.c, d, leaseId) : undefined
    await rejects(async () => await (fn === 'pauseLease' ? pauseLease : resumeLease)(by.c, d, leaseId), reason)
    assert.is(await sendUnsimulated(by.c, fn, [leaseId]), 'reverted')
    assert.equal(await chain.snapshot(), before, 'nothing changed on chain')
    if (lease0 !== undefined) assert.equal(await getLease(user.c, d, leaseId), lease0, 'the lease as it was')
  }

  await refusedCall(user, 'pauseLease', lease.leaseId, 'Leases: only the provider can pause a lease')
  await refusedCall(outsider, 'pauseLease', lease.leaseId, 'Leases: only the provider can pause a lease')
  await refusedCall(chain.users[0], 'pauseLease', lease.leaseId, 'Leases: only the provider can pause a lease')
  await refusedCall(provider, 'resumeLease', lease.leaseId, 'Leases: lease is not paused')
  await refusedCall(provider, 'pauseLease', 10_000n, 'Leases: no such lease')
  await refusedCall(provider, 'resumeLease', 10_000n, 'Leases: no such lease')

  await chain.setNextTimestamp(lease.start + 100n)
  await pauseLease(provider.c, d, lease.leaseId)
  await refusedCall(provider, 'pauseLease', lease.leaseId, 'Leases: lease already paused')
  await refusedCall(user, 'resumeLease', lease.leaseId, 'Leases: only the provider can resume a lease')
  await refusedCall(outsider, 'resumeLease', lease.leaseId, 'Leases: only the provider can resume a lease')
  await chain.setNextTimestamp(lease.start + 200n)
  await resumeLease(provider.c, d, lease.leaseId)
  await refusedCall(provider, 'resumeLease', lease.leaseId, 'Leases: lease is not paused')
  const l = await getLease(user.c, d, lease.leaseId)
  assert.equal([l.end, l.paidUntil, l.pausedAt], [lease.end + 100n, lease.start + 200n, 0n])

  // Ended (its moved end reached, not yet closed): no pause.
  await chain.mineAt(l.end)
  await refusedCall(provider, 'pauseLease', lease.leaseId, 'Leases: lease has run out')
  await chain.mineAt(l.end + 100n)
  await refusedCall(provider, 'pauseLease', lease.leaseId, 'Leases: lease has run out')
  // Closed: neither.
  await withdrawLease(provider.c, d, lease.leaseId)
  assert.ok((await getLease(user.c, d, lease.leaseId)).closedAt !== 0n)
  await refusedCall(provider, 'pauseLease', lease.leaseId, 'Leases: lease already closed')
  await refusedCall(provider, 'resumeLease', lease.leaseId, 'Leases: lease already closed')
  const early = await createLease(user.c, d, await chain.signedLease({ user, price: 1_000n, duration: 100 }))
  await closeLease(user.c, d, early.leaseId)
  await refusedCall(provider, 'pauseLease', early.leaseId, 'Leases: lease already closed')
})

test('gas: pauseLease (with its payment) and resumeLease (from the receipts)', async () => {
  const { d, provider } = chain
  const user = chain.users[0]
  const gas: Record<string, bigint> = {}
  const send = async (name: string, functionName: 'pauseLease' | 'resumeLease', leaseId: bigint): Promise<void> => {
    gas[name] = (await write(provider.c, name, { address: d.leases, abi: LeasesAbi, functionName, args: [leaseId] })).gasUsed
  }
  for (const [symbol, token] of chain.tokens) {
    const lease = await createLease(user.c, d, await chain.signedLease({ user, token, price: 1_000n, duration: 100 }))
    await chain.setNextTimestamp(lease.start + 10n)
    await send(`pauseLease ${symbol}`, 'pauseLease', lease.leaseId)
    await chain.setNextTimestamp(lease.start + 20n)
    await send(`resumeLease ${symbol}`, 'resumeLease', lease.leaseId)
    await chain.setNextTimestamp(lease.start + 20n)
    await send(`pauseLease ${symbol} (nothing accrued)`, 'pauseLease', lease.leaseId)
    await closeLease(user.c, d, lease.leaseId)
  }
  console.log(`gas used: ${Object.entries(gas).map(([k, v]) => `${k} ${v}`).join(', ')}`)
  for (const [name, used] of Object.entries(gas)) assert.ok(used < 120_000n, `${name} used ${used} gas`)
})

// --------------------------------------------------------------------- fees

test('fees in SPON: 20% to the foundation, no token fee; the provider\'s close pays up to that second', async () => {
  const { d, provider } = chain
  const user = chain.users[2]
  const p = 12_345n
  const D = 1_000n
  const user0 = await balances(user, d.spon)
  const prov0 = await balances(provider, d.spon)
  const fees0 = await fees(d.spon)
  const usdxFees0 = await fees(chain.usdx)

  const lease = await createLease(user.c, d, await chain.signedLease({ user, price: p, duration: Number(D) }))
  assert.is(lease.locked, 12_345_000n)
  await chain.setNextTimestamp(lease.start + 77n)
  await withdrawLease(provider.c, d, lease.leaseId)
  // gross 950,565: fee floor(190,113.0) = 190,113; provider 760,452.
  assert.is((await balances(provider, d.spon)).unlocked - prov0.unlocked, 760_452n)
  assert.is(await fees(d.spon) - fees0, 190_113n)
  assert.is((await balances(user, d.spon)).locked - user0.locked, 12_345_000n - 950_565n)

  await chain.setNextTimestamp(lease.start + 500n)
  const { refund } = await closeLease(provider.c, d, lease.leaseId)
  const g2 = p * 423n
  assert.is(refund, lease.locked - p * 500n)
  assert.is((await balances(provider, d.spon)).unlocked - prov0.unlocked, 760_452n + g2 - bps(g2, FOUNDATION_FEE_BPS))
  assert.is(await fees(d.spon) - fees0, 190_113n + bps(g2, FOUNDATION_FEE_BPS))
  assert.is(await fees(chain.usdx), usdxFees0, 'a SPON lease takes no fee in another token')
  const user1 = await balances(user, d.spon)
  assert.is(user1.unlocked, user0.unlocked - p * 500n)
  assert.is(user1.locked, user0.locked)
  assert.is((await closedEvents(lease.leaseId))[0].args.reason, CLOSE.Provider)
})

test('fees in USDX: the user locks price·duration·1.02, each payment takes gross·1.02, the provider gets gross − 20% − 2%', async () => {
  const { d, provider } = chain
  const user = chain.users[2]
  const usdx = chain.usdx
  const p = 12_345n
  const D = 1_000n
  const user0 = await balances(user, usdx)
  const prov0 = await balances(provider, usdx)
  const fees0 = await fees(usdx)
  const sponFees0 = await fees(d.spon)

  const lease = await createLease(user.c, d, await chain.signedLease({ user, token: usdx, price: p, duration: Number(D) }))
  const base = p * D
  assert.is(lease.locked, base + bps(base, TOKEN_FEE_BPS))
  assert.is(lease.locked, 12_591_900n)
  assert.is((await balances(user, usdx)).unlocked, user0.unlocked - 12_591_900n)

  // First payment at 77 s: gross 950,565; user fee 19,011; foundation 190,113; provider fee 19,011.
  const t1 = 77n
  const g1 = p * t1
  const from1 = g1 + bps(g1, TOKEN_FEE_BPS)
  const to1 = g1 - bps(g1, FOUNDATION_FEE_BPS) - bps(g1, TOKEN_FEE_BPS)
  assert.is(from1, 969_576n)
  assert.is(to1, 741_441n)
  await chain.mineAt(lease.start + t1)
  assert.equal(await accrued(provider.c, d, lease.leaseId), { gross: g1, toProvider: to1 })
  await chain.setNextTimestamp(lease.start + t1)
  await withdrawLease(provider.c, d, lease.leaseId)
  assert.is((await balances(provider, usdx)).unlocked - prov0.unlocked, to1)
  assert.is(await fees(usdx) - fees0, from1 - to1)
  assert.is(await fees(usdx) - fees0, 228_135n)
  assert.is((await balances(user, usdx)).locked - user0.locked, lease.locked - from1)
  assert.is((await getLease(user.c, d, lease.leaseId)).locked, lease.locked - from1)

  // The last payment, exactly at the end, takes what is left (its rounding dust goes to fees).
  await chain.setNextTimestamp(lease.end)
  await withdrawLease(provider.c, d, lease.leaseId)
  const g2 = p * (D - t1)
  const to2 = g2 - bps(g2, FOUNDATION_FEE_BPS) - bps(g2, TOKEN_FEE_BPS)
  const rest = lease.locked - from1
  assert.is(rest - (g2 + bps(g2, TOKEN_FEE_BPS)), 1n, 'one base unit of rounding dust')
  assert.is((await balances(provider, usdx)).unlocked - prov0.unlocked, to1 + to2)
  assert.is(to1 + to2, 9_629_101n)
  assert.is(await fees(usdx) - fees0, lease.locked - to1 - to2)
  assert.is(await fees(d.spon), sponFees0, 'a USDX lease takes no SPON')
  const user1 = await balances(user, usdx)
  assert.is(user1.unlocked, user0.unlocked - lease.locked)
  assert.is(user1.locked, user0.locked)
  const l = await getLease(user.c, d, lease.leaseId)
  assert.is(l.closedAt, lease.end, 'closed by the withdrawal at its end')
  assert.is((await closedEvents(lease.leaseId))[0].args.refund, 0n)

  // Closed early, the owner gets back what no payment took: locked − gross·1.02 of each payment.
  const early = await createLease(user.c, d, await chain.signedLease({ user, token: usdx, price: p, duration: Number(D) }))
  await chain.setNextTimestamp(early.start + 333n)
  const { refund } = await closeLease(user.c, d, early.leaseId)
  const g = p * 333n
  assert.is(refund, early.locked - g - bps(g, TOKEN_FEE_BPS))
})

test('escrow: deposit and withdraw move tokens 1:1, locked funds stay in, a disabled token is refused, the foundation takes its fees', async () => {
  const { d, foundation } = chain
  const user = chain.users[2]
  const amount = 5_000_000n
  const b0 = await escrowBalance(user.c, d, d.spon)
  await deposit(user.c, d, d.spon, amount)
  const b1 = await escrowBalance(user.c, d, d.spon)
  assert.equal([b1.wallet, b1.unlocked, b1.locked], [b0.wallet - amount, b0.unlocked + amount, b0.locked])
  await rejects(async () => await withdrawEscrow(user.c, d, d.spon, 0n), 'Escrow: unlocked balance too small')
  await rejects(async () => await withdrawEscrow(user.c, d, d.spon, b1.unlocked + 1n), 'Escrow: unlocked balance too small')
  // What a lease locks cannot be withdrawn.
  const lease = await createLease(user.c, d, await chain.signedLease({ user, price: 1_000n, duration: 100 }))
  await rejects(async () => await withdrawEscrow(user.c, d, d.spon, b1.unlocked - lease.locked + 1n), 'Escrow: unlocked balance too small')
  await withdrawEscrow(user.c, d, d.spon, b1.unlocked - lease.locked)
  const b2 = await escrowBalance(user.c, d, d.spon)
  assert.equal([b2.wallet, b2.unlocked, b2.locked], [b1.wallet + b1.unlocked - lease.locked, 0n, b1.locked + lease.locked])
  await closeLease(user.c, d, lease.leaseId)
  await deposit(user.c, d, d.spon, b1.unlocked)

  const enable = async (on: boolean): Promise<unknown> => await write(foundation.c, 'enabling the token', { address: d.escrow, abi: EscrowAbi, functionName: 'enableToken', args: [chain.usdx, on] })
  await rejects(async () => await write(user.c, 'enabling the token', { address: d.escrow, abi: EscrowAbi, functionName: 'enableToken', args: [chain.usdx, false] }), 'Escrow: only the owner')
  try {
    await enable(false)
    await rejects(async () => await deposit(user.c, d, chain.usdx, 1n), 'Escrow: token not accepted for payments')
    await refused(await chain.signedLease({ user, token: chain.usdx }), 'Escrow: token not accepted for payments', user)
  } finally {
    await enable(true)
  }

  // The foundation withdraws the fees; escrow still holds exactly what it records.
  const fee = await fees(d.spon)
  assert.ok(fee > 0n)
  await rejects(async () => await write(user.c, 'withdrawing fees', { address: d.escrow, abi: EscrowAbi, functionName: 'withdrawFees', args: [d.spon, user.address] }), 'Escrow: only the owner')
  const f0 = await escrowBalance(foundation.c, d, d.spon)
  await write(foundation.c, 'withdrawing fees', { address: d.escrow, abi: EscrowAbi, functionName: 'withdrawFees', args: [d.spon, foundation.address] })
  assert.is(await fees(d.spon), 0n)
  assert.is((await escrowBalance(foundation.c, d, d.spon)).wallet, f0.wallet + fee)
  const snap = await chain.snapshot()
  for (const [symbol] of chain.tokens) assert.is(snap.held[symbol], TestChain.recorded(snap, symbol), `${symbol}: held == Σ balances + locked + fees`)
})

test('gas: createLease in SPON and USDX, updateLease (from the receipts)', async () => {
  const user = chain.users[0]
  const gas: Record<string, bigint> = {}
  const send = async (name: string, functionName: 'createLease' | 'updateLease', args: readonly unknown[]): Promise<bigint> => {
    const receipt = await write(user.c, name, { address: chain.d.leases, abi: LeasesAbi, functionName, args })
    gas[name] = receipt.gasUsed
    return parseEventLogs({ abi: LeasesAbi, logs: receipt.logs, eventName: 'LeaseCreated' })[0].args.leaseId
  }
  const spon = await send('createLease SPON', 'createLease', leaseArgs(await chain.signedLease({ user })))
  const usdx = await send('createLease USDX', 'createLease', leaseArgs(await chain.signedLease({ user, token: chain.usdx })))
  const updated = await send('updateLease', 'updateLease', [spon, ...leaseArgs(await chain.signedLease({ user }))])
  console.log(`gas used: ${Object.entries(gas).map(([k, v]) => `${k} ${v}`).join(', ')}`)
  for (const [name, used] of Object.entries(gas)) assert.ok(used < 450_000n, `${name} used ${used} gas`)
  await closeLease(user.c, chain.d, usdx)
  await closeLease(user.c, chain.d, updated)
})

test('a withdraw estimated in the second nothing accrued still goes through when mined after the end (gas headroom)', async () => {
  const { d, provider } = chain
  const user = chain.users[0]
  const lease = await createLease(user.c, d, await chain.signedLease({ user, token: chain.usdx, price: 1_000n, duration: 10 }))
  const call = { address: d.leases, abi: LeasesAbi, functionName: 'withdraw', args: [lease.leaseId] } as const
  // Estimated in the lease's own second: nothing has accrued, no funds would move.
  const estimate = await provider.c.public.estimateContractGas({ ...call, account: provider.c.account, blockTag: 'latest' })
  const sendWith = async (gas: bigint) => await waitForReceipt(provider.c, await provider.c.wallet.writeContract({ ...call, gas } as Parameters<SettlementClients['wallet']['writeContract']>[0]))
  // Mined after the end it pays, takes fees and closes: the bare estimate runs out of gas …
  await chain.setNextTimestamp(lease.end + 5n)
  const bare = await sendWith(estimate)
  assert.is(bare.status, 'reverted')
  assert.is(bare.gasUsed, estimate, 'out of gas')
  // … the estimate plus the headroom write() adds does not.
  await chain.setNextTimestamp(lease.end + 6n)
  const ok = await sendWith(estimate + GAS_HEADROOM)
  assert.is(ok.status, 'success')
  assert.ok(ok.gasUsed > estimate)
  // And write() sends every call with that headroom over its estimate.
  const other = await createLease(user.c, d, await chain.signedLease({ user, price: 1_000n, duration: 10 }))
  const receipt = await write(user.c, 'closing', { address: d.leases, abi: LeasesAbi, functionName: 'closeLease', args: [other.leaseId] })
  const tx = await chain.reader.getTransaction({ hash: receipt.transactionHash })
  assert.ok(tx.gas >= receipt.gasUsed + GAS_HEADROOM, `gas limit ${tx.gas} for ${receipt.gasUsed} used`)
})

// --------------------------------------------------------------- refusals

test('refuses an order signed by another key', async () => {
  await refused(await chain.signedLease({ forge: { order: chain.outsider } }), 'Leases: bad order signature')
})

test('refuses a bid signed by another key', async () => {
  await refused(await chain.signedLease({ forge: { bid: chain.outsider } }), 'Leases: bad bid signature')
})

test('refuses a match signed by another key', async () => {
  await refused(await chain.signedLease({ forge: { match: chain.outsider } }), 'Leases: bad match signature')
})

test('refuses a replayed order, with the same or a fresh bid and match', async () => {
  const user = chain.users[0]
  const s = await chain.signedLease({ user })
  const first = await createLease(user.c, chain.d, s)
  await refused(s, 'Leases: order already used')
  await refused(await chain.signedLease({ user, order: { id: s.order.id } }), 'Leases: order already used')
  await closeLease(user.c, chain.d, first.leaseId)
  await refused(s, 'Leases: order already used')
})

test('refuses an expired order; expiry is inclusive', async () => {
  const now = Number(await chain.now())
  await refused(await chain.signedLease({ order: { expiry: now - 1 } }), 'Leases: order expired')
  // In the very second of its expiry the order still becomes a lease.
  const T = now + 5
  await chain.mineAt(T)
  const s = await chain.signedLease({ order: { expiry: T } })
  await chain.setNextTimestamp(T)
  const lease = await createLease(chain.users[0].c, chain.d, s)
  assert.is(lease.start, BigInt(T))
  await closeLease(chain.users[0].c, chain.d, lease.leaseId)
})

test('refuses a match by an unregistered matcher, or by a node registered in another role', async () => {
  await refused(await chain.signedLease({ matcher: chain.outsider }), 'Leases: matcher not registered')
  await refused(await chain.signedLease({ matcher: chain.weakProvider }), 'Leases: matcher not registered')
})

test('refuses a bid above the order\'s max price', async () => {
  await refused(await chain.signedLease({ price: 1_000_001n, order: { maxPricePerSecond: 1_000_000n } }), 'Leases: bid above the order\'s max price')
})

test('refuses a provider below the minimum stake, and an unregistered bidder', async () => {
  await refused(await chain.signedLease({ provider: chain.weakProvider }), 'Leases: provider below the minimum stake')
  await refused(await chain.signedLease({ provider: chain.outsider }), 'Leases: bidder not a registered provider')
})

test('refuses a provider whose on-chain tier is above the order\'s minTrustTier', async () => {
  const { foundation, provider, d } = chain
  try {
    await setTier(foundation.c, d, provider.address, 6)
    // The bid's self-declared tier does not matter; the registry's does.
    await refused(await chain.signedLease({ order: { minTrustTier: 5 }, bid: { tier: 5 } }), 'Leases: provider\'s tier is less trusted than the order accepts')
    await setTier(foundation.c, d, provider.address, 5)
    const lease = await createLease(chain.users[0].c, d, await chain.signedLease({ order: { minTrustTier: 5 } }))
    await closeLease(chain.users[0].c, d, lease.leaseId)
    await rejects(async () => await setTier(provider.c, d, provider.address, 1), 'only the tier authority')
  } finally {
    await setTier(foundation.c, d, provider.address, 7)
  }
})

test('refuses a lease created by someone other than the order\'s owner', async () => {
  const s = await chain.signedLease({ user: chain.users[0] })
  await refused(s, 'Leases: only the order\'s owner can create its lease', chain.users[1])
  await refused(s, 'Leases: only the order\'s owner can create its lease', chain.provider)
})

test('refuses when the owner\'s escrow is too small for price × duration', async () => {
  const user = chain.users[0]
  const { unlocked } = await balances(user, chain.d.spon)
  const D = 3600n
  const price = unlocked / D + 1n
  await refused(await chain.signedLease({ user, price, duration: Number(D) }), 'Escrow: balance too small for this lease')
  // The 2% user fee counts too: a USDX lease whose base fits but base·1.02 does not.
  const usdx = await balances(user, chain.usdx)
  const p2 = usdx.unlocked / D
  assert.ok(p2 * D <= usdx.unlocked && p2 * D + bps(p2 * D, TOKEN_FEE_BPS) > usdx.unlocked)
  await refused(await chain.signedLease({ user, token: chain.usdx, price: p2, duration: Number(D) }), 'Escrow: balance too small for this lease')
})

test('refuses a bid or match that does not belong together', async () => {
  const other = keccak256(toHex('another order'))
  await refused(await chain.signedLease({ bid: { orderId: other } }), 'Leases: bid or match is for another order')
  await refused(await chain.signedLease({ match: { bidHash: keccak256(toHex('another bid')) } }), 'Leases: match does not name this bid')
  await refused(await chain.signedLease({ match: { pricePerSecond: 1n } }), 'Leases: match does not name this bid')
  await refused(await chain.signedLease({ bid: { token: chain.usdx } }), 'Leases: bid in another token')
  await refused(await chain.signedLease({ duration: 0 }), 'Leases: zero duration')
})

// ------------------------------------------------------------ rate, update

test('rating: 1 to 5, by the owner, only after close and only once', async () => {
  const { d, provider } = chain
  const user = chain.users[1]
  const readRating = async (fn: 'ratingSum' | 'ratingCount'): Promise<bigint> =>
    await chain.reader.readContract({ address: d.leases, abi: LeasesAbi, functionName: fn, args: [provider.address] })
  const [sum0, count0] = await Promise.all([readRating('ratingSum'), readRating('ratingCount')])
  const lease = await createLease(user.c, d, await chain.signedLease({ user }))
  await rejects(async () => await rateLease(user.c, d, lease.leaseId, 5), 'Leases: rate after the lease is closed')
  await closeLease(user.c, d, lease.leaseId)
  await rejects(async () => await rateLease(user.c, d, lease.leaseId, 0), 'Leases: rating is 1 to 5')
  await rejects(async () => await rateLease(user.c, d, lease.leaseId, 6), 'Leases: rating is 1 to 5')
  await rejects(async () => await rateLease(provider.c, d, lease.leaseId, 5), 'Leases: only the owner rates')
  await rejects(async () => await rateLease(user.c, d, 10_000n, 5), 'Leases: no such lease')
  await rateLease(user.c, d, lease.leaseId, 4)
  assert.is((await getLease(user.c, d, lease.leaseId)).rating, 4)
  assert.is(await readRating('ratingSum'), sum0 + 4n)
  assert.is(await readRating('ratingCount'), count0 + 1n)
  await rejects(async () => await rateLease(user.c, d, lease.leaseId, 5), 'Leases: already rated')
  assert.is((await getLease(user.c, d, lease.leaseId)).rating, 4)
  assert.is(await readRating('ratingCount'), count0 + 1n)
})

test('update closes the old lease (reason Updated) and creates the new one in one transaction', async () => {
  const { d, provider } = chain
  const user = chain.users[1]
  const p1 = 5_000_000n
  const p2 = 7_000_000n
  const user0 = await balances(user, d.spon)
  const prov0 = await balances(provider, d.spon)
  const old = await createLease(user.c, d, await chain.signedLease({ user, price: p1, duration: 1000 }))
  const next = await chain.signedLease({ user, price: p2, duration: 2000 })

  // Refusals leave the old lease open and every balance as it was.
  const before = await chain.snapshot()
  await rejects(async () => await createLease(chain.users[0].c, d, next, old.leaseId), 'Leases: only the lease\'s owner can update it')
  const foreign = await chain.signedLease({ user: chain.users[0] })
  await rejects(async () => await createLease(user.c, d, foreign, old.leaseId), 'Leases: only the lease\'s owner can update it')
  const forged = await chain.signedLease({ user, forge: { order: chain.outsider } })
  await rejects(async () => await createLease(user.c, d, forged, old.leaseId), 'Leases: bad order signature')
  assert.is(await sendUnsimulated(user.c, 'updateLease', [old.leaseId, ...leaseArgs(forged)]), 'reverted')
  assert.equal(await chain.snapshot(), before)
  assert.is((await getLease(user.c, d, old.leaseId)).closedAt, 0n, 'the old lease is still open')

  const t = 300n
  await chain.setNextTimestamp(old.start + t)
  const created = await createLease(user.c, d, next, old.leaseId)
  assert.is(created.start, old.start + t)
  const [closed] = await closedEvents(old.leaseId, created.block)
  const [made] = await chain.reader.getContractEvents({ address: d.leases, abi: LeasesAbi, eventName: 'LeaseCreated', args: { leaseId: created.leaseId }, fromBlock: created.block, toBlock: created.block })
  assert.ok(closed !== undefined && made !== undefined)
  assert.is(closed.transactionHash, made.transactionHash, 'one transaction')
  assert.is(closed.args.reason, CLOSE.Updated)
  assert.is(closed.args.refund, old.locked - p1 * t)
  const o = await getLease(user.c, d, old.leaseId)
  assert.is(o.closedAt, old.start + t)
  assert.is(o.locked, 0n)
  const n = await getLease(user.c, d, created.leaseId)
  assert.is(n.closedAt, 0n)
  assert.is(n.pricePerSecond, p2)
  assert.is(n.locked, p2 * 2000n)
  assert.is(n.orderId, next.order.id)
  const user1 = await balances(user, d.spon)
  assert.is(user1.unlocked, user0.unlocked - p1 * t - p2 * 2000n)
  assert.is(user1.locked, user0.locked + p2 * 2000n)
  assert.is((await balances(provider, d.spon)).unlocked - prov0.unlocked, p1 * t - bps(p1 * t, FOUNDATION_FEE_BPS))

  await rejects(async () => await createLease(user.c, d, await chain.signedLease({ user }), old.leaseId), 'Leases: lease already closed')
  await closeLease(user.c, d, created.leaseId)
})

test.run()
