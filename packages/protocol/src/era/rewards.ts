/**
 * Liveness rewards (§4.3.5, §4.3.7.1, §4.3.7.3) and slark era rewards (§4.5.6), in wei.
 * Multipliers add, they do not compound: trust 1.5× with attributes 2.0× pays 3.5×. Every
 * division rounds down, and where an amount is split the rounding dust goes to one named
 * party, so the parts always sum to the whole.
 */
import { BPS, PROVIDER_TIERS, SLARK_TIERS } from './tables.js'
import type { Attributes, Delegation, RewardShare } from './types.js'

const BPS_N = BigInt(BPS)

export function attributeBps (a: Attributes): number {
  return a.compute + a.storage + a.gpu + a.connectivity + a.compliance
}

/** Trust multiplier + attribute multipliers; tier 7 ("no rewards") gets 0 whatever its attributes. */
export function providerMultiplierBps (tier: number, attributes: number): number {
  const trust = PROVIDER_TIERS[tier - 1].multiplierBps
  return trust === 0 ? 0 : trust + attributes
}

/** One hour bucket's liveness reward: base × multiplier, rounded down to the wei. */
export function hourReward (basePerHour: bigint, multiplierBps: number): bigint {
  return basePerHour * BigInt(multiplierBps) / BPS_N
}

/**
 * A provider's reward shared between its own stake and its delegators (a gateway's fizz nodes
 * among them) pro rata to stake. These are the delegators' shares, each rounded down; the
 * provider's own share is the rest (`reward − Σ shares`), so it takes the rounding dust and not
 * a wei is lost.
 */
export function shareByStake (reward: bigint, delegations: readonly Delegation[], totalStake: bigint): RewardShare[] {
  if (delegations.length === 0) return NO_SHARES
  const shares: RewardShare[] = []
  for (const d of delegations) {
    shares.push({ account: d.delegator, stake: d.amount, amount: totalStake === 0n ? 0n : reward * d.amount / totalStake })
  }
  return shares
}
const NO_SHARES: RewardShare[] = Object.freeze([]) as unknown as RewardShare[]

/**
 * A slark's era reward: challenges done × reward per challenge × its tier's multiplier. A fixed
 * reward per challenge (not a pool split pro rata) keeps each slark's reward independent of the
 * others' and lets the network bound the era's issuance by the challenges it schedules.
 */
export function slarkReward (challenges: number, perChallenge: bigint, tier: number): bigint {
  return BigInt(challenges) * perChallenge * BigInt(SLARK_TIERS[tier - 1].multiplierBps) / BPS_N
}

/** 80 % (delegateBps) auto-delegated to the slark's chosen provider, rounded down; the liquid 20 % takes the dust. */
export function splitSlarkReward (reward: bigint, delegateBps: number): { delegated: bigint, liquid: bigint } {
  const delegated = reward * BigInt(delegateBps) / BPS_N
  return { delegated, liquid: reward - delegated }
}
