/** The state one model run threads through its parts (market, challenges, eras). */
import type { Address, Bid, EraParams, Order } from '@dcn/protocol'
import type { Scenario } from '../scenario/types.js'
import type { EventQueue } from './queue.js'
import type { Rng } from '../random.js'
import type { Lease, Node, Slark } from './world.js'

export type ModelEvent =
  | { type: 'order' }
  | { type: 'match', order: PendingOrder }
  | { type: 'lease-end', lease: Lease }
  | { type: 'disconnect' }
  | { type: 'join' }
  | { type: 'leave' }

export interface PendingOrder {
  order: Order
  bids: Bid[]
  /** When the match reaches the user, ms after the bid deadline. */
  latencyMs: number
}

export interface Ctx {
  s: Scenario
  queue: EventQueue<ModelEvent>
  rng: { setup: Rng, orders: Rng, churn: Rng, latency: Rng, chain: Rng, ratings: Rng }
  hop: () => number
  /** An order's way to a node plus its bid's way to the matcher (2 × hops one-hop delays). */
  bidTravel: () => number
  /** A challenge's round trip to a data-centre node [0] or to a fizz node through its gateway [1]. */
  roundTrip: [() => number, () => number]
  /** Gossip hops from one node to every other: log₆ of the node count (mesh degree 6). */
  hops: number
  nodes: Node[]
  byAddress: Map<Address, Node>
  /** Data-centre nodes (providers, gateways) and fizz nodes that have not left, for drawing bidders. */
  dc: Node[]
  fizz: Node[]
  gateways: Node[]
  slarks: Slark[]
  /** Eligible slarks (roster order) per provider tier 1…7, as registry tiers stand this era. */
  pools: Address[][]
  slarkByAddress: Map<Address, Slark>
  params: EraParams
  /** Unix seconds of simulated time 0 (the slot clock's genesis). */
  genesis: number
  slotSeconds: number
  /** Sum of every live node's own stake and delegations, tokens (stake shares). */
  totalStakeTokens: number
  now: number
  // measurements
  matchLatencies: number[]
  matchTimes: number[]
  orders: number
  matched: number
  unmatched: Record<string, number>
  lateBids: number
  challenges: number
  noQuorum: number
  noCommittee: number
  detectionEras: number[]
  activeLeases: number
  peak: number
  started: number
}

export const eraMs = (c: Ctx): number => c.s.timing.slotMs * c.s.timing.eraSlots
