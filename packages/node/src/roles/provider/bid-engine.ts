/**
 * The bid engine of providers and gateways. For each order its `Supply` checks mode, region,
 * tier, token and free capacity, reserves the capacity (before pricing, so concurrent orders
 * cannot overbook) and prices it; the engine bids before the deadline. The reservation is
 * released when the bid loses, when a matcher reports no match, when no decision arrives in
 * time, or when a won order does not become a lease within the lease window; a lease holds it
 * until it closes or ends.
 */
import { digest, type Resources, type Bid, type Hex, type Match, type NoMatch, type Order, type SignedMessage } from '@dcn/protocol'
import type { Gossip } from '../../network/gossip.js'
import type { NodeMetrics } from '../../metrics.js'
import type { Logger } from '../../log.js'
import type { ProviderConfig } from '../../config.js'
import { LocalSupply, isSkip, type Supply } from './supply.js'

/** Do not start a bid that cannot reach matchers before the deadline. */
const MIN_TIME_TO_DEADLINE_MS = 50

interface Pending {
  /** Absent for a lease adopted without a bid of this run (after a restart). */
  order?: Order
  bid?: Bid
  bidHash?: Hex
  state: 'pricing' | 'bid' | 'won' | 'leased'
  leaseId?: bigint
  timer?: NodeJS.Timeout
}

export interface BidEngineOptions {
  config: ProviderConfig
  gossip: Gossip
  metrics: NodeMetrics
  log: Logger
  wallet: `0x${string}`
  peerId: string
  chainId: number
  /** Where capacity and prices come from (default: this machine, per the config). */
  supply?: Supply
  now?: () => number
}

export class BidEngine {
  readonly supply: Supply
  /** The tier bids carry: from the config, or the chain's registry when there is one. */
  tier: number
  private readonly pending = new Map<Hex, Pending>()
  private readonly leases = new Map<bigint, Hex>()
  private readonly now: () => number
  /** Aborted on stop: kills pricing scripts still running. */
  private readonly stopping = new AbortController()

  constructor (private readonly opts: BidEngineOptions) {
    this.supply = opts.supply ?? new LocalSupply(opts.config)
    this.tier = opts.config.tier
    this.now = opts.now ?? Date.now
  }

  start (): void {
    const { gossip } = this.opts
    gossip.on('order', async (m) => { await this.onOrder(m.body) })
    gossip.on('match', (m) => { this.onMatch(m) })
    gossip.on('no-match', (m) => { this.onNoMatch(m) })
  }

  stop (): void {
    this.stopping.abort()
    for (const p of this.pending.values()) clearTimeout(p.timer)
    this.pending.clear()
  }

  status (): { tier: number, reservations: number, leases: string[], available: Bid['available'], capacity: Bid['capacity'] } {
    return { tier: this.tier, reservations: this.supply.size, leases: [...this.leases.keys()].map(String), available: this.supply.available(), capacity: this.supply.capacity }
  }

  /** A lease was created on chain for an order this provider won: hold the capacity until it closes. */
  onLeaseCreated (orderId: Hex, leaseId: bigint, endSeconds: number): void {
    const entry = this.pending.get(orderId)
    if (entry?.state === 'leased') return
    if (entry === undefined || entry.state === 'pricing') {
      this.opts.log.warn('lease for an order not held here', { order: orderId, lease: leaseId })
      return
    }
    this.lease(entry, orderId, leaseId, endSeconds)
  }

  /**
   * Holds capacity for a lease whether or not this run bid for it (a manifest that arrives
   * before the LeaseCreated event, or a lease found after a restart). False when it does not fit.
   */
  adoptLease (orderId: Hex, leaseId: bigint, resources: Resources, endSeconds: number): boolean {
    const entry = this.pending.get(orderId)
    if (entry?.state === 'leased') return true
    if (entry !== undefined && entry.state !== 'pricing') {
      this.lease(entry, orderId, leaseId, endSeconds)
      return true
    }
    if (entry !== undefined || !this.supply.adopt(orderId, resources)) return false
    const adopted: Pending = { state: 'leased' }
    this.pending.set(orderId, adopted)
    this.syncGauge()
    this.lease(adopted, orderId, leaseId, endSeconds)
    return true
  }

  private lease (entry: Pending, orderId: Hex, leaseId: bigint, endSeconds: number): void {
    entry.state = 'leased'
    entry.leaseId = leaseId
    this.leases.set(leaseId, orderId)
    this.opts.log.info('leased', { order: orderId, lease: leaseId })
    // The lease ends by itself at its end; LeaseClosed may come later (or earlier, on close).
    this.expireAt(orderId, endSeconds * 1000, 'lease ended')
  }

  onLeaseClosed (leaseId: bigint): void {
    const orderId = this.leases.get(leaseId)
    if (orderId === undefined) return
    this.release(orderId, 'lease closed')
  }

  async onOrder (order: Order): Promise<void> {
    const { config, metrics, log } = this.opts
    metrics.ordersSeen.inc()
    metrics.orderDelay.observe(Math.max(0, this.now() - order.createdMs) / 1000)
    const skip = (reason: string): void => {
      metrics.bidsSkipped.inc({ reason })
      log.debug('no bid', { order: order.id, reason })
    }
    if (this.pending.has(order.id)) return skip('already bid')
    if (order.bidDeadlineMs - this.now() < MIN_TIME_TO_DEADLINE_MS) return skip('deadline')
    const entry: Pending = { order, state: 'pricing' }
    this.pending.set(order.id, entry)
    const offer = await this.supply.offer(order, this.tier, this.stopping.signal)
    if (isSkip(offer)) {
      this.pending.delete(order.id)
      if (offer.detail !== undefined) log.warn(`${offer.skip}, no bid`, { order: order.id, reason: offer.detail })
      return skip(offer.skip)
    }
    this.syncGauge()
    const now = this.now()
    if (order.bidDeadlineMs - now < MIN_TIME_TO_DEADLINE_MS) {
      this.release(order.id, 'deadline passed while pricing')
      return skip('deadline')
    }
    const bid: Bid = {
      orderId: order.id,
      bidder: this.opts.wallet.toLowerCase() as `0x${string}`,
      peerId: this.opts.peerId,
      fizzId: offer.fizzId,
      pricePerSecond: offer.price,
      region: config.region,
      tier: this.tier,
      token: order.token,
      available: offer.available,
      capacity: offer.capacity,
      createdMs: now,
      expiry: Math.floor((order.bidDeadlineMs + config.matchTimeoutMs) / 1000) + 1
    }
    try {
      const { msg } = await this.opts.gossip.publish('bid', bid)
      entry.bid = bid
      entry.bidHash = digest(this.opts.chainId, 'bid', msg.body)
      entry.state = 'bid'
      metrics.bidsSent.inc()
      log.info('bid', { order: order.id, price: bid.pricePerSecond })
      this.expireAt(order.id, order.bidDeadlineMs + config.matchTimeoutMs, 'no decision')
    } catch (err) {
      log.warn('bid publish failed', { order: order.id, error: (err as Error).message })
      this.release(order.id, 'publish failed')
    }
  }

  private onMatch (m: SignedMessage<'match'>): void {
    const match: Match = m.body
    const entry = this.pending.get(match.orderId)
    if (entry === undefined || entry.state === 'pricing') return
    if (match.bidHash === entry.bidHash) {
      if (entry.state === 'won') return
      entry.state = 'won'
      this.opts.log.info('won', { order: match.orderId, matcher: match.matcher })
      this.expireAt(match.orderId, this.now() + this.opts.config.leaseWindowMs, 'no lease in the lease window')
    } else if (entry.state === 'bid') {
      this.release(match.orderId, 'lost')
    }
  }

  private onNoMatch (m: SignedMessage<'no-match'>): void {
    const nm: NoMatch = m.body
    const entry = this.pending.get(nm.orderId)
    if (entry?.state === 'bid') this.release(nm.orderId, `no match: ${nm.reason}`)
  }

  private expireAt (orderId: Hex, at: number, reason: string): void {
    const entry = this.pending.get(orderId)
    if (entry === undefined) return
    clearTimeout(entry.timer)
    entry.timer = setTimeout(() => { this.release(orderId, reason) }, Math.max(0, at - this.now()))
    entry.timer.unref()
  }

  private release (orderId: Hex, reason: string): void {
    const entry = this.pending.get(orderId)
    if (entry !== undefined) clearTimeout(entry.timer)
    if (entry?.leaseId !== undefined) this.leases.delete(entry.leaseId)
    this.pending.delete(orderId)
    if (entry !== undefined) {
      this.supply.release(orderId)
      this.opts.log.debug('released', { order: orderId, reason })
    }
    this.syncGauge()
  }

  private syncGauge (): void {
    this.opts.metrics.reservations.set(this.supply.size)
  }
}
