/**
 * One era's metrics, assembled the same way by every slark from what the chain says (committee
 * results, stakes, leases) and what gossip showed it (heartbeats, measured responses): the
 * input of `computeEra`. Era e covers challenge slots [e·S, (e+1)·S); its "hours" are slots.
 * Response times, providers' and slarks', come only from the votes of the majorities the chain
 * recorded for the era's slots (a slark's measurements of others ride in its later votes, so
 * they count in the era of the vote that carries them).
 */
import { SLARK_TIER_COUNT } from '@dcn/protocol'
import type {
  Address, Attributes, Delegation, EraInput, EraParams, ProviderHistory, ProviderMetrics, SlarkHistory, SlarkMetrics, Workload
} from '@dcn/protocol'
import { slotStart, type SlotClock } from './schedule.js'

export interface EraResult {
  slot: number
  provider: Address
  passed: boolean
  /** The committee (bitmap order) and who signed. */
  committee: Address[]
  signers: Address[]
}

export interface EraProviderFacts {
  address: Address
  /** Unix seconds of its registration: before it (and while it boots) it cannot have been offline. */
  registeredAt: number
  /** Registry tier: where a provider without era history starts. */
  tier: number
  stake: bigint
  delegations: Delegation[]
  /** What its declared attributes add to its multiplier (attributeMultipliers of its registry record). */
  attributes: Attributes
  /** Users' ratings in the era (1–5 stars): how many, their sum. */
  ratings: { count: number, sum: number }
  /** Leases as the chain has them (unix seconds; end = planned end, closedAt 0 while open). */
  leases: Array<{ start: number, end: number, closedAt: number, pricePerSecond: bigint }>
}

export interface EraFacts {
  era: number
  clock: SlotClock
  eraSlots: number
  params: Omit<EraParams, 'eraSeconds' | 'hourSeconds'>
  providers: EraProviderFacts[]
  /**
   * Every slark of the era's roster, the provider it auto-delegates to, whether its owner opted in
   * to move up (registry attributes), and its registry tier.
   */
  slarks: Array<{ address: Address, delegateTo: Address, optIn: boolean, tier?: number }>
  results: EraResult[]
  /** Offline spans (seconds from the era's start) per provider, from heartbeats. */
  offline: (provider: Address) => Array<{ from: number, to: number }>
  /** Acknowledgement times of the provider measured by the given (slot, slark) votes. */
  response: (provider: Address, by: (slot: number, slark: string) => boolean) => { count: number, totalMs: number }
  /** A slark's response time as the other members measured it, from the given (slot, slark) votes. */
  slarkResponse: (slark: Address, by: (slot: number, slark: string) => boolean) => { count: number, totalMs: number }
  /** The previous era's carried histories (empty for era 0 or a slark that has none). */
  history: { providers: Map<Address, ProviderHistory>, slarks: Map<Address, SlarkHistory> }
}

export function eraWindow (clock: SlotClock, era: number, eraSlots: number): { from: number, to: number } {
  return { from: slotStart(clock, era * eraSlots), to: slotStart(clock, (era + 1) * eraSlots) }
}

const lower = (a: string): Address => a.toLowerCase() as Address

/** After registering, a node is not judged offline until it has had time to start and beat. */
export const BOOT_GRACE_SECONDS = 60

export function buildEraInput (f: EraFacts): EraInput {
  const { from, to } = eraWindow(f.clock, f.era, f.eraSlots)
  const eraSeconds = to - from
  const params: EraParams = { ...f.params, eraSeconds, hourSeconds: f.clock.slotSeconds }
  const majority = new Set(f.results.flatMap(r => r.signers.map(s => `${r.slot}:${lower(s)}`)))

  const providers: ProviderMetrics[] = f.providers.map(p => {
    const mine = f.results.filter(r => lower(r.provider) === lower(p.address))
    const workloads: Workload[] = p.leases.flatMap(l => {
      const a = Math.max(l.start, from)
      const b = Math.min(l.closedAt === 0 ? l.end : Math.min(l.end, l.closedAt), to)
      return b > a ? [{ from: a - from, to: b - from, feePerHour: l.pricePerSecond * 3600n }] : []
    })
    return {
      address: lower(p.address),
      stake: p.stake,
      delegations: p.delegations,
      attributes: p.attributes,
      tasks: { assigned: mine.length, completed: mine.filter(r => r.passed).length },
      response: f.response(p.address, (slot, slark) => majority.has(`${slot}:${slark}`)),
      ratings: p.ratings,
      offline: f.offline(p.address).flatMap(sp => {
        const judgedFrom = p.registeredAt + BOOT_GRACE_SECONDS - from
        return sp.to <= judgedFrom ? [] : [{ from: Math.max(sp.from, judgedFrom), to: sp.to }]
      }),
      workloads,
      failedChallenges: mine.filter(r => !r.passed).map(r => slotStart(f.clock, r.slot) - from).filter(t => t >= 0 && t < eraSeconds),
      history: f.history.providers.get(lower(p.address)) ??
        { tier: Math.min(7, Math.max(1, p.tier)), promoteStreak: 0, demoteStreak: 0, offlineSeconds: 0, offlineSlashed: false, cooldownSeconds: 0 }
    }
  })

  const slarks: SlarkMetrics[] = f.slarks.map(s => {
    const seated = f.results.filter(r => r.committee.some(m => lower(m) === lower(s.address)))
    return {
      address: lower(s.address),
      delegateTo: lower(s.delegateTo),
      challenges: seated.length,
      agreed: seated.filter(r => r.signers.some(m => lower(m) === lower(s.address))).length,
      response: f.slarkResponse(s.address, (slot, voter) => majority.has(`${slot}:${voter}`)),
      optIn: s.optIn,
      // Without era history a slark starts at its registry tier, as a provider does.
      history: f.history.slarks.get(lower(s.address)) ??
        (s.tier === undefined ? null : { tier: Math.min(SLARK_TIER_COUNT, Math.max(1, s.tier)), promoteStreak: 0, demoteStreak: 0 })
    }
  })
  return { era: f.era, params, providers, slarks }
}
