/**
 * The era metrics JSON: `parseEraInput` checks shape and meaning and throws a SchemaError whose
 * one-line message names the field, e.g. `providers[2].offline[1].to: must be after from (7200)`.
 * Amounts are wei as decimal strings; times are whole seconds from the era's start; counts are
 * integers. Absent optional fields take the values below; `params` fields default to
 * DEFAULT_ERA_PARAMS.
 */
import { SchemaError, address, arr, bool, obj, uint, uint256, type Parser } from '../schema.js'
import {
  DEFAULT_ERA_PARAMS, PROVIDER_DEMOTION_ERAS, PROVIDER_PROMOTION_ERAS, PROVIDER_TIER_COUNT, SLARK_DEMOTION_ERAS,
  SLARK_TIER_COUNT, BPS, type EraParams
} from './tables.js'
import type { EraInput, ProviderMetrics, SlarkMetrics, Span } from './types.js'
import { MAX_SLARK_STREAK } from './seats.js'

const optional = <T>(p: Parser<T>, fallback: T): Parser<T> => (v, path) => v === undefined ? fallback : p(v, path)

/** Long enough for a year-long era; keeps every ppm product below 2^53. */
const MAX_ERA_SECONDS = 366 * 86_400
/** Counts of tasks, responses, ratings, challenges: products with 10^6 stay exact. */
const MAX_COUNT = 1_000_000_000
const MAX_LIST = 10_000_000
/** Attribute multipliers above 10× are surely a unit mistake (they are basis points). */
const MAX_ATTRIBUTE_BPS = 100_000

const span = { from: uint(MAX_ERA_SECONDS), to: uint(MAX_ERA_SECONDS) }
const wei = uint256()

const paramsSchema = obj({
  eraSeconds: optional(uint(MAX_ERA_SECONDS, 1), DEFAULT_ERA_PARAMS.eraSeconds),
  hourSeconds: optional(uint(MAX_ERA_SECONDS, 1), DEFAULT_ERA_PARAMS.hourSeconds),
  baseRewardPerHour: optional(wei, DEFAULT_ERA_PARAMS.baseRewardPerHour),
  slarkRewardPerChallenge: optional(wei, DEFAULT_ERA_PARAMS.slarkRewardPerChallenge),
  slarkDelegateBps: optional(uint(BPS), DEFAULT_ERA_PARAMS.slarkDelegateBps),
  stakeThresholds: optional(arr(wei, PROVIDER_TIER_COUNT), DEFAULT_ERA_PARAMS.stakeThresholds),
  slarkTierSlots: optional(arr((v, path) => v === null ? null : uint(MAX_LIST)(v, path), SLARK_TIER_COUNT), DEFAULT_ERA_PARAMS.slarkTierSlots)
})

const attributeBps = optional(uint(MAX_ATTRIBUTE_BPS), 0)
const noAttributes = { compute: 0, storage: 0, gpu: 0, connectivity: 0, compliance: 0 }

const providerSchema: Parser<ProviderMetrics> = obj({
  address,
  stake: wei,
  delegations: optional(arr(obj({ delegator: address, amount: wei }), MAX_LIST), []),
  attributes: optional(obj({ compute: attributeBps, storage: attributeBps, gpu: attributeBps, connectivity: attributeBps, compliance: attributeBps }), noAttributes),
  tasks: obj({ assigned: uint(MAX_COUNT), completed: uint(MAX_COUNT) }),
  response: obj({ count: uint(MAX_COUNT), totalMs: uint() }),
  ratings: optional(obj({ count: uint(MAX_COUNT), sum: uint(5 * MAX_COUNT) }), { count: 0, sum: 0 }),
  offline: optional(arr(obj(span), MAX_LIST), []),
  workloads: optional(arr(obj({ ...span, feePerHour: wei }), MAX_LIST), []),
  failedChallenges: optional(arr(uint(MAX_ERA_SECONDS), MAX_LIST), []),
  history: optional(obj({
    tier: uint(PROVIDER_TIER_COUNT, 1),
    promoteStreak: optional(uint(PROVIDER_PROMOTION_ERAS - 1), 0),
    demoteStreak: optional(uint(PROVIDER_DEMOTION_ERAS - 1), 0),
    offlineSeconds: optional(uint(), 0),
    offlineSlashed: optional(bool(), false),
    cooldownSeconds: optional(uint(MAX_ERA_SECONDS), 0)
  }), null)
})

const slarkSchema: Parser<SlarkMetrics> = obj({
  address,
  delegateTo: address,
  challenges: uint(MAX_COUNT),
  agreed: uint(MAX_COUNT),
  response: obj({ count: uint(MAX_COUNT), totalMs: uint() }),
  optIn: optional(bool(), false),
  history: optional(obj({
    tier: uint(SLARK_TIER_COUNT, 1),
    // the streak waits at 3 until the owner opts in, and goes on counting while it waits for a seat
    promoteStreak: optional(uint(MAX_SLARK_STREAK), 0),
    demoteStreak: optional(uint(SLARK_DEMOTION_ERAS - 1), 0)
  }), null)
})

const inputSchema = obj({
  era: uint(),
  params: optional(paramsSchema, { ...DEFAULT_ERA_PARAMS }),
  providers: arr(providerSchema, MAX_LIST),
  slarks: optional(arr(slarkSchema, MAX_LIST), [])
})

/** Parses and checks the metrics JSON (already JSON.parse'd). */
export function parseEraInput (json: unknown): EraInput {
  const input = inputSchema(json, '')
  checkEraInput(input)
  unique(input.providers, 'providers')
  unique(input.slarks, 'slarks')
  return input
}

function unique (items: ReadonlyArray<{ address: string }>, what: string): void {
  const seen = new Set<string>()
  for (let i = 0; i < items.length; i++) {
    if (seen.has(items[i].address)) throw new SchemaError(`${what}[${i}].address`, `${items[i].address} is listed twice`)
    seen.add(items[i].address)
  }
}

/**
 * The checks a schema cannot express: counts that add up, outages in order, history in range.
 * computeEra runs them too (and refuses an address listed twice), so an input built in code is
 * held to the same rules.
 */
export function checkEraInput (input: EraInput): void {
  const p = input.params
  if (!Number.isSafeInteger(input.era) || input.era < 0) throw new SchemaError('era', 'expected a non-negative integer')
  if (!Number.isSafeInteger(p.eraSeconds) || p.eraSeconds < 1 || p.eraSeconds > MAX_ERA_SECONDS) throw new SchemaError('params.eraSeconds', `must be between 1 and ${MAX_ERA_SECONDS}`)
  if (!Number.isSafeInteger(p.hourSeconds) || p.hourSeconds < 1 || p.eraSeconds % p.hourSeconds !== 0) {
    throw new SchemaError('params.hourSeconds', `must divide params.eraSeconds (${p.eraSeconds}) into whole hours`)
  }
  if (p.slarkDelegateBps < 0 || p.slarkDelegateBps > BPS) throw new SchemaError('params.slarkDelegateBps', `must be between 0 and ${BPS}`)
  if (p.baseRewardPerHour < 0n) throw new SchemaError('params.baseRewardPerHour', 'must not be negative')
  if (p.slarkRewardPerChallenge < 0n) throw new SchemaError('params.slarkRewardPerChallenge', 'must not be negative')
  if (p.stakeThresholds.length !== PROVIDER_TIER_COUNT) throw new SchemaError('params.stakeThresholds', `expected ${PROVIDER_TIER_COUNT} amounts (X1…X7), got ${p.stakeThresholds.length}`)
  for (let t = 1; t < PROVIDER_TIER_COUNT; t++) {
    if (p.stakeThresholds[t] > p.stakeThresholds[t - 1]) throw new SchemaError(`params.stakeThresholds[${t}]`, `X${t + 1} must not exceed X${t}`)
  }
  if (p.slarkTierSlots.length !== SLARK_TIER_COUNT) throw new SchemaError('params.slarkTierSlots', `expected ${SLARK_TIER_COUNT} seat counts (tiers 1…6, null for no limit), got ${p.slarkTierSlots.length}`)
  for (const [i, n] of p.slarkTierSlots.entries()) {
    if (n !== null && !inRange(n, MAX_LIST)) throw new SchemaError(`params.slarkTierSlots[${i}]`, 'expected a whole number of seats or null (no limit)')
  }
  for (let i = 0; i < input.providers.length; i++) checkProvider(input.providers[i], i, p)
  for (let i = 0; i < input.slarks.length; i++) checkSlark(input.slarks[i], i)
}

/** Addresses are compared and sorted as strings, so they must be canonical: lowercase (the parser lowercases). */
const LOWER_ADDRESS = /^0x[0-9a-f]{40}$/

function checkAddress (a: string, at: string): void {
  if (!LOWER_ADDRESS.test(a)) throw new SchemaError(at, 'expected a lowercase 20-byte 0x address')
}

function checkProvider (m: ProviderMetrics, index: number, p: EraParams): void {
  const at = `providers[${index}]`
  checkAddress(m.address, `${at}.address`)
  if (m.stake < 0n) throw new SchemaError(`${at}.stake`, 'must not be negative')
  if (m.tasks.completed > m.tasks.assigned) throw new SchemaError(`${at}.tasks.completed`, `cannot exceed tasks.assigned (${m.tasks.assigned})`)
  checkSamples(m.response, `${at}.response`)
  const r = m.ratings
  if (r.count === 0 ? r.sum !== 0 : r.sum < r.count || r.sum > 5 * r.count) throw new SchemaError(`${at}.ratings.sum`, `must be between count and 5 × count (ratings are 1–5), got ${r.sum} for ${r.count}`)
  let end = -1
  for (let i = 0; i < m.offline.length; i++) {
    const s = m.offline[i]
    checkSpan(s, `${at}.offline[${i}]`, p.eraSeconds)
    if (s.from <= end) throw new SchemaError(`${at}.offline[${i}].from`, `must be after the previous outage's end (${end}); sort outages and merge touching ones`)
    end = s.to
  }
  for (const [i, t] of (m.failedChallenges ?? []).entries()) {
    if (t >= p.eraSeconds) throw new SchemaError(`${at}.failedChallenges[${i}]`, `must be a second of the era (below ${p.eraSeconds})`)
  }
  for (let i = 0; i < m.workloads.length; i++) {
    checkSpan(m.workloads[i], `${at}.workloads[${i}]`, p.eraSeconds)
    if (m.workloads[i].feePerHour < 0n) throw new SchemaError(`${at}.workloads[${i}].feePerHour`, 'must not be negative')
  }
  const delegators = m.delegations.length > 1 ? new Set<string>() : null
  for (let i = 0; i < m.delegations.length; i++) {
    const d = m.delegations[i]
    checkAddress(d.delegator, `${at}.delegations[${i}].delegator`)
    if (d.delegator === m.address) throw new SchemaError(`${at}.delegations[${i}].delegator`, 'is the provider itself; count its own stake in stake')
    if (delegators?.has(d.delegator) === true) throw new SchemaError(`${at}.delegations[${i}].delegator`, `${d.delegator} is listed twice`)
    if (d.amount < 0n) throw new SchemaError(`${at}.delegations[${i}].amount`, 'must not be negative')
    delegators?.add(d.delegator)
  }
  const h = m.history
  if (h === null) return
  if (!Number.isInteger(h.tier) || h.tier < 1 || h.tier > PROVIDER_TIER_COUNT) throw new SchemaError(`${at}.history.tier`, `must be between 1 and ${PROVIDER_TIER_COUNT}`)
  if (!inRange(h.promoteStreak, PROVIDER_PROMOTION_ERAS - 1)) throw new SchemaError(`${at}.history.promoteStreak`, `must be between 0 and ${PROVIDER_PROMOTION_ERAS - 1}`)
  if (!inRange(h.demoteStreak, PROVIDER_DEMOTION_ERAS - 1)) throw new SchemaError(`${at}.history.demoteStreak`, `must be between 0 and ${PROVIDER_DEMOTION_ERAS - 1}`)
  if (!inRange(h.offlineSeconds, Number.MAX_SAFE_INTEGER)) throw new SchemaError(`${at}.history.offlineSeconds`, 'expected a non-negative integer')
  if (h.offlineSlashed && h.offlineSeconds === 0) throw new SchemaError(`${at}.history.offlineSlashed`, 'can only be true while offlineSeconds > 0')
  if (!inRange(h.cooldownSeconds, p.hourSeconds - 1)) throw new SchemaError(`${at}.history.cooldownSeconds`, `must be between 0 and ${p.hourSeconds - 1} (less than one hour bucket)`)
  if (h.cooldownSeconds > 0 && h.offlineSeconds > 0) throw new SchemaError(`${at}.history.cooldownSeconds`, 'must be 0 while the provider is still offline (offlineSeconds > 0)')
}

function checkSlark (s: SlarkMetrics, index: number): void {
  const at = `slarks[${index}]`
  checkAddress(s.address, `${at}.address`)
  checkAddress(s.delegateTo, `${at}.delegateTo`)
  if (s.agreed > s.challenges) throw new SchemaError(`${at}.agreed`, `cannot exceed challenges (${s.challenges})`)
  checkSamples(s.response, `${at}.response`)
  const h = s.history
  if (h === null) return
  if (!Number.isInteger(h.tier) || h.tier < 1 || h.tier > SLARK_TIER_COUNT) throw new SchemaError(`${at}.history.tier`, `must be between 1 and ${SLARK_TIER_COUNT}`)
  if (!inRange(h.promoteStreak, MAX_SLARK_STREAK)) throw new SchemaError(`${at}.history.promoteStreak`, `must be between 0 and ${MAX_SLARK_STREAK}`)
  if (!inRange(h.demoteStreak, SLARK_DEMOTION_ERAS - 1)) throw new SchemaError(`${at}.history.demoteStreak`, `must be between 0 and ${SLARK_DEMOTION_ERAS - 1}`)
}

function checkSpan (s: Span, at: string, eraSeconds: number): void {
  if (!inRange(s.from, eraSeconds)) throw new SchemaError(`${at}.from`, `must be a whole second between 0 and ${eraSeconds}`)
  if (!inRange(s.to, eraSeconds)) throw new SchemaError(`${at}.to`, `must be a whole second between 0 and ${eraSeconds} (the era's length)`)
  if (s.to <= s.from) throw new SchemaError(`${at}.to`, `must be after from (${s.from})`)
}

function checkSamples (r: { count: number, totalMs: number }, at: string): void {
  if (r.count === 0 && r.totalMs !== 0) throw new SchemaError(`${at}.totalMs`, 'must be 0 when count is 0')
}

const inRange = (n: number, max: number): boolean => Number.isSafeInteger(n) && n >= 0 && n <= max
