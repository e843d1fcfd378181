/**
 * Era maths (SPEC.md "Eras, tiers, rewards, slashing"; the paper's §4.3.5–4.3.8, §4.5.4–4.5.6):
 * pure, deterministic, integer-only.
 *
 * - `parseEraInput(json)`: the metrics JSON → EraInput; errors name the field (SchemaError).
 * - `computeEra(input, { explain? })`: tiers, liveness rewards (shared with delegators), slashes
 *   and slark rewards → EraReport, sorted by address, with `why` lines per node (written when
 *   read; `explain: false` drops them, about twice as fast at 100k nodes). Each result's
 *   `history` is that node's `history` in the next era's input (`carryHistory` collects them).
 * - `encodeEraReport` / `eraReportHash`: the ABI encoding a Rewards contract checks and its keccak256.
 * - `settledEraOf` / `parseSettledEra`: the hashed part of a report (payouts and histories) as
 *   slarks serve it to each other over `/dcn/era/1.0.0`, checked against the hash on chain.
 * - tables: PROVIDER_TIERS, SLARK_TIERS, DEFAULT_ERA_PARAMS (X1…X7 = 500…50 SPON).
 * - `attributeMultipliers(declared, capacity)`: a provider's declared attributes (registry) → the
 *   basis points they add to its liveness multiplier (ATTRIBUTE_BPS).
 * - the rules one by one: `providerMisses`, `nextProviderTier`, `nextSlarkTier`, `seatPromotions`
 *   (slark promotions into a tier's free seats, `params.slarkTierSlots`), `scanOutages`,
 *   `shareByStake`, `slarkReward`, `incidentSlash`.
 */
export * from './types.js'
export * from './tables.js'
export * from './attributes.js'
export { parseEraInput, checkEraInput } from './input.js'
export { explainProvider, explainSlark } from './explain.js'
export * from './tiers.js'
export { seatPromotions, seatOrder, MAX_SLARK_STREAK, type SeatClaim } from './seats.js'
export { scanOutages, type OutageScan } from './outages.js'
export * from './rewards.js'
export * from './slashing.js'
export { computeEra, carryHistory, type ComputeOptions } from './compute.js'
export * from './report.js'
export * from './settled.js'
