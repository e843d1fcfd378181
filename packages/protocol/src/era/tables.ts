/**
 * The paper's tier tables (§4.3.7 providers, §4.5.4 slarks) as integers, so every slark compares
 * the same way: ratios in parts per million, times in ms, ratings in hundredths, multipliers in
 * basis points, stake in wei. Every threshold is strict, as in the paper: uptime > 99 %, response
 * time < 100 ms.
 */
import { parseAmount } from '../units.js'

/** 1.0× in basis points. */
export const BPS = 10_000
/** 100 % in parts per million. */
export const PPM = 1_000_000

/** Provider trust tiers run 1 (most trusted) … 7; a new provider starts at 7. */
export const PROVIDER_TIER_COUNT = 7
export const NEW_PROVIDER_TIER = 7

export interface ProviderTierRow {
  tier: number
  /** Era uptime must be above this (ppm). */
  uptimePpm: number
  /** Task completion rate must be above this (ppm). */
  completionPpm: number
  /** Mean response time must be below this (ms). */
  responseMs: number
  /** Mean user rating must be above this (hundredths of a star); applies only once rated. */
  ratingCenti: number
  /** Liveness reward multiplier; tier 7 has 0 ("no rewards"). */
  multiplierBps: number
}

/**
 * The paper's provider tier table; the stake column (X1…X7) is a parameter, see
 * `DEFAULT_STAKE_THRESHOLDS`. Tier 1's "compliance (SOC II) and audit reports" is a registry
 * matter, not an era metric, and is not checked here.
 */
export const PROVIDER_TIERS: readonly ProviderTierRow[] = [
  { tier: 1, uptimePpm: 990_000, completionPpm: 980_000, responseMs: 100, ratingCenti: 450, multiplierBps: 20_000 },
  { tier: 2, uptimePpm: 980_000, completionPpm: 960_000, responseMs: 150, ratingCenti: 420, multiplierBps: 17_000 },
  { tier: 3, uptimePpm: 970_000, completionPpm: 940_000, responseMs: 200, ratingCenti: 400, multiplierBps: 15_000 },
  { tier: 4, uptimePpm: 950_000, completionPpm: 900_000, responseMs: 250, ratingCenti: 380, multiplierBps: 12_000 },
  { tier: 5, uptimePpm: 900_000, completionPpm: 850_000, responseMs: 300, ratingCenti: 350, multiplierBps: 11_000 },
  { tier: 6, uptimePpm: 850_000, completionPpm: 800_000, responseMs: 400, ratingCenti: 320, multiplierBps: 10_000 },
  { tier: 7, uptimePpm: 750_000, completionPpm: 750_000, responseMs: 500, ratingCenti: 300, multiplierBps: 0 }
]

/** X1…X7: the paper's example stakes, 500/400/300/200/150/100/50 SPON (stake must be above them). */
export const DEFAULT_STAKE_THRESHOLDS: readonly bigint[] = ['500', '400', '300', '200', '150', '100', '50'].map(s => parseAmount(s))

/** Slark tiers run 1 (entry) … 6 (best) — the opposite direction to providers'. */
export const SLARK_TIER_COUNT = 6
export const NEW_SLARK_TIER = 1

export interface SlarkTierRow {
  tier: number
  /** Verification accuracy must be above this (ppm). */
  accuracyPpm: number
  /** Mean response time must be below this (ms). */
  responseMs: number
  /** It may challenge providers of this tier and every worse one (tier number ≥ this). */
  challengesFromTier: number
  multiplierBps: number
}

/** The paper's slark tier table (the node-sale buy amount Y1…Y6 is settled by the licence, not per era). */
export const SLARK_TIERS: readonly SlarkTierRow[] = [
  { tier: 1, accuracyPpm: 900_000, responseMs: 350, challengesFromTier: 6, multiplierBps: 10_000 },
  { tier: 2, accuracyPpm: 920_000, responseMs: 300, challengesFromTier: 5, multiplierBps: 12_000 },
  { tier: 3, accuracyPpm: 950_000, responseMs: 250, challengesFromTier: 4, multiplierBps: 14_000 },
  { tier: 4, accuracyPpm: 970_000, responseMs: 200, challengesFromTier: 3, multiplierBps: 16_000 },
  { tier: 5, accuracyPpm: 980_000, responseMs: 150, challengesFromTier: 2, multiplierBps: 18_000 },
  { tier: 6, accuracyPpm: 990_000, responseMs: 100, challengesFromTier: 1, multiplierBps: 20_000 }
]

/** Whether a slark of `slarkTier` may challenge a provider of `providerTier`. */
export function slarkMayChallenge (slarkTier: number, providerTier: number): boolean {
  const row = SLARK_TIERS[slarkTier - 1]
  return row !== undefined && providerTier >= row.challengesFromTier && providerTier <= PROVIDER_TIER_COUNT
}

/** Eras needed in a row for each transition (§4.3.6 and §4.5.5). */
export const PROVIDER_PROMOTION_ERAS = 3
export const PROVIDER_DEMOTION_ERAS = 5
export const SLARK_PROMOTION_ERAS = 3
export const SLARK_DEMOTION_ERAS = 2

/** The era's parameters; each can be overridden in the input's `params`. */
export interface EraParams {
  /** Length of the era in seconds (mainnet 86 400; devnet e.g. 120). */
  eraSeconds: number
  /**
   * Length of one reward "hour" bucket in seconds (mainnet 3600; devnet shorter). Every "hour" of
   * the rules — reward per hour, offline for more than an hour, the cooldown — is one bucket.
   */
  hourSeconds: number
  /** Liveness reward per rewarded hour at 1.0×, in wei. */
  baseRewardPerHour: bigint
  /** Slark reward per challenge done at 1.0×, in wei. */
  slarkRewardPerChallenge: bigint
  /** Share of a slark's era reward delegated to its chosen provider (8000 = 80 %); the rest is liquid. */
  slarkDelegateBps: number
  /** X1…X7 in wei, non-increasing. */
  stakeThresholds: readonly bigint[]
  /**
   * Seats of slark tiers 1…6 (null: no limit); a slark is promoted only into a free seat (§4.5.5,
   * see seats.ts). Tier 1's entry is ignored: every slark starts there.
   */
  slarkTierSlots: readonly (number | null)[]
}

/**
 * Defaults. The paper gives no amounts for the liveness or challenge rewards; 1 SPON per hour at
 * 1.0× and 0.1 SPON per challenge are this implementation's defaults, meant to be set per network.
 */
export const DEFAULT_ERA_PARAMS: Readonly<EraParams> = {
  eraSeconds: 86_400,
  hourSeconds: 3600,
  baseRewardPerHour: parseAmount('1'),
  slarkRewardPerChallenge: parseAmount('0.1'),
  slarkDelegateBps: 8000,
  stakeThresholds: DEFAULT_STAKE_THRESHOLDS,
  // the paper leaves the seats to the node sale: none limited unless a network sets them
  slarkTierSlots: [null, null, null, null, null, null]
}
