/**
 * What one era's computation reads and writes. Money is bigint wei; times are whole seconds from
 * the era's start; nothing is a float, so every slark gets byte-identical results.
 */
import type { Address } from '../types.js'
import type { EraParams } from './tables.js'

/** A stretch of time in seconds from the era's start, `from` included, `to` excluded. */
export interface Span { from: number, to: number }

/** A lease that ran on the provider during the era, clipped to the era. */
export interface Workload extends Span {
  /** What the user pays for one hour bucket of it, in wei (the workload slash). */
  feePerHour: bigint
}

export interface Delegation { delegator: Address, amount: bigint }

/** Per-provider state carried from one era to the next: the previous report's `history`. */
export interface ProviderHistory {
  tier: number
  /** Eras in a row meeting the next tier up. */
  promoteStreak: number
  /** Eras in a row failing the current tier. */
  demoteStreak: number
  /** How long it had been offline at the end of the era (0 = online): the stretch goes on. */
  offlineSeconds: number
  /** The stretch going on at the end of the era has already been slashed. */
  offlineSlashed: boolean
  /** Seconds of reconnect cooldown spilling into the next era. */
  cooldownSeconds: number
}

export interface SlarkHistory {
  /** 1 (entry) … 6 (best). */
  tier: number
  promoteStreak: number
  demoteStreak: number
}

/** Attribute multipliers (§4.3.6) in basis points; they add to the trust multiplier. */
export interface Attributes {
  compute: number
  storage: number
  gpu: number
  connectivity: number
  compliance: number
}

export interface ProviderMetrics {
  address: Address
  /** The provider's own stake, wei. */
  stake: bigint
  /** Stake delegated to it (a gateway's fizz nodes, token holders, slarks' auto-delegation). */
  delegations: Delegation[]
  attributes: Attributes
  /** Tasks (challenges and deployments) given to it this era and how many it completed. */
  tasks: { assigned: number, completed: number }
  /** Response times measured this era: how many and their sum in ms. */
  response: { count: number, totalMs: number }
  /** User ratings (1–5 stars) received: how many and their sum; none = the rating criterion does not apply. */
  ratings: { count: number, sum: number }
  /** When it was offline or paused, sorted, disjoint and not touching. */
  offline: Span[]
  /** Leases it ran (overlapping is fine). */
  workloads: Workload[]
  /**
   * When (seconds from the era's start) a committee found it short of the capacity it
   * registered: each loses that hour's reward and slashes one hour's liveness reward (§4.3.4).
   */
  failedChallenges?: number[]
  /** Null for a provider in its first era. */
  history: ProviderHistory | null
}

export interface SlarkMetrics {
  address: Address
  /** The provider that receives the auto-delegated 80 %. */
  delegateTo: Address
  /** Challenges it did this era (verdicts cast). */
  challenges: number
  /** Of those, verdicts that agreed with the final quorum. */
  agreed: number
  response: { count: number, totalMs: number }
  /** Its owner opted in to move up a tier (§4.5.5); it still needs a free seat there (seats.ts). */
  optIn: boolean
  /** Null for a slark in its first era. */
  history: SlarkHistory | null
}

export interface EraInput {
  era: number
  params: EraParams
  providers: ProviderMetrics[]
  slarks: SlarkMetrics[]
}

/** A reward "hour" bucket that earned nothing, and why. */
export interface LostHour { hour: number, reason: 'offline' | 'cooldown' | 'challenge' }

/** One stretch of offline time and what it cost. */
export interface Incident {
  /** This era's part of the stretch. */
  from: number
  to: number
  /** The whole stretch, including the part carried from earlier eras. */
  seconds: number
  /** Sum of the fees per hour of the workloads it interrupted (0 in standby). */
  workloadFee: bigint
  /** Slashed from stake for it (0 when it does not qualify or was slashed in an earlier era). */
  slash: bigint
  /** Why it was slashed, or why not. */
  rule: 'workload' | 'standby' | 'short' | 'already-slashed' | 'challenge'
}

export interface RewardShare {
  account: Address
  stake: bigint
  amount: bigint
}

export type TierChange = 'held' | 'promoted' | 'demoted' | 'stake'

export interface ProviderResult {
  address: Address
  tierBefore: number
  tierAfter: number
  change: TierChange
  /** The best tier whose every requirement it met this era (null: not even tier 7). */
  bestTierMet: number | null
  /** The best tier its stake allows (null: not even tier 7). */
  stakeTier: number | null
  /** Requirements of the tier it held that it missed this era, e.g. `uptime`, `stake`. */
  missed: readonly string[]
  /** Era figures: uptime and completion in ppm (null: no tasks), mean response in ms, rating in hundredths. */
  uptimePpm: number
  completionPpm: number | null
  meanResponseMs: number | null
  ratingCenti: number | null
  /** Own stake plus delegations. */
  totalStake: bigint
  /** The tier its rewards were paid at: the one it held, at once capped by what its stake allows. */
  rewardTier: number
  trustBps: number
  attributeBps: number
  /** trust + attributes (0 at tier 7). */
  multiplierBps: number
  /** One hour bucket's liveness reward. */
  hourReward: bigint
  hoursRewarded: number
  lostHours: readonly LostHour[]
  reward: bigint
  /** The provider's own share of the reward (all of it without delegations); it takes the rounding dust. */
  ownShare: bigint
  /** Its delegators' shares, pro rata to stake, rounded down, sorted by delegator. */
  shares: readonly RewardShare[]
  incidents: readonly Incident[]
  slash: bigint
  /** Next era's `history`. */
  history: ProviderHistory
  /** One line per decision, for operators. */
  why: readonly string[]
}

export interface SlarkResult {
  address: Address
  tierBefore: number
  tierAfter: number
  change: TierChange
  bestTierMet: number | null
  missed: readonly string[]
  accuracyPpm: number | null
  meanResponseMs: number | null
  challenges: number
  multiplierBps: number
  reward: bigint
  delegateTo: Address
  delegated: bigint
  liquid: bigint
  /** Provider tiers it may challenge next era: this one and every worse one. */
  challengesFromTier: number
  /** It met the tier above long enough and opted in, but that tier's seats are all taken: it waits. */
  waitingForSeat: boolean
  history: SlarkHistory
  why: readonly string[]
}

/** The part of the report a Rewards contract acts on: plain arrays, sorted by address. */
export interface EraPayouts {
  /** Liquid rewards: provider shares, delegators' shares, slarks' liquid 20 %, summed per account. */
  rewards: Array<{ account: Address, amount: bigint }>
  slashes: Array<{ account: Address, amount: bigint }>
  /** Providers whose tier changed. */
  tiers: Array<{ account: Address, tier: number }>
  /** Slarks whose tier changed. */
  slarkTiers: Array<{ account: Address, tier: number }>
  /** Slarks' auto-delegated 80 %, sorted by slark. */
  delegations: Array<{ slark: Address, provider: Address, amount: bigint }>
}

export interface EraReport {
  era: number
  params: EraParams
  /** Sorted by address. */
  providers: ProviderResult[]
  /** Sorted by address. */
  slarks: SlarkResult[]
  payouts: EraPayouts
  totals: { providerRewards: bigint, slarkRewards: bigint, delegated: bigint, slashes: bigint }
}
