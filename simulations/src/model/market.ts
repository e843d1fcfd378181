/**
 * Orders, bids and matches. Every order is scored by the protocol's `selectWinner` with the
 * standing a matcher reads from the chain (tier, rating, stake share, slashes).
 *
 * Sampled: a real network's every provider checks every order; here each order reaches
 * BIDDERS_PER_ORDER candidates drawn uniformly from the nodes of its mode (with replacement,
 * duplicates dropped), and those whose bid engine accepts it (online, free registered capacity,
 * price within the maximum) bid. The winner is the best of that sample, not of the network —
 * with a few dozen bidders the price term already sits near its best, and the cost stays
 * O(orders), not O(orders × providers).
 */
import {
  DEVNET_TOKENS, ZERO_HASH, parseAmount, perHourToPerSecond, selectWinner, type Bid, type Order, type Standing
} from '@dcn/protocol'
import type { WorkloadKind } from '../scenario/types.js'
import type { Ctx, PendingOrder } from './context.js'
import { add, fits, isOnline, minus, nodeOf, priceOf, tokens, userAddress, type Lease, type Node, type Res } from './world.js'

export const BIDDERS_PER_ORDER = 24

/** The 20 % foundation fee on utilization payments (SPEC.md): the provider keeps the rest. */
const PROVIDER_SHARE = 0.8

export function scheduleNextOrder (c: Ctx): void {
  const perMinute = c.s.workloads.perMinute
  if (perMinute <= 0) return
  c.queue.push(c.now + c.rng.orders.exp(60_000 / perMinute), { type: 'order' })
}

function pickKind (c: Ctx): WorkloadKind {
  const mix = c.s.workloads.mix
  let total = 0
  for (const k of mix) total += k.weight
  let x = c.rng.orders.next() * total
  for (const k of mix) { if ((x -= k.weight) < 0) return k }
  return mix[mix.length - 1]
}

const maxPriceCache = new Map<number, bigint>()
function maxPerSecond (perHour: number): bigint {
  let v = maxPriceCache.get(perHour)
  if (v === undefined) maxPriceCache.set(perHour, v = perHourToPerSecond(parseAmount(perHour.toFixed(18).replace(/\.?0+$/, ''))))
  return v
}

const resOf = (r: Res): Bid['available'] => ({ cpu: r.cpu, memory: r.memory, storage: r.storage, gpuUnits: r.gpuUnits, gpuModel: '' })

/** An order arrives: candidates bid; the match is decided at the bid deadline. */
export function onOrder (c: Ctx): void {
  scheduleNextOrder(c)
  const o = c.rng.orders
  const kind = pickKind(c)
  const { min, max } = { min: c.s.workloads.durationMs.minMs, max: c.s.workloads.durationMs.maxMs }
  const durationS = Math.max(1, Math.round((min + o.next() * (max - min)) / 1000))
  const createdMs = c.genesis * 1000 + c.now
  const order: Order = {
    id: o.hex32(),
    owner: userAddress(o.int(Math.max(1, c.s.nodes.users))),
    resources: { cpu: kind.resources.cpu, memory: kind.resources.memory, storage: kind.resources.storage, gpuUnits: kind.resources.gpu, gpuModel: '' },
    region: '',
    minTrustTier: kind.minTrustTier,
    mode: kind.mode,
    token: DEVNET_TOKENS.SPON,
    maxPricePerSecond: maxPerSecond(kind.maxPricePerHour),
    duration: durationS,
    bidDeadlineMs: createdMs + c.s.timing.bidWindowMs,
    refBlock: 0,
    nonce: 0n,
    createdMs,
    expiry: Math.floor(createdMs / 1000) + 3600,
    manifestHash: ZERO_HASH
  }
  c.orders++
  const need: Res = { cpu: order.resources.cpu, memory: order.resources.memory, storage: order.resources.storage, gpuUnits: order.resources.gpuUnits }
  const poolSize = kind.mode === 'provider' ? c.dc.length : kind.mode === 'fizz' ? c.fizz.length : c.dc.length + c.fizz.length
  const seen = new Set<Node>()
  const bids: Bid[] = []
  for (let k = 0; k < BIDDERS_PER_ORDER && poolSize > 0; k++) {
    const i = o.int(poolSize)
    const node = kind.mode === 'fizz' ? c.fizz[i] : i < c.dc.length ? c.dc[i] : c.fizz[i - c.dc.length]
    if (seen.has(node)) continue
    seen.add(node)
    if (!isOnline(node, c.now)) continue
    const free = minus(node.registered, node.inUse)
    if (!fits(need, free)) continue
    const price = priceOf(node, need)
    if (price > order.maxPricePerSecond) continue
    // the order reaches the node and its bid the matcher through the gossip mesh
    if (c.bidTravel() > c.s.timing.bidWindowMs) { c.lateBids++; continue }
    bids.push({
      orderId: order.id,
      bidder: node.address,
      peerId: node.address,
      fizzId: node.kind === 'fizz' ? node.address : '',
      pricePerSecond: price,
      region: node.region,
      tier: node.tier,
      token: order.token,
      available: resOf(free),
      capacity: resOf(node.registered),
      createdMs,
      expiry: order.expiry
    })
  }
  // the match travels from the matcher to the user
  let latencyMs = 0
  for (let h = 0; h < c.hops; h++) latencyMs += c.hop()
  const pending: PendingOrder = { order, bids, latencyMs }
  c.queue.push(c.now + c.s.timing.bidWindowMs + latencyMs, { type: 'match', order: pending })
}

function standingOf (c: Ctx, bid: Bid): Standing {
  const n = nodeOf(c, bid.bidder)!
  const stake = n.stakeTokens
  return {
    tier: n.tier,
    feedback: n.feedbackCount === 0 ? 0 : n.feedbackSum / n.feedbackCount,
    stakeShare: c.totalStakeTokens <= 0 ? 0 : stake / c.totalStakeTokens,
    slashes: n.slashes
  }
}

/** The bid deadline passed: the matcher scores the bids; the winner gets the lease. */
export function onMatch (c: Ctx, p: PendingOrder): void {
  const sel = selectWinner(p.order, p.bids, { beacon: c.rng.chain.hex32(), standing: bid => standingOf(c, bid) })
  const need: Res = { cpu: p.order.resources.cpu, memory: p.order.resources.memory, storage: p.order.resources.storage, gpuUnits: p.order.resources.gpuUnits }
  // a ranked bidder that has since gone offline or filled up cannot take the lease: the user tries the next
  const winner = sel.ranked.find(r => {
    const n = nodeOf(c, r.bid.bidder)!
    return isOnline(n, c.now) && fits(need, minus(n.registered, n.inUse))
  })
  if (winner === undefined) {
    const reason = sel.reason ?? 'winner gone'
    c.unmatched[reason] = (c.unmatched[reason] ?? 0) + 1
    return
  }
  c.matched++
  c.matchLatencies.push(p.latencyMs)
  c.matchTimes.push(c.now)
  const node = nodeOf(c, winner.bid.bidder)!
  const overcommitted = !fits(need, minus(node.real, node.inUse))
  add(node.inUse, need, 1)
  node.leasesWon++
  const lease: Lease = { node, resources: need, pricePerSecond: winner.bid.pricePerSecond, start: c.now, end: c.now + p.order.duration * 1000, overcommitted, closed: false }
  node.leases.push(lease)
  c.activeLeases++
  c.queue.push(lease.end, { type: 'lease-end', lease })
}

/** A lease ends (or its node leaves): capacity back, the provider paid, the user rates it. */
export function endLease (c: Ctx, lease: Lease, at: number): void {
  if (lease.closed) return
  lease.closed = true
  lease.end = Math.min(lease.end, at)
  const n = lease.node
  add(n.inUse, lease.resources, -1)
  c.activeLeases--
  const seconds = Math.max(0, Math.floor((lease.end - lease.start) / 1000))
  n.incomeTokens += tokens(lease.pricePerSecond * BigInt(seconds)) * PROVIDER_SHARE
  // ratings: a workload the node could not really hold, or one it dropped by leaving, gets 1 star;
  // one interrupted by outages 3; otherwise 4 or 5
  const r = c.rng.ratings.next()
  const stars = lease.overcommitted || n.leftAt !== null ? 1 : n.lastOutageEnd > lease.start ? 3 : r < 0.7 ? 5 : 4
  n.ratingCount++
  n.ratingSum += stars
  n.feedbackCount++
  n.feedbackSum += stars
  if (stars <= 2) n.reports++
}

/** Leases of a node that ended before `from` are no longer needed for the era inputs. */
export function pruneLeases (n: Node, from: number): void {
  if (n.leases.length > 0) n.leases = n.leases.filter(l => !l.closed || l.end > from)
}
