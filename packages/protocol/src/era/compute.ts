/**
 * `computeEra`: one era's tiers, rewards and slashes from its metrics — pure and deterministic,
 * so every slark computes the same report and a BLS quorum of them can sign its hash. Results
 * are sorted by address (the input's order does not matter), and the cost is linear in the input
 * with a few allocations per node: a simulation runs it for 100k providers × 30 eras.
 * Rewards are paid at the tier held during the era, capped at once by what the stake allows;
 * the new tier applies from the next era.
 */
import type { Address } from '../types.js'
import { SchemaError } from '../schema.js'
import { checkEraInput } from './input.js'
import { hourReward, attributeBps, providerMultiplierBps, shareByStake, slarkReward, splitSlarkReward } from './rewards.js'
import { slashIncidents } from './slashing.js'
import { scanOutages, type OutageScan } from './outages.js'
import { PPM, PROVIDER_TIERS, PROVIDER_TIER_COUNT, SLARK_TIERS, type EraParams } from './tables.js'
import {
  NEW_PROVIDER, NEW_SLARK, bestProviderTier, bestSlarkTier, missNames, nextProviderTier, nextSlarkTier, providerMisses,
  slarkMisses, stakeTier, type ProviderEvidence, type SlarkEvidence, type Transition
} from './tiers.js'
import { explainProvider, explainSlark } from './explain.js'
import { seatPromotions } from './seats.js'
import type { HashedEraReport } from './report.js'
import type { Delegation, EraInput, EraPayouts, EraReport, Incident, ProviderHistory, ProviderMetrics, ProviderResult, SlarkMetrics, SlarkResult } from './types.js'

export interface ComputeOptions {
  /**
   * Give every result its `why` lines (default true). They are written only when read, but even
   * the hook costs about as much as the maths at 100k nodes: a simulation can turn them off.
   */
  explain?: boolean
}

const cmp = (a: string, b: string): number => a < b ? -1 : a > b ? 1 : 0
const byAddress = <T extends { address: Address }>(a: T, b: T): number => cmp(a.address, b.address)
const byDelegator = (a: Delegation, b: Delegation): number => cmp(a.delegator, b.delegator)
const byAccount = (a: { account: Address }, b: { account: Address }): number => cmp(a.account, b.account)

/** Sorted copy, skipping the sort when the input is already in order (the usual case era to era). */
function sorted<T> (items: readonly T[], order: (a: T, b: T) => number): readonly T[] {
  for (let i = 1; i < items.length; i++) if (order(items[i - 1], items[i]) > 0) return [...items].sort(order)
  return items
}

/** Sorted by address, refusing an address listed twice (adjacent once sorted). */
function sortedUnique<T extends { address: Address }> (items: readonly T[], what: string): readonly T[] {
  const out = sorted(items, byAddress)
  for (let i = 1; i < out.length; i++) {
    if (out[i].address === out[i - 1].address) {
      const first = items.findIndex(x => x.address === out[i].address)
      const second = items.findIndex((x, j) => j > first && x.address === out[i].address)
      throw new SchemaError(`${what}[${second}].address`, `${out[i].address} is listed twice`)
    }
  }
  return out
}

const NEW_PROVIDER_HISTORY: Readonly<ProviderHistory> = Object.freeze({ ...NEW_PROVIDER, offlineSeconds: 0, offlineSlashed: false, cooldownSeconds: 0 })

/** Per-era constants and caches shared by every provider of the era. */
interface Era {
  p: EraParams
  hours: number
  /** The lazy `why` of each provider, or null when not explaining. */
  whyProvider: PropertyDescriptor | null
  /** Reused for every provider (never escapes). */
  ev: ProviderEvidence
  /** hourReward(base, bps) by bps, and hours × that by bps·(hours+1)+hours: few distinct values. */
  perHour: Map<number, bigint>
  total: Map<number, bigint>
}

export function computeEra (input: EraInput, opts: ComputeOptions = {}): EraReport {
  checkEraInput(input)
  const p = input.params
  const explain = opts.explain ?? true
  const hours = p.eraSeconds / p.hourSeconds
  const era: Era = {
    p,
    hours,
    whyProvider: explain ? lazyWhy((r: ProviderResult) => explainProvider(r, p)) : null,
    ev: { onlineSeconds: 0, eraSeconds: p.eraSeconds, tasksAssigned: 0, tasksCompleted: 0, responseCount: 0, responseTotalMs: 0, ratingCount: 0, ratingSum: 0, stake: 0n },
    perHour: new Map(),
    total: new Map()
  }
  const providers = sortedUnique(input.providers, 'providers').map(m => computeProvider(m, era))
  const whySlark = explain ? lazyWhy((r: SlarkResult) => explainSlark(r, p)) : null
  const slarkInput = sortedUnique(input.slarks, 'slarks')
  // Transitions first: promotions then take the free seats of the tiers above (seats.ts).
  const claims = slarkInput.map(s => ({ ...s, ...(s.history ?? NEW_SLARK) }))
  // An era without verdicts (a devnet era is shorter than an epoch) is no evidence either way: it holds.
  const bests = slarkInput.map(s => s.challenges === 0 ? null : slarkBest(s))
  const transitions: Transition[] = claims.map((c, i) => slarkInput[i].challenges === 0
    ? { tier: c.tier, promoteStreak: c.promoteStreak, demoteStreak: c.demoteStreak, change: 'held' }
    : nextSlarkTier(c, bests[i], c.optIn))
  const waiting = seatPromotions(claims, transitions, p.slarkTierSlots)
  const slarks = slarkInput.map((s, i) => computeSlark(s, bests[i], transitions[i], waiting.has(i), p, whySlark))
  return { era: input.era, params: p, providers, slarks, payouts: payoutsOf(providers, slarks), totals: totalsOf(providers, slarks) }
}

/** A failed challenge loses its hour's reward (if not lost already) and is an incident of its own. */
function withFailedChallenges (scan: OutageScan, failed: readonly number[], hourSeconds: number): OutageScan {
  if (failed.length === 0) return scan
  const lost = new Map(scan.lostHours.map(l => [l.hour, l]))
  for (const t of failed) {
    const hour = Math.floor(t / hourSeconds)
    if (!lost.has(hour)) lost.set(hour, { hour, reason: 'challenge' })
  }
  const incidents: Incident[] = [...scan.incidents, ...[...failed].sort((a, b) => a - b)
    .map(t => ({ from: t, to: t, seconds: 0, workloadFee: 0n, slash: 0n, rule: 'challenge' as const }))]
  return { ...scan, lostHours: [...lost.values()].sort((a, b) => a.hour - b.hour), incidents }
}

function computeProvider (m: ProviderMetrics, era: Era): ProviderResult {
  const { p, hours } = era
  const h = m.history ?? NEW_PROVIDER_HISTORY
  const delegations = sorted(m.delegations, byDelegator)
  let totalStake = m.stake
  for (const d of delegations) totalStake += d.amount
  const scan = withFailedChallenges(scanOutages(m.offline, m.workloads, h, p.eraSeconds, p.hourSeconds), m.failedChallenges ?? [], p.hourSeconds)
  const ev = era.ev
  ev.onlineSeconds = p.eraSeconds - scan.downSeconds
  ev.tasksAssigned = m.tasks.assigned
  ev.tasksCompleted = m.tasks.completed
  ev.responseCount = m.response.count
  ev.responseTotalMs = m.response.totalMs
  ev.ratingCount = m.ratings.count
  ev.ratingSum = m.ratings.sum
  ev.stake = totalStake
  const X = p.stakeThresholds
  const best = bestProviderTier(ev, X)
  const stakeBest = stakeTier(totalStake, X)
  const missed = missNames(providerMisses(h.tier, ev, X))
  const tr = nextProviderTier(h, best, stakeBest)

  const rewardTier = Math.max(h.tier, stakeBest ?? PROVIDER_TIER_COUNT)
  const attrs = attributeBps(m.attributes)
  const multiplierBps = providerMultiplierBps(rewardTier, attrs)
  let perHour = era.perHour.get(multiplierBps)
  if (perHour === undefined) era.perHour.set(multiplierBps, perHour = hourReward(p.baseRewardPerHour, multiplierBps))
  const hoursRewarded = hours - scan.lostHours.length
  const key = multiplierBps * (hours + 1) + hoursRewarded
  let reward = era.total.get(key)
  if (reward === undefined) era.total.set(key, reward = perHour * BigInt(hoursRewarded))
  const shares = shareByStake(reward, delegations, totalStake)
  let ownShare = reward
  for (const s of shares) ownShare -= s.amount
  const slash = slashIncidents(scan.incidents, perHour, m.stake)

  const r: ProviderResult = {
    address: m.address,
    tierBefore: h.tier,
    tierAfter: tr.tier,
    change: tr.change,
    bestTierMet: best,
    stakeTier: stakeBest,
    missed,
    uptimePpm: Math.floor(ev.onlineSeconds * PPM / p.eraSeconds),
    completionPpm: m.tasks.assigned === 0 ? null : Math.floor(m.tasks.completed * PPM / m.tasks.assigned),
    meanResponseMs: m.response.count === 0 ? null : m.response.totalMs / m.response.count,
    ratingCenti: m.ratings.count === 0 ? null : Math.floor(m.ratings.sum * 100 / m.ratings.count),
    totalStake,
    rewardTier,
    trustBps: PROVIDER_TIERS[rewardTier - 1].multiplierBps,
    attributeBps: attrs,
    multiplierBps,
    hourReward: perHour,
    hoursRewarded,
    lostHours: scan.lostHours,
    reward,
    ownShare,
    shares,
    incidents: scan.incidents,
    slash,
    history: {
      tier: tr.tier,
      promoteStreak: tr.promoteStreak,
      demoteStreak: tr.demoteStreak,
      offlineSeconds: scan.offlineSeconds,
      offlineSlashed: scan.offlineSlashed,
      cooldownSeconds: scan.cooldownSeconds
    },
    why: NO_WHY
  }
  if (era.whyProvider !== null) Object.defineProperty(r, 'why', era.whyProvider)
  return r
}

const NO_WHY: readonly string[] = Object.freeze([])

/**
 * `why` is written on first read: at 100k nodes the prose costs several times the maths, and a
 * simulation never reads it. JSON.stringify and spreads read it like any other field. One
 * descriptor per era serves every node (`this` is the node's result).
 */
function lazyWhy<R extends { why: readonly string[] }> (write: (r: R) => string[]): PropertyDescriptor {
  const settle = (r: R, why: readonly string[]): void => { Object.defineProperty(r, 'why', { value: why, enumerable: true, writable: true, configurable: true }) }
  return {
    enumerable: true,
    configurable: true,
    get (this: R) {
      const why = write(this)
      // a frozen result cannot keep it: it is written again on the next read
      if (Object.getOwnPropertyDescriptor(this, 'why')?.configurable === true) settle(this, why)
      return why
    },
    set (this: R, why: readonly string[]) { settle(this, why) }
  }
}

const slarkEvidence = (s: SlarkMetrics): SlarkEvidence => ({ challenges: s.challenges, agreed: s.agreed, responseCount: s.response.count, responseTotalMs: s.response.totalMs })
const slarkBest = (s: SlarkMetrics): number | null => bestSlarkTier(slarkEvidence(s))

function computeSlark (s: SlarkMetrics, best: number | null, tr: Transition, waitingForSeat: boolean, p: EraParams, whySlark: PropertyDescriptor | null): SlarkResult {
  const h = s.history ?? NEW_SLARK
  const ev = slarkEvidence(s)
  // An era without verdicts is no evidence either way (see computeEra): it held.
  const idle = s.challenges === 0
  // paid at the tier it held while doing the challenges
  const reward = slarkReward(s.challenges, p.slarkRewardPerChallenge, h.tier)
  const { delegated, liquid } = splitSlarkReward(reward, p.slarkDelegateBps)
  const r: SlarkResult = {
    address: s.address,
    tierBefore: h.tier,
    tierAfter: tr.tier,
    change: tr.change,
    bestTierMet: best,
    missed: idle ? missNames(0) : missNames(slarkMisses(h.tier, ev)),
    accuracyPpm: s.challenges === 0 ? null : Math.floor(s.agreed * PPM / s.challenges),
    meanResponseMs: s.response.count === 0 ? null : s.response.totalMs / s.response.count,
    challenges: s.challenges,
    multiplierBps: SLARK_TIERS[h.tier - 1].multiplierBps,
    reward,
    delegateTo: s.delegateTo,
    delegated,
    liquid,
    challengesFromTier: SLARK_TIERS[tr.tier - 1].challengesFromTier,
    waitingForSeat,
    history: { tier: tr.tier, promoteStreak: tr.promoteStreak, demoteStreak: tr.demoteStreak },
    why: NO_WHY
  }
  if (whySlark !== null) Object.defineProperty(r, 'why', whySlark)
  return r
}

/**
 * The arrays a Rewards contract loops over. Liquid rewards are summed per account and sorted:
 * providers' own shares come already sorted, so only the other payees (delegators, slarks) are
 * sorted and then merged in, with no map over every account.
 */
function payoutsOf (providers: readonly ProviderResult[], slarks: readonly SlarkResult[]): EraPayouts {
  const payouts: EraPayouts = { rewards: [], slashes: [], tiers: [], slarkTiers: [], delegations: [] }
  const others: Array<{ account: Address, amount: bigint }> = []
  for (const r of providers) {
    for (const s of r.shares) if (s.amount > 0n) others.push({ account: s.account, amount: s.amount })
    if (r.slash > 0n) payouts.slashes.push({ account: r.address, amount: r.slash })
    if (r.tierAfter !== r.tierBefore) payouts.tiers.push({ account: r.address, tier: r.tierAfter })
  }
  for (const s of slarks) {
    if (s.liquid > 0n) others.push({ account: s.address, amount: s.liquid })
    if (s.delegated > 0n) payouts.delegations.push({ slark: s.address, provider: s.delegateTo, amount: s.delegated })
    if (s.tierAfter !== s.tierBefore) payouts.slarkTiers.push({ account: s.address, tier: s.tierAfter })
  }
  others.sort(byAccount)
  const out = payouts.rewards
  const push = (account: Address, amount: bigint): void => {
    const last = out[out.length - 1]
    if (last !== undefined && last.account === account) last.amount += amount
    else out.push({ account, amount })
  }
  let j = 0
  for (const r of providers) {
    while (j < others.length && others[j].account < r.address) { push(others[j].account, others[j].amount); j++ }
    if (r.ownShare > 0n) push(r.address, r.ownShare)
  }
  for (; j < others.length; j++) push(others[j].account, others[j].amount)
  return payouts
}

function totalsOf (providers: readonly ProviderResult[], slarks: readonly SlarkResult[]): EraReport['totals'] {
  const totals = { providerRewards: 0n, slarkRewards: 0n, delegated: 0n, slashes: 0n }
  for (const r of providers) {
    totals.providerRewards += r.reward
    totals.slashes += r.slash
  }
  for (const s of slarks) {
    totals.slarkRewards += s.reward
    totals.delegated += s.delegated
  }
  return totals
}

/** The next era's `history` for every provider and slark of a report, by address. */
export function carryHistory (report: HashedEraReport): { providers: Map<Address, ProviderHistory>, slarks: Map<Address, SlarkResult['history']> } {
  return {
    providers: new Map(report.providers.map(r => [r.address, r.history])),
    slarks: new Map(report.slarks.map(s => [s.address, s.history]))
  }
}
