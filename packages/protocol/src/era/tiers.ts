/**
 * Tier qualification and transitions (§4.3.7, §4.3.6 "Tier Transition Mechanism", §4.5.4–4.5.5).
 * Every comparison is an exact integer cross-multiplication (a/b > t/10^6 ⇔ a·10^6 > t·b), strict
 * as in the paper's tables.
 */
import {
  NEW_PROVIDER_TIER, NEW_SLARK_TIER, PPM, PROVIDER_DEMOTION_ERAS, PROVIDER_PROMOTION_ERAS, PROVIDER_TIERS, PROVIDER_TIER_COUNT,
  SLARK_DEMOTION_ERAS, SLARK_PROMOTION_ERAS, SLARK_TIERS, SLARK_TIER_COUNT
} from './tables.js'
import type { TierChange } from './types.js'

/** What a provider showed this era. */
export interface ProviderEvidence {
  onlineSeconds: number
  eraSeconds: number
  tasksAssigned: number
  tasksCompleted: number
  responseCount: number
  responseTotalMs: number
  ratingCount: number
  ratingSum: number
  /** Own stake plus delegations, wei. */
  stake: bigint
}

/** Requirement bits, so a miss costs no allocation. */
export const MISS = { uptime: 1, completion: 2, response: 4, rating: 8, stake: 16, accuracy: 32 } as const
const MISS_NAMES = Object.entries(MISS) as Array<[string, number]>

const NO_MISSES: readonly string[] = Object.freeze([])

export function missNames (mask: number): readonly string[] {
  if (mask === 0) return NO_MISSES
  const out: string[] = []
  for (const [name, bit] of MISS_NAMES) if ((mask & bit) !== 0) out.push(name)
  return out
}

/**
 * The requirements of provider tier `tier` that the evidence misses (0 = it meets the tier).
 * Uptime > U, stake > X; completion > C, mean response < R and rating > F only where the era
 * has evidence of them (tasks, response samples, ratings: "when implemented"). Challenges give
 * both tasks and response samples, and an era shorter than an epoch (the devnet's) leaves a
 * provider unchallenged in some eras: only evidence counts against it.
 */
export function providerMisses (tier: number, ev: ProviderEvidence, stakeThresholds: readonly bigint[]): number {
  const row = PROVIDER_TIERS[tier - 1]
  let mask = 0
  if (!(ev.onlineSeconds * PPM > row.uptimePpm * ev.eraSeconds)) mask |= MISS.uptime
  if (ev.tasksAssigned > 0 && !(ev.tasksCompleted * PPM > row.completionPpm * ev.tasksAssigned)) mask |= MISS.completion
  if (ev.responseCount > 0 && !(ev.responseTotalMs < row.responseMs * ev.responseCount)) mask |= MISS.response
  if (ev.ratingCount > 0 && !(ev.ratingSum * 100 > row.ratingCenti * ev.ratingCount)) mask |= MISS.rating
  if (!(ev.stake > stakeThresholds[tier - 1])) mask |= MISS.stake
  return mask
}

/**
 * The best (lowest-numbered) tier whose every requirement is met, or null. The table is monotone
 * (and X1 ≥ … ≥ X7 is enforced), so meeting a tier means meeting every worse one.
 */
export function bestProviderTier (ev: ProviderEvidence, stakeThresholds: readonly bigint[]): number | null {
  for (let t = 1; t <= PROVIDER_TIER_COUNT; t++) if (providerMisses(t, ev, stakeThresholds) === 0) return t
  return null
}

/** The best tier a stake allows (stake > X_t), or null when it is not above X7. */
export function stakeTier (stake: bigint, stakeThresholds: readonly bigint[]): number | null {
  for (let t = 1; t <= PROVIDER_TIER_COUNT; t++) if (stake > stakeThresholds[t - 1]) return t
  return null
}

export interface Transition { tier: number, promoteStreak: number, demoteStreak: number, change: TierChange }

export interface Streaks { tier: number, promoteStreak: number, demoteStreak: number }

export const NEW_PROVIDER: Readonly<Streaks> = { tier: NEW_PROVIDER_TIER, promoteStreak: 0, demoteStreak: 0 }
export const NEW_SLARK: Readonly<Streaks> = { tier: NEW_SLARK_TIER, promoteStreak: 0, demoteStreak: 0 }

/**
 * A provider's next tier:
 * - stake not above X of its tier → at once to the best tier its stake allows (7 when none);
 * - 3 eras in a row meeting the tier above (its stake included) → one tier up;
 * - 5 eras in a row failing its tier → down to the best tier it met this era (7 when none).
 * Any change resets both streaks; tier 7 has nowhere to fall, so it keeps no demotion streak.
 */
export function nextProviderTier (h: Streaks, best: number | null, stakeBest: number | null): Transition {
  const t = h.tier
  const stakeCap = stakeBest ?? PROVIDER_TIER_COUNT
  if (stakeCap > t) return { tier: stakeCap, promoteStreak: 0, demoteStreak: 0, change: 'stake' }
  const up = t > 1 && best !== null && best <= t - 1 ? h.promoteStreak + 1 : 0
  const down = t === PROVIDER_TIER_COUNT || (best !== null && best <= t) ? 0 : h.demoteStreak + 1
  if (up >= PROVIDER_PROMOTION_ERAS) return { tier: t - 1, promoteStreak: 0, demoteStreak: 0, change: 'promoted' }
  if (down >= PROVIDER_DEMOTION_ERAS) return { tier: best ?? PROVIDER_TIER_COUNT, promoteStreak: 0, demoteStreak: 0, change: 'demoted' }
  return { tier: t, promoteStreak: up, demoteStreak: down, change: 'held' }
}

export interface SlarkEvidence {
  challenges: number
  agreed: number
  responseCount: number
  responseTotalMs: number
}

/**
 * Accuracy (verdicts agreeing with the final quorum / verdicts cast) > A and mean response < R
 * (the other members' timings of its votes), the latter only where the era has samples of it
 * (as for providers, only evidence counts against a tier).
 */
export function slarkMisses (tier: number, ev: SlarkEvidence): number {
  const row = SLARK_TIERS[tier - 1]
  let mask = 0
  if (!(ev.challenges > 0 && ev.agreed * PPM > row.accuracyPpm * ev.challenges)) mask |= MISS.accuracy
  if (ev.responseCount > 0 && !(ev.responseTotalMs < row.responseMs * ev.responseCount)) mask |= MISS.response
  return mask
}

/** The best (highest-numbered) slark tier met, or null. */
export function bestSlarkTier (ev: SlarkEvidence): number | null {
  for (let t = SLARK_TIER_COUNT; t >= 1; t--) if (slarkMisses(t, ev) === 0) return t
  return null
}

/**
 * A slark's next tier: one up after 3 eras in a row meeting the tier above, only once its owner
 * opted in (the streak waits at 3 until then); after 2 eras in a row failing its tier, down to the
 * best tier it met this era (1 when none). Tier 1 has nowhere to fall.
 */
export function nextSlarkTier (h: Streaks, best: number | null, optIn: boolean): Transition {
  const t = h.tier
  const up = t < SLARK_TIER_COUNT && best !== null && best >= t + 1 ? Math.min(h.promoteStreak + 1, SLARK_PROMOTION_ERAS) : 0
  const down = t === 1 || (best !== null && best >= t) ? 0 : h.demoteStreak + 1
  if (up >= SLARK_PROMOTION_ERAS && optIn) return { tier: t + 1, promoteStreak: 0, demoteStreak: 0, change: 'promoted' }
  if (down >= SLARK_DEMOTION_ERAS) return { tier: best ?? 1, promoteStreak: 0, demoteStreak: 0, change: 'demoted' }
  return { tier: t, promoteStreak: up, demoteStreak: down, change: 'held' }
}
