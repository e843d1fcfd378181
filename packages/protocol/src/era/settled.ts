/**
 * A settled era as slarks hand it to each other over `/dcn/era/1.0.0`, so a slark that is new,
 * lost its data dir or computed a different report can rejoin era consensus: exactly the part of
 * the report that the quorum signed — the payouts and every node's carried history — and nothing
 * else (the per-node figures and `why` lines are not hashed, so they could not be checked). A
 * receiver parses it with the limits below, recomputes `eraReportHash` and adopts the histories
 * only when that equals the hash the Rewards contract holds for the era.
 */
import { SchemaError, address, arr, bool, obj, uint, uint256, type Parser } from '../schema.js'
import type { Address } from '../types.js'
import { PROVIDER_TIER_COUNT, SLARK_TIER_COUNT } from './tables.js'
import { MAX_SLARK_STREAK } from './seats.js'
import type { EraPayouts, EraReport, ProviderHistory, SlarkHistory } from './types.js'

export interface SettledEra {
  era: number
  payouts: EraPayouts
  /** Sorted by address, as in the report. */
  providers: Array<{ address: Address, history: ProviderHistory }>
  slarks: Array<{ address: Address, history: SlarkHistory }>
}

/**
 * Nodes (and payout rows) one settled era may list: 200k, about 40 MB of JSON — more than a
 * network of this design has for a long while, and a bound on what a peer can make a slark parse.
 */
export const MAX_SETTLED_ERA_NODES = 200_000
/** The frame limit for a settled era on the wire. */
export const MAX_SETTLED_ERA_BYTES = 64 * 2 ** 20

export function settledEraOf (r: EraReport): SettledEra {
  return {
    era: r.era,
    payouts: r.payouts,
    providers: r.providers.map(p => ({ address: p.address, history: p.history })),
    slarks: r.slarks.map(s => ({ address: s.address, history: s.history }))
  }
}

const N = MAX_SETTLED_ERA_NODES
const wei = uint256()
const u8 = uint(255)
const payment = obj({ account: address, amount: wei })
const tierSet = (max: number): Parser<{ account: Address, tier: number }> => obj({ account: address, tier: uint(max, 1) })

const settledSchema = obj({
  era: uint(),
  payouts: obj({
    rewards: arr(payment, N),
    slashes: arr(payment, N),
    tiers: arr(tierSet(PROVIDER_TIER_COUNT), N),
    slarkTiers: arr(tierSet(SLARK_TIER_COUNT), N),
    delegations: arr(obj({ slark: address, provider: address, amount: wei }), N)
  }),
  providers: arr(obj({
    address,
    history: obj({
      tier: uint(PROVIDER_TIER_COUNT, 1),
      promoteStreak: u8,
      demoteStreak: u8,
      offlineSeconds: uint(2 ** 48 - 1),
      offlineSlashed: bool(),
      cooldownSeconds: uint(2 ** 32 - 1)
    })
  }), N),
  slarks: arr(obj({
    address,
    history: obj({ tier: uint(SLARK_TIER_COUNT, 1), promoteStreak: uint(MAX_SLARK_STREAK), demoteStreak: u8 })
  }), N)
})

/** Parses a settled era from the network (already JSON.parse'd); throws a SchemaError naming the field. */
export function parseSettledEra (json: unknown, path = 'settled'): SettledEra {
  const s = settledSchema(json, path)
  // The history is looked up by address: one listed twice would be ambiguous.
  for (const [what, list] of [['providers', s.providers], ['slarks', s.slarks]] as const) {
    for (let i = 1; i < list.length; i++) {
      if (!(list[i - 1].address < list[i].address)) throw new SchemaError(`${path}.${what}[${i}].address`, 'must be sorted by address, each once')
    }
  }
  return s
}
