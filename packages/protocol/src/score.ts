/**
 * The deterministic match score of SPEC.md. Every matcher that sees the same bids and the same
 * chain state picks the same winner: the score uses no clock and no local randomness, and ties
 * break on the lower bidder address.
 *
 * Filters run as a funnel — mode, region, tier, token, capacity, price — and when nothing passes,
 * the stage at which the last candidate fell out is the reason users are told.
 */
import { createKeccak } from './keccak-wasm.js'
import type { Address, Bid, Hex, NoMatchReason, Order, Resources } from './types.js'

export interface Weights {
  price: number
  region: number
  feedback: number
  headroom: number
  tier: number
  stake: number
  slashes: number
  rand: number
}

export const DEFAULT_WEIGHTS: Readonly<Weights> = {
  price: 0.35, region: 0.15, feedback: 0.10, headroom: 0.10, tier: 0.10, stake: 0.10, slashes: 0.05, rand: 0.05
}

/** Chain-derived facts about a bidder at the order's reference block. */
export interface Standing {
  /** Trust tier 1–7 (1 is the most trusted). */
  tier: number
  /** Mean user rating 0–5. */
  feedback: number
  /** The bidder's share of all provider stake, 0–1. */
  stakeShare: number
  slashes: number
}

/** Anything that might serve an order: a bid, or a provider known from its heartbeats. */
export interface Offer {
  mode: 'provider' | 'fizz'
  region: string
  tier: number
  tokens: readonly Address[]
  available: Resources
  /** Per-second price for this order; undefined when unknown (script pricing). */
  price?: bigint
}

export type Stage = 'mode' | 'region' | 'tier' | 'token' | 'capacity' | 'price'
export const STAGES: readonly Stage[] = ['mode', 'region', 'tier', 'token', 'capacity', 'price']
const STAGE_REASON: Record<Stage, NoMatchReason> = {
  mode: 'none in mode',
  region: 'none in region',
  tier: 'none of the tier',
  token: 'none accepting token',
  capacity: 'none with capacity',
  price: 'all above max price'
}

export function fits (need: Resources, have: Resources): boolean {
  return need.cpu <= have.cpu && need.memory <= have.memory && need.storage <= have.storage &&
    need.gpuUnits <= have.gpuUnits && (need.gpuUnits === 0 || need.gpuModel === '' || need.gpuModel === have.gpuModel)
}

/** The first filter an offer fails for an order, or null when it passes them all. */
export function failedStage (order: Order, offer: Offer): Stage | null {
  if (order.mode !== 'any' && order.mode !== offer.mode) return 'mode'
  if (order.region !== '' && order.region !== offer.region) return 'region'
  if (offer.tier > order.minTrustTier) return 'tier'
  if (!offer.tokens.includes(order.token)) return 'token'
  if (!fits(order.resources, offer.available)) return 'capacity'
  if (offer.price !== undefined && offer.price > order.maxPricePerSecond) return 'price'
  return null
}

export function bidOffer (bid: Bid, tier = bid.tier): Offer {
  return {
    mode: bid.fizzId === '' ? 'provider' : 'fizz',
    region: bid.region,
    tier,
    tokens: [bid.token],
    available: bid.available,
    price: bid.pricePerSecond
  }
}

/** Why a set of offers cannot serve an order: the funnel stage where the last one fell out. */
export function explain (order: Order, offers: readonly Offer[]): { reason: NoMatchReason, detail: string } | null {
  if (offers.length === 0) return null
  const failures = new Map<Stage, number>()
  let deepest = -1
  for (const offer of offers) {
    const stage = failedStage(order, offer)
    if (stage === null) return null
    failures.set(stage, (failures.get(stage) ?? 0) + 1)
    deepest = Math.max(deepest, STAGES.indexOf(stage))
  }
  const stage = STAGES[deepest]
  const counts = STAGES.filter(s => failures.has(s)).map(s => `${failures.get(s)} ${s}`).join(', ')
  return { reason: STAGE_REASON[stage], detail: `${offers.length} considered; failed on ${counts}` }
}

const bytes = (hex: string): Buffer => Buffer.from(hex.slice(2), 'hex')

/** WebAssembly keccak: ~15× faster than a pure-JS one, and the score hashes once per bid. */
const keccak = await createKeccak(256)

/** keccak256(orderId ‖ bidder ‖ beacon) / 2^256, as a double in [0, 1) (its top 53 bits). */
export function tieBreakRand (orderId: Hex, bidder: Address, beacon: Hex): number {
  return randFrom(bytes(orderId), bidder, bytes(beacon))
}

function randFrom (orderId: Buffer, bidder: Address, beacon: Buffer): number {
  keccak.init()
  keccak.update(orderId)
  keccak.update(bytes(bidder))
  keccak.update(beacon)
  const h = Buffer.from(keccak.digest('binary'))
  return (h.readUInt32BE(0) * 2 ** 21 + (h.readUInt32BE(4) >>> 11)) / 2 ** 53
}

/** Mean fraction of each registered resource still free after this order. */
export function headroom (need: Resources, available: Resources, capacity: Resources): number {
  const dims: Array<[number, number, number]> = [
    [need.cpu, available.cpu, capacity.cpu],
    [need.memory, available.memory, capacity.memory],
    [need.storage, available.storage, capacity.storage],
    [need.gpuUnits, available.gpuUnits, capacity.gpuUnits]
  ]
  let sum = 0
  let n = 0
  for (const [want, free, total] of dims) {
    if (total <= 0) continue
    sum += Math.min(1, Math.max(0, free - want) / total)
    n++
  }
  return n === 0 ? 0 : sum / n
}

/** 1 − price/maxPrice. IEEE division of the correctly rounded values: the same double on every matcher. */
export function priceTerm (price: bigint, maxPrice: bigint): number {
  if (maxPrice <= 0n || price > maxPrice) return 0
  return 1 - Number(price) / Number(maxPrice)
}

export function scoreBid (order: Order, bid: Bid, standing: Standing, beacon: Hex, w: Weights = DEFAULT_WEIGHTS): number {
  return scoreWith(order, bid, standing, w, tieBreakRand(order.id, bid.bidder, beacon))
}

function scoreWith (order: Order, bid: Bid, standing: Standing, w: Weights, rand: number): number {
  const regionMatch = order.region !== '' && order.region === bid.region ? 1 : 0
  return w.price * priceTerm(bid.pricePerSecond, order.maxPricePerSecond) +
    w.region * regionMatch +
    w.feedback * Math.min(5, Math.max(0, standing.feedback)) / 5 +
    w.headroom * headroom(order.resources, bid.available, bid.capacity) +
    w.tier * (7 - standing.tier) / 6 +
    w.stake * Math.min(1, Math.max(0, standing.stakeShare)) -
    w.slashes * Math.min(1, standing.slashes / 3) +
    w.rand * rand
}

export interface ScoredBid { bid: Bid, score: number }

export interface MatchInputs {
  /** The chain's randomness at the order's reference block. */
  beacon: Hex
  /** Chain-derived standing of a bidder at the reference block. */
  standing: (bid: Bid) => Standing
  weights?: Weights
}

export interface Selection {
  /** Bids that passed every filter, best first. */
  ranked: ScoredBid[]
  /** Bids that failed a filter, with the stage. */
  excluded: Array<{ bid: Bid, stage: Stage }>
  winner: ScoredBid | null
  /** Set when there is no winner. */
  reason: NoMatchReason | null
  detail: string
}

/** Filters and scores bids and picks the winner. The input order of `bids` does not matter. */
export function selectWinner (order: Order, bids: readonly Bid[], inputs: MatchInputs): Selection {
  const ranked: ScoredBid[] = []
  const excluded: Selection['excluded'] = []
  const orderId = bytes(order.id)
  const beacon = bytes(inputs.beacon)
  const weights = inputs.weights ?? DEFAULT_WEIGHTS
  for (const bid of bids) {
    if (bid.orderId !== order.id) continue
    const standing = inputs.standing(bid)
    const stage = failedStage(order, bidOffer(bid, standing.tier))
    if (stage !== null) excluded.push({ bid, stage })
    else ranked.push({ bid, score: scoreWith(order, bid, standing, weights, randFrom(orderId, bid.bidder, beacon)) })
  }
  ranked.sort((a, b) => b.score - a.score || (a.bid.bidder < b.bid.bidder ? -1 : a.bid.bidder > b.bid.bidder ? 1 : 0))
  if (ranked.length > 0) return { ranked, excluded, winner: ranked[0], reason: null, detail: `${ranked.length} of ${bids.length} bids eligible` }
  if (bids.length === 0) return { ranked, excluded, winner: null, reason: 'no bids', detail: 'no provider bid before the deadline' }
  const why = explain(order, excluded.map(e => bidOffer(e.bid, inputs.standing(e.bid).tier)))
  return { ranked, excluded, winner: null, reason: why?.reason ?? 'no bids', detail: `${bids.length} bids; ${why?.detail ?? ''}` }
}

/** The standing of a bidder when no chain is consulted: its own claimed tier, nothing else. */
export const selfDeclaredStanding = (bid: Bid): Standing => ({ tier: bid.tier, feedback: 0, stakeShare: 0, slashes: 0 })
