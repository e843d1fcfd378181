/**
 * Seats in the slark tiers (§4.5.5): a slark moves up only "when there is any slot available in
 * the higher Tier", and only once its owner opted in. `params.slarkTierSlots[t − 1]` is how many
 * slarks tier t seats (null: no limit). Seats limit promotions only: every slark starts at tier 1
 * and a demotion lands where the rules say, full or not.
 *
 * Deterministic for every slark computing the era:
 * - A tier's seats taken are the era's slarks (its roster) whose tier after this era's holds and
 *   demotions is that tier; a promotion candidate holds its current seat until it moves.
 * - Promotions are seated from the best tier down, so a slark leaving tier t for t + 1 frees its
 *   seat in t for a candidate from t − 1 in the same era.
 * - Candidates for one tier are seated in this order (the tie-break): the longest promotion
 *   streak first — an opted-in slark waiting for a seat keeps counting its eras meeting the tier
 *   above (up to MAX_SLARK_STREAK), so the one that has waited longest goes first — then the
 *   better accuracy this era, then more verdicts cast, then the lower address.
 * - A candidate without a seat holds its tier and waits; it is seated in a later era once a seat
 *   is free, as long as it keeps meeting the tier above.
 */
import { SLARK_TIER_COUNT } from './tables.js'
import type { Transition } from './tiers.js'

/** A slark's promotion streak is a uint8 in the era history (ERA_HISTORY_ABI). */
export const MAX_SLARK_STREAK = 255

export interface SeatClaim {
  address: string
  /** The tier held this era and the streak carried into it. */
  tier: number
  promoteStreak: number
  challenges: number
  agreed: number
}

/** Whether slark `a` is seated before slark `b` when both want the same tier (negative: a first). */
export function seatOrder (a: SeatClaim, b: SeatClaim): number {
  if (a.promoteStreak !== b.promoteStreak) return b.promoteStreak - a.promoteStreak
  // accuracy agreed/challenges, cross-multiplied exactly (counts reach 10^9: bigint)
  const x = BigInt(a.agreed) * BigInt(Math.max(b.challenges, 1))
  const y = BigInt(b.agreed) * BigInt(Math.max(a.challenges, 1))
  if (x !== y) return x > y ? -1 : 1
  if (a.challenges !== b.challenges) return b.challenges - a.challenges
  return a.address < b.address ? -1 : a.address > b.address ? 1 : 0
}

/**
 * Applies the seat limits to the era's slark transitions (`transitions[i]` is `claims[i]`'s, from
 * nextSlarkTier, which promotes only opted-in slarks). A promotion without a free seat becomes a
 * hold whose streak goes on counting; returns the indices of the slarks left waiting.
 */
export function seatPromotions (claims: readonly SeatClaim[], transitions: Transition[], slots: readonly (number | null)[]): Set<number> {
  const waiting = new Set<number>()
  if (slots.every(s => s === null)) return waiting
  const taken = new Array<number>(SLARK_TIER_COUNT + 1).fill(0)
  const wanting: number[][] = Array.from({ length: SLARK_TIER_COUNT + 1 }, () => [])
  for (let i = 0; i < claims.length; i++) {
    const tr = transitions[i]
    if (tr.change === 'promoted') {
      taken[claims[i].tier]++
      wanting[tr.tier].push(i)
    } else {
      taken[tr.tier]++
    }
  }
  for (let t = SLARK_TIER_COUNT; t >= 2; t--) {
    const limit = slots[t - 1]
    const order = wanting[t].sort((i, j) => seatOrder(claims[i], claims[j]))
    for (const i of order) {
      if (limit === null || taken[t] < limit) {
        taken[t]++
        taken[t - 1]--
        continue
      }
      const c = claims[i]
      transitions[i] = { tier: c.tier, promoteStreak: Math.min(c.promoteStreak + 1, MAX_SLARK_STREAK), demoteStreak: 0, change: 'held' }
      waiting.add(i)
    }
  }
  return waiting
}
