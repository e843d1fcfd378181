/**
 * Random sequences against the settlement contracts on a real anvil: deposits, escrow
 * withdrawals, leases in SPON and USDX (some of them invalid), updates, provider withdrawals,
 * pauses and resumes (by the provider, and refused ones by others or in the wrong state),
 * closes by the owner, the provider or a stranger, ratings, fee withdrawals and time jumps
 * (pinned with evm_setNextBlockTimestamp + evm_mine, so a seed replays exactly). A reference
 * model predicts every outcome (which calls must revert, and with which reason), every event
 * and every balance; about a third of the calls are mined without simulation, so the contract
 * itself reverts them. After each step the chain must equal the model, and for every token
 *   token.balanceOf(escrow) == Σ actors (escrow.balanceOf + escrow.lockedOf) + escrow.fees.
 * Per lease: paid to the provider ≤ locked, once closed paid + refund + fees == locked, nothing
 * accrues while paused, and end − start == duration + the seconds of its resumed pauses.
 *
 * Seeded: DCN_SEED=<n> replays a run; DCN_STEPS=<n> changes its length (default 2000); DCN_PROGRESS=1
 * prints the time every 100 steps. A failure prints the seed, the step and the steps before it.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { maxUint256, parseEventLogs, type Address, type Hex, type TransactionReceipt } from 'viem'
import { EscrowAbi, LeasesAbi, SettlementError, TokenAbi, settlementError, solBid, solMatch, solOrder, waitForReceipt, write, type LeaseSigned } from '@dcn/protocol'
import { FOUNDATION_FEE_BPS, TOKEN_FEE_BPS, TestChain, bps, type Actor, type LeaseOptions, type Snapshot } from './helpers/chain.js'

const STEPS = Number(process.env.DCN_STEPS ?? 2000)
const SEED = process.env.DCN_SEED !== undefined ? Number(process.env.DCN_SEED) >>> 0 : (Date.now() ^ (process.pid << 12)) >>> 0
/** Share of calls sent without simulation, so the contract itself must revert them in a mined transaction. */
const RAW_SHARE = 0.3
const RAW_GAS = 1_500_000n

type Sym = 'SPON' | 'USDX'
const SYMS: Sym[] = ['SPON', 'USDX']
const CLOSE = { Owner: 0, Provider: 1, Expired: 2, Updated: 3 } as const

/** mulberry32: small, fast and good enough to pick actions. */
function prng (seed: number): () => number {
  let a = seed
  return () => {
    a = (a + 0x6D2B79F5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

interface ModelLease {
  id: bigint
  owner: Actor
  sym: Sym
  price: bigint
  start: bigint
  end: bigint
  paidUntil: bigint
  /** Still locked for it. */
  locked: bigint
  /** What createLease locked. */
  initial: bigint
  paid: bigint
  fees: bigint
  refund: bigint
  closedAt: bigint
  rating: number
  /** When the provider paused it; 0 while it runs (stays set once closed while paused). */
  pausedAt: bigint
  /** The duration bought, and the seconds of the pauses it has resumed from (its end moved on by them). */
  duration: bigint
  pausedFor: bigint
}

interface Expected { ok: true }
interface Refusal { ok: false, reason: string }
type Outcome = Expected | Refusal
type PaidEvent = { gross: bigint, toProvider: bigint, fees: bigint }
type ClosedEvent = { reason: number, refund: bigint }

test('random deposits, leases, withdrawals, closes and time jumps keep escrow balanced and every lease paid exactly', async () => {
  console.log(`settlement invariant: seed ${SEED}, ${STEPS} steps (DCN_SEED=${SEED} DCN_STEPS=${STEPS} to replay)`)
  const rng = prng(SEED)
  const int = (lo: number, hi: number): number => lo + Math.floor(rng() * (hi - lo + 1))
  const big = (lo: bigint, hi: bigint): bigint => lo + (BigInt(Math.floor(rng() * 2 ** 26)) * 2n ** 26n + BigInt(Math.floor(rng() * 2 ** 26))) % (hi - lo + 1n)
  const pick = <T>(xs: T[]): T => xs[Math.floor(rng() * xs.length)]
  const chance = (p: number): boolean => rng() < p

  const chain = await TestChain.start({ deposit: 0n, wallet: 20_000_000_000n })
  const { d, provider, foundation, outsider } = chain
  const users = chain.users
  const token: Record<Sym, Address> = { SPON: d.spon, USDX: chain.usdx }
  const history: string[] = []
  let step = 0
  const note = (what: string): void => { history.push(`step ${step}: ${what}`) }
  try {
    // Unlimited allowance, so a deposit is one transaction and can be sent unsimulated.
    for (const u of users) for (const s of SYMS) await write(u.c, 'approve', { address: token[s], abi: TokenAbi, functionName: 'approve', args: [d.escrow, maxUint256] })

    // ------------------------------------------------------------- model
    const start = await chain.snapshot()
    const bal: Record<string, Record<Sym, bigint>> = {}
    const lockd: Record<string, Record<Sym, bigint>> = {}
    const wallet: Record<string, Record<Sym, bigint>> = {}
    for (const a of chain.actors) {
      bal[a.name] = { SPON: start.balances.SPON[a.name][0], USDX: start.balances.USDX[a.name][0] }
      lockd[a.name] = { SPON: start.balances.SPON[a.name][1], USDX: start.balances.USDX[a.name][1] }
      wallet[a.name] = { SPON: start.balances.SPON[a.name][2], USDX: start.balances.USDX[a.name][2] }
    }
    const fees: Record<Sym, bigint> = { SPON: start.fees.SPON, USDX: start.fees.USDX }
    const held: Record<Sym, bigint> = { SPON: start.held.SPON, USDX: start.held.USDX }
    const leases: ModelLease[] = []
    const usedOrders: Hex[] = []
    let clock = await chain.now()
    const counts = { ok: 0, refused: 0, raw: 0, leases: 0, closes: 0, payments: 0, jumps: 0, pauses: 0, resumes: 0, whilePaused: 0 }
    const refusals: Record<string, number> = {}
    const refusal = (reason: string): void => { counts.refused++; refusals[reason] = (refusals[reason] ?? 0) + 1 }

    const expectedSnapshot = (): Snapshot => ({
      leaseCount: BigInt(leases.length),
      balances: Object.fromEntries(SYMS.map(s => [s, Object.fromEntries(chain.actors.map(a => [a.name, [bal[a.name][s], lockd[a.name][s], wallet[a.name][s]]]))])),
      fees: { ...fees },
      held: { ...held }
    })

    /** Where the lease would end if resumed at T: a paused lease's end moves on with the pause. */
    const endAt = (l: ModelLease, T: bigint): bigint => l.pausedAt === 0n ? l.end : l.end + T - l.pausedAt
    /** Up to when an open lease is paid at T: min(T, end, pausedAt if paused). */
    const payableUntil = (l: ModelLease, T: bigint): bigint => {
      let t = T < l.end ? T : l.end
      if (l.pausedAt !== 0n && l.pausedAt < t) t = l.pausedAt
      return t
    }

    /** Pays what has accrued up to min(T, end, pausedAt), as the contract must: returns the LeasePaid it emits, if any. */
    const settle = (l: ModelLease, T: bigint): PaidEvent | null => {
      let t = payableUntil(l, T)
      if (t < l.paidUntil) t = l.paidUntil
      if (t === l.paidUntil) return null
      const gross = l.price * (t - l.paidUntil)
      l.paidUntil = t
      const tokenFee = l.sym === 'SPON' ? 0n : bps(gross, TOKEN_FEE_BPS)
      let fromLocked = gross + tokenFee
      let toProvider = gross - bps(gross, FOUNDATION_FEE_BPS) - tokenFee
      // Before the end the payments' rounding can only leave dust behind, never ask for more than is locked.
      if (t < l.end) assert.ok(fromLocked <= l.locked, `lease ${l.id}: a payment before the end needs ${fromLocked}, only ${l.locked} locked`)
      if (t === l.end || fromLocked > l.locked) fromLocked = l.locked
      if (toProvider > fromLocked) toProvider = fromLocked
      l.locked -= fromLocked
      l.paid += toProvider
      l.fees += fromLocked - toProvider
      lockd[l.owner.name][l.sym] -= fromLocked
      bal[provider.name][l.sym] += toProvider
      fees[l.sym] += fromLocked - toProvider
      counts.payments++
      return { gross, toProvider, fees: fromLocked - toProvider }
    }

    const close = (l: ModelLease, T: bigint, reason: number): [PaidEvent | null, ClosedEvent] => {
      if (l.pausedAt !== 0n) counts.whilePaused++
      const paid = settle(l, T)
      l.closedAt = T
      l.refund = l.locked
      lockd[l.owner.name][l.sym] -= l.locked
      bal[l.owner.name][l.sym] += l.locked
      l.locked = 0n
      counts.closes++
      return [paid, { reason, refund: l.refund }]
    }

    // ------------------------------------------------------- the calls

    interface Plan { u: Actor, s: Sym, price: bigint, duration: number, locked: bigint, opts: LeaseOptions, by: Actor, defect: string, refusal: Refusal | null }

    /** A random lease for `u`: price, duration and token, and sometimes one defect that the contract must refuse. */
    const planLease = (u: Actor, notOwnerDefect: boolean): Plan => {
      const s = pick(SYMS)
      const price = chance(0.15) ? big(1n, 20n) : big(1n, 1_000_000n)
      const duration = chance(0.1) ? int(1, 5) : int(1, 5000)
      const base = price * BigInt(duration)
      const locked = base + (s === 'SPON' ? 0n : bps(base, TOKEN_FEE_BPS))
      const opts: LeaseOptions = { user: u, token: token[s], price, duration, order: { expiry: Number(clock) + 3600 }, bid: { expiry: Number(clock) + 600 }, match: { expiry: Number(clock) + 600 } }
      const plan: Plan = { u, s, price, duration, locked, opts, by: u, defect: '', refusal: null }
      if (chance(0.12)) {
        const kinds = ['expired', 'above max', 'forged', 'replay', 'not owner'].filter(k => (k !== 'replay' || usedOrders.length > 0) && (k !== 'not owner' || notOwnerDefect))
        plan.defect = pick(kinds)
        const refuse = (reason: string): void => { plan.refusal = { ok: false, reason } }
        if (plan.defect === 'expired') { opts.order!.expiry = Number(clock) - int(1, 100); refuse('Leases: order expired') }
        if (plan.defect === 'above max') { opts.order!.maxPricePerSecond = price - 1n; refuse('Leases: bid above the order\'s max price') }
        if (plan.defect === 'forged') { const what = pick(['order', 'bid', 'match'] as const); opts.forge = { [what]: outsider }; refuse(`Leases: bad ${what} signature`) }
        if (plan.defect === 'replay') { opts.order!.id = pick(usedOrders); refuse('Leases: order already used') }
        if (plan.defect === 'not owner') { plan.by = pick([...users.filter(x => x !== u), provider]); refuse('Leases: only the order\'s owner can create its lease') }
      }
      return plan
    }

    const describe = (p: Plan): string =>
      `${p.u.name}${p.by !== p.u ? ` sent by ${p.by.name}` : ''} ${p.price}/s × ${p.duration} s ${p.s} locks ${p.locked}${p.defect !== '' ? ` [${p.defect}]` : ''}`

    const leaseArgs = (x: LeaseSigned) => [solOrder(x.order), x.orderSig, solBid(x.bid), x.bidSig, solMatch(x.match), x.matchSig] as const

    /** Checks the LeaseCreated of a mined createLease/updateLease and adds the lease to the model. */
    const recordLease = (p: Plan, signed: LeaseSigned, receipt: TransactionReceipt): ModelLease => {
      const created = parseEventLogs({ abi: LeasesAbi, logs: receipt.logs, eventName: 'LeaseCreated' })
      assert.is(created.length, 1)
      const l: ModelLease = {
        id: BigInt(leases.length + 1), owner: p.u, sym: p.s, price: p.price, start: clock, end: clock + BigInt(p.duration), paidUntil: clock,
        locked: p.locked, initial: p.locked, paid: 0n, fees: 0n, refund: 0n, closedAt: 0n, rating: 0, pausedAt: 0n,
        duration: BigInt(p.duration), pausedFor: 0n
      }
      const e = created[0].args
      assert.equal(
        { id: e.leaseId, owner: e.owner.toLowerCase(), provider: e.provider.toLowerCase(), token: e.token.toLowerCase(), price: e.pricePerSecond, locked: e.locked, start: BigInt(e.start), end: BigInt(e.end) },
        { id: l.id, owner: p.u.address, provider: provider.address, token: token[p.s].toLowerCase(), price: p.price, locked: p.locked, start: l.start, end: l.end }, 'LeaseCreated')
      leases.push(l)
      usedOrders.push(signed.order.id)
      bal[p.u.name][p.s] -= p.locked
      lockd[p.u.name][p.s] += p.locked
      counts.leases++
      return l
    }

    /** The model's state before a step that may have to be undone (an update whose new lease is refused). */
    const checkpoint = (l: ModelLease) => ({ bal: structuredClone(bal), lockd: structuredClone(lockd), fees: { ...fees }, lease: { ...l }, counts: { ...counts } })
    const restore = (cp: ReturnType<typeof checkpoint>, l: ModelLease): void => {
      Object.assign(bal, cp.bal)
      Object.assign(lockd, cp.lockd)
      Object.assign(fees, cp.fees)
      Object.assign(l, cp.lease)
      Object.assign(counts, cp.counts)
    }

    type Call = { address: Address, abi: readonly unknown[], functionName: string, args: readonly unknown[] }

    /** Sends a call at the pinned clock, simulated (as the settlement code does) or not; checks the predicted outcome. */
    const send = async (who: Actor, call: Call, expected: Outcome): Promise<TransactionReceipt | null> => {
      await chain.setNextTimestamp(clock)
      if (chance(RAW_SHARE)) {
        counts.raw++
        if (!expected.ok) {
          // The reason, from a call at the same block time; then the transaction itself must revert when mined.
          const why = await who.c.public.simulateContract({ ...call, account: who.c.account } as Parameters<typeof who.c.public.simulateContract>[0])
            .then(() => 'no revert', err => settlementError(err, call.functionName).message)
          assert.ok(why.includes(expected.reason), `${call.functionName} by ${who.name}: expected "${expected.reason}", got: ${why}`)
        }
        const hash = await who.c.wallet.writeContract({ ...call, gas: RAW_GAS } as Parameters<typeof who.c.wallet.writeContract>[0])
        const receipt = await waitForReceipt(who.c, hash)
        assert.is(receipt.status, expected.ok ? 'success' : 'reverted', `${call.functionName} by ${who.name}: expected ${expected.ok ? 'success' : `a revert (${(expected as Refusal).reason})`}`)
        const block = await chain.reader.getBlock({ blockNumber: receipt.blockNumber })
        assert.is(block.timestamp, clock, 'mined at the pinned time')
        if (expected.ok) counts.ok++; else refusal(expected.reason)
        return expected.ok ? receipt : null
      }
      let receipt: TransactionReceipt
      try {
        receipt = await write(who.c, call.functionName, call)
      } catch (err) {
        if (expected.ok) throw err
        assert.instance(err, SettlementError)
        assert.ok((err as Error).message.includes(expected.reason), `expected "${expected.reason}" in: ${(err as Error).message}`)
        refusal(expected.reason)
        return null
      }
      assert.ok(expected.ok, `${call.functionName} by ${who.name} succeeded; expected a refusal (${(expected as Refusal).reason})`)
      counts.ok++
      return receipt
    }

    const state = (l: ModelLease): string => l.closedAt !== 0n ? ' (closed)' : l.pausedAt !== 0n ? ` (paused at +${l.pausedAt - l.start} s)` : ''

    const leaseEvents = (receipt: TransactionReceipt, id: bigint): { paid: PaidEvent[], closed: ClosedEvent[] } => ({
      paid: parseEventLogs({ abi: LeasesAbi, logs: receipt.logs, eventName: 'LeasePaid' }).filter(e => e.args.leaseId === id)
        .map(e => ({ gross: e.args.gross, toProvider: e.args.toProvider, fees: e.args.fees })),
      closed: parseEventLogs({ abi: LeasesAbi, logs: receipt.logs, eventName: 'LeaseClosed' }).filter(e => e.args.leaseId === id)
        .map(e => ({ reason: e.args.reason, refund: e.args.refund }))
    })

    const checkLease = async (l: ModelLease): Promise<void> => {
      const [got, [gross, toProvider], active] = await Promise.all([
        chain.reader.readContract({ address: d.leases, abi: LeasesAbi, functionName: 'getLease', args: [l.id] }),
        chain.reader.readContract({ address: d.leases, abi: LeasesAbi, functionName: 'accrued', args: [l.id] }),
        chain.reader.readContract({ address: d.leases, abi: LeasesAbi, functionName: 'isActive', args: [l.id] })
      ])
      // What accrues now (the latest block is always at the clock): nothing once closed, never past the end nor the pause.
      const until = l.closedAt !== 0n ? l.paidUntil : payableUntil(l, clock)
      const g = l.price * (until > l.paidUntil ? until - l.paidUntil : 0n)
      assert.equal({ gross, toProvider }, { gross: g, toProvider: g - bps(g, FOUNDATION_FEE_BPS) - (l.sym === 'SPON' ? 0n : bps(g, TOKEN_FEE_BPS)) }, `lease ${l.id}: accrued()`)
      assert.is(active, l.closedAt === 0n && clock < endAt(l, clock), `lease ${l.id}: isActive()`)
      if (l.pausedAt !== 0n && l.closedAt === 0n) assert.is(l.paidUntil, l.pausedAt, `lease ${l.id}: paused, paid up to the pause`)
      // Paid, still to be paid and paused seconds always add up to the duration bought.
      assert.is(l.end - l.start, l.duration + l.pausedFor, `lease ${l.id}: end − start == duration + time paused`)
      assert.equal(
        { locked: got.locked, paidUntil: BigInt(got.paidUntil), closedAt: BigInt(got.closedAt), end: BigInt(got.end), rating: got.rating, pausedAt: BigInt(got.pausedAt) },
        { locked: l.locked, paidUntil: l.paidUntil, closedAt: l.closedAt, end: l.end, rating: l.rating, pausedAt: l.pausedAt }, `lease ${l.id} on chain`)
      assert.ok(l.paid <= l.initial, `lease ${l.id}: paid ${l.paid} above the ${l.initial} locked`)
      assert.ok(l.paid + l.fees <= l.initial, `lease ${l.id}: paid + fees above what was locked`)
      if (l.closedAt !== 0n) assert.is(l.paid + l.refund + l.fees, l.initial, `lease ${l.id}: paid + refund + fees == locked`)
      else assert.is(l.paid + l.fees + l.locked, l.initial, `lease ${l.id}: paid + fees + still locked == locked`)
    }

    const checkAll = async (touched: ModelLease[]): Promise<void> => {
      const [snap] = await Promise.all([chain.snapshot(), ...touched.map(checkLease)])
      for (const s of SYMS) {
        assert.is(snap.held[s], TestChain.recorded(snap, s), `${s}: escrow holds Σ balances + Σ locked + fees`)
      }
      // Everything locked is locked for an open lease.
      for (const u of users) {
        for (const s of SYMS) {
          const open = leases.filter(l => l.owner === u && l.sym === s && l.closedAt === 0n).reduce((sum, l) => sum + l.locked, 0n)
          assert.is(snap.balances[s][u.name][1], open, `${u.name} ${s}: lockedOf == Σ locked of its open leases`)
        }
      }
      assert.equal(snap, expectedSnapshot(), 'chain == model')
    }

    /** A mined resumeLease at the clock: checks its events and moves the model's end and paidUntil on by the pause. */
    const resume = (l: ModelLease, receipt: TransactionReceipt): void => {
      const dt = clock - l.pausedAt
      assert.equal(leaseEvents(receipt, l.id), { paid: [], closed: [] }, 'resume pays nothing')
      const ev = parseEventLogs({ abi: LeasesAbi, logs: receipt.logs, eventName: 'LeaseResumed' })
      assert.equal(ev.map(e => [e.args.leaseId, e.args.pausedFor]), [[l.id, dt]], 'LeaseResumed')
      l.paidUntil += dt
      l.end += dt
      l.pausedFor += dt
      l.pausedAt = 0n
      counts.resumes++
    }

    // ------------------------------------------------------------ actions

    const actions: Array<[number, () => Promise<ModelLease[]>]> = [
      [14, async () => { // deposit
        const u = pick(users)
        const s = pick(SYMS)
        const amount = chance(0.03) ? 0n : big(1n, 4_000_000_000n)
        note(`deposit ${u.name} ${amount} ${s}`)
        const expected: Outcome = amount === 0n ? { ok: false, reason: 'Escrow: nothing to deposit' }
          : amount > wallet[u.name][s] ? { ok: false, reason: 'Token: balance too small' } : { ok: true }
        if (await send(u, { address: d.escrow, abi: EscrowAbi, functionName: 'deposit', args: [token[s], amount] }, expected) !== null) {
          wallet[u.name][s] -= amount
          bal[u.name][s] += amount
          held[s] += amount
        }
        return []
      }],
      [3, async () => { // faucet
        const u = pick(users)
        const s = pick(SYMS)
        const amount = big(1n, 5_000_000_000n)
        note(`faucet ${u.name} ${amount} ${s}`)
        if (await send(u, { address: token[s], abi: TokenAbi, functionName: 'faucet', args: [amount] }, { ok: true }) !== null) wallet[u.name][s] += amount
        return []
      }],
      [9, async () => { // escrow withdraw, by a user or the provider
        const a = chance(0.25) ? provider : pick(users)
        const s = pick(SYMS)
        const have = bal[a.name][s]
        const amount = chance(0.1) ? have : big(0n, have + have / 5n + 1n)
        note(`escrow withdraw ${a.name} ${amount} ${s} (has ${have})`)
        const expected: Outcome = amount === 0n || amount > have ? { ok: false, reason: 'Escrow: unlocked balance too small' } : { ok: true }
        if (await send(a, { address: d.escrow, abi: EscrowAbi, functionName: 'withdraw', args: [token[s], amount] }, expected) !== null) {
          bal[a.name][s] -= amount
          wallet[a.name][s] += amount
          held[s] -= amount
        }
        return []
      }],
      [22, async () => { // createLease
        const plan = planLease(pick(users), true)
        const { u, s } = plan
        const expected: Outcome = plan.refusal ?? (plan.locked > bal[u.name][s] ? { ok: false, reason: 'Escrow: balance too small for this lease' } : { ok: true })
        note(`createLease ${describe(plan)} (has ${bal[u.name][s]})`)
        const signed = await chain.signedLease(plan.opts)
        const receipt = await send(plan.by, { address: d.leases, abi: LeasesAbi, functionName: 'createLease', args: leaseArgs(signed) }, expected)
        return receipt === null ? [] : [recordLease(plan, signed, receipt)]
      }],
      [5, async () => { // update = close the old lease and create the new one, in one transaction
        if (leases.length === 0) return []
        const open = leases.filter(x => x.closedAt === 0n)
        const old = open.length > 0 && chance(0.9) ? pick(open) : pick(leases)
        const u = old.owner
        const plan = planLease(u, false)
        const by = chance(0.9) ? u : pick([...users.filter(x => x !== u), provider])
        note(`update lease ${old.id} at +${clock - old.start} s of ${old.end - old.start}${state(old)} by ${by.name} to ${describe(plan)} (has ${bal[u.name][plan.s]})`)
        let expected: Outcome
        let events: { paid: PaidEvent[], closed: ClosedEvent[] } | null = null
        const saved = checkpoint(old)
        if (by !== u) expected = { ok: false, reason: 'Leases: only the lease\'s owner can update it' }
        else if (old.closedAt !== 0n) expected = { ok: false, reason: 'Leases: lease already closed' }
        else {
          const [paid, closed] = close(old, clock, CLOSE.Updated)
          events = { paid: paid === null ? [] : [paid], closed: [closed] }
          // The new lease is checked after the old one's refund is back in the owner's balance.
          expected = plan.refusal ?? (plan.locked > bal[u.name][plan.s] ? { ok: false, reason: 'Escrow: balance too small for this lease' } : { ok: true })
          if (!expected.ok) restore(saved, old)
        }
        const signed = await chain.signedLease(plan.opts)
        const receipt = await send(by, { address: d.leases, abi: LeasesAbi, functionName: 'updateLease', args: [old.id, ...leaseArgs(signed)] }, expected)
        if (receipt === null) return [old]
        assert.equal(leaseEvents(receipt, old.id), events, 'update: the old lease\'s events')
        return [old, recordLease(plan, signed, receipt)]
      }],
      [16, async () => { // lease withdraw, mostly by the provider, sometimes by anyone
        if (leases.length === 0) return []
        const open = leases.filter(x => x.closedAt === 0n)
        const l = open.length > 0 && chance(0.85) ? pick(open) : pick(leases)
        const by = chance(0.8) ? provider : pick([...users, outsider])
        note(`withdraw lease ${l.id} by ${by.name} at +${clock - l.start} s of ${l.end - l.start}${state(l)}`)
        if (l.closedAt !== 0n) {
          await send(by, { address: d.leases, abi: LeasesAbi, functionName: 'withdraw', args: [l.id] }, { ok: false, reason: 'Leases: lease already closed' })
          return [l]
        }
        if (l.pausedAt !== 0n) counts.whilePaused++
        const paid = settle(l, clock)
        const closed = clock >= endAt(l, clock) ? close(l, clock, CLOSE.Expired) : null
        const receipt = await send(by, { address: d.leases, abi: LeasesAbi, functionName: 'withdraw', args: [l.id] }, { ok: true })
        assert.equal(leaseEvents(receipt!, l.id), { paid: paid === null ? [] : [paid], closed: closed === null ? [] : [closed[1]] }, 'withdraw events')
        return [l]
      }],
      [14, async () => { // close by the owner, the provider or a stranger
        if (leases.length === 0) return []
        const open = leases.filter(x => x.closedAt === 0n)
        const l = open.length > 0 && chance(0.85) ? pick(open) : pick(leases)
        const by = pick([l.owner, l.owner, provider, provider, pick([...users.filter(u => u !== l.owner), outsider])])
        note(`close lease ${l.id} by ${by.name} at +${clock - l.start} s of ${l.end - l.start}${state(l)}`)
        const call: Call = { address: d.leases, abi: LeasesAbi, functionName: 'closeLease', args: [l.id] }
        if (l.closedAt !== 0n) { await send(by, call, { ok: false, reason: 'Leases: lease already closed' }); return [l] }
        const reason = clock >= endAt(l, clock) ? CLOSE.Expired : by === l.owner ? CLOSE.Owner : by === provider ? CLOSE.Provider : null
        if (reason === null) { await send(by, call, { ok: false, reason: 'Leases: only the owner or the provider can close an active lease' }); return [l] }
        const [paid, closed] = close(l, clock, reason)
        const receipt = await send(by, call, { ok: true })
        assert.equal(leaseEvents(receipt!, l.id), { paid: paid === null ? [] : [paid], closed: [closed] }, 'close events')
        return [l]
      }],
      [6, async () => { // pause, mostly by the provider and of a running lease; the rest must be refused
        if (leases.length === 0) return []
        const running = leases.filter(x => x.closedAt === 0n && x.pausedAt === 0n && clock < x.end)
        const paused = leases.filter(x => x.closedAt === 0n && x.pausedAt !== 0n)
        const ended = leases.filter(x => x.closedAt === 0n && x.pausedAt === 0n && clock >= x.end)
        const r = rng()
        const l = running.length > 0 && r < 0.7 ? pick(running) : paused.length > 0 && r < 0.8 ? pick(paused)
          : ended.length > 0 && r < 0.88 ? pick(ended) : pick(leases)
        const by = chance(0.85) ? provider : pick([l.owner, ...users.filter(u => u !== l.owner), outsider])
        note(`pause lease ${l.id} by ${by.name} at +${clock - l.start} s of ${l.end - l.start}${state(l)}`)
        const expected: Outcome = by !== provider ? { ok: false, reason: 'Leases: only the provider can pause a lease' }
          : l.closedAt !== 0n ? { ok: false, reason: 'Leases: lease already closed' }
            : l.pausedAt !== 0n ? { ok: false, reason: 'Leases: lease already paused' }
              : clock >= l.end ? { ok: false, reason: 'Leases: lease has run out' } : { ok: true }
        const paid = expected.ok ? settle(l, clock) : null
        const receipt = await send(by, { address: d.leases, abi: LeasesAbi, functionName: 'pauseLease', args: [l.id] }, expected)
        if (receipt !== null) {
          l.pausedAt = clock
          counts.pauses++
          assert.equal(leaseEvents(receipt, l.id), { paid: paid === null ? [] : [paid], closed: [] }, 'pause events')
          const ev = parseEventLogs({ abi: LeasesAbi, logs: receipt.logs, eventName: 'LeasePaused' })
          assert.equal(ev.map(e => [e.args.leaseId, e.args.at]), [[l.id, clock]], 'LeasePaused')
        }
        return [l]
      }],
      [5, async () => { // resume, mostly by the provider and of a paused lease; the rest must be refused
        if (leases.length === 0) return []
        const paused = leases.filter(x => x.closedAt === 0n && x.pausedAt !== 0n)
        const open = leases.filter(x => x.closedAt === 0n)
        const r = rng()
        const l = paused.length > 0 && r < 0.8 ? pick(paused) : open.length > 0 && r < 0.9 ? pick(open) : pick(leases)
        const by = chance(0.85) ? provider : pick([l.owner, ...users.filter(u => u !== l.owner), outsider])
        note(`resume lease ${l.id} by ${by.name} at +${clock - l.start} s of ${l.end - l.start}${state(l)}`)
        const expected: Outcome = by !== provider ? { ok: false, reason: 'Leases: only the provider can resume a lease' }
          : l.closedAt !== 0n ? { ok: false, reason: 'Leases: lease already closed' }
            : l.pausedAt === 0n ? { ok: false, reason: 'Leases: lease is not paused' } : { ok: true }
        const receipt = await send(by, { address: d.leases, abi: LeasesAbi, functionName: 'resumeLease', args: [l.id] }, expected)
        if (receipt !== null) resume(l, receipt)
        return [l]
      }],
      [3, async () => { // rate
        const closed = leases.filter(l => l.closedAt !== 0n)
        if (closed.length === 0) return []
        const l = pick(closed.concat(leases.slice(-1)))
        const by = chance(0.85) ? l.owner : provider
        const rating = int(0, 6)
        note(`rate lease ${l.id} ${rating} by ${by.name}`)
        const expected: Outcome = by !== l.owner ? { ok: false, reason: 'Leases: only the owner rates' }
          : l.closedAt === 0n ? { ok: false, reason: 'Leases: rate after the lease is closed' }
            : l.rating !== 0 ? { ok: false, reason: 'Leases: already rated' }
              : rating < 1 || rating > 5 ? { ok: false, reason: 'Leases: rating is 1 to 5' } : { ok: true }
        if (await send(by, { address: d.leases, abi: LeasesAbi, functionName: 'rate', args: [l.id, rating] }, expected) !== null) l.rating = rating
        return [l]
      }],
      [2, async () => { // the foundation takes its fees
        const s = pick(SYMS)
        note(`withdraw fees ${fees[s]} ${s}`)
        if (await send(foundation, { address: d.escrow, abi: EscrowAbi, functionName: 'withdrawFees', args: [token[s], foundation.address] }, { ok: true }) !== null) {
          wallet[foundation.name][s] += fees[s]
          held[s] -= fees[s]
          fees[s] = 0n
        }
        return []
      }],
      [15, async () => { // time jump
        const x = chance(0.5) ? int(0, 10) : int(0, 5000)
        note(`time +${x} s`)
        clock += BigInt(x)
        await chain.mineAt(clock)
        counts.jumps++
        return []
      }]
    ]
    const totalWeight = actions.reduce((sum, [w]) => sum + w, 0)
    const choose = (): (() => Promise<ModelLease[]>) => {
      let r = rng() * totalWeight
      for (const [w, fn] of actions) { if ((r -= w) < 0) return fn }
      return actions[actions.length - 1][1]
    }

    const started = Date.now()
    for (step = 1; step <= STEPS; step++) {
      const touched = await choose()()
      await checkAll(touched)
      if (process.env.DCN_PROGRESS !== undefined && step % 100 === 0) console.log(`step ${step}: ${((Date.now() - started) / 1000).toFixed(1)} s`)
    }

    // Finally everything runs out: each paused lease is resumed, each open lease is settled and closed, and adds up.
    step = STEPS + 1
    note('final: resume every paused lease, run every lease out and close it')
    for (const l of leases.filter(x => x.closedAt === 0n && x.pausedAt !== 0n)) {
      await chain.setNextTimestamp(clock)
      resume(l, await write(provider.c, 'resume', { address: d.leases, abi: LeasesAbi, functionName: 'resumeLease', args: [l.id] }))
    }
    clock += 5001n
    await chain.mineAt(clock)
    for (const l of leases.filter(x => x.closedAt === 0n)) {
      const paid = settle(l, clock)
      const [, closed] = close(l, clock, CLOSE.Expired)
      await chain.setNextTimestamp(clock)
      const receipt = await write(provider.c, 'withdraw', { address: d.leases, abi: LeasesAbi, functionName: 'withdraw', args: [l.id] })
      assert.equal(leaseEvents(receipt, l.id), { paid: paid === null ? [] : [paid], closed: [closed] })
    }
    await checkAll(leases)
    for (const u of users) for (const s of SYMS) assert.is(lockd[u.name][s], 0n)
    console.log(`settlement invariant: ${STEPS} steps in ${((Date.now() - started) / 1000).toFixed(1)} s; ${counts.ok} transactions, ${counts.refused} refused; ${counts.raw} of them all sent unsimulated, ${counts.leases} leases, ${counts.payments} payments, ${counts.closes} closes, ${counts.pauses} pauses, ${counts.resumes} resumes, ${counts.whilePaused} withdrawals, closes or updates of paused leases, ${counts.jumps} time jumps`)
    console.log(`refused: ${Object.entries(refusals).map(([r, n]) => `${n}× ${r}`).join(', ')}`)
  } catch (err) {
    console.log(`\nsettlement invariant FAILED at step ${step} with seed ${SEED} (replay: DCN_SEED=${SEED} DCN_STEPS=${STEPS} node scripts/test.mjs settlement-invariant)`)
    console.log(history.slice(-15).map(h => `  ${h}`).join('\n'))
    throw err
  } finally {
    await chain.stop()
  }
})

test.run()
