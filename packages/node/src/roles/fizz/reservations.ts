/**
 * A fizz node's capacity: its gateway reserves for orders it bids on (`reserve`), and a lease
 * holds the capacity until it closes (`adoptLease`, as a provider's bid engine does). A
 * reservation that does not become a lease in time expires by itself, so a gateway that goes
 * away cannot leave a fizz node full.
 */
import type { Hex, Order, Resources } from '@dcn/protocol'
import type { ProviderConfig } from '../../config.js'
import { LocalSupply, isSkip } from '../provider/supply.js'
import type { LeaseCapacity } from '../provider/workloads.js'
import type { ReserveAnswer } from './control.js'

export class FizzReservations implements LeaseCapacity {
  readonly supply: LocalSupply
  private readonly timers = new Map<Hex, NodeJS.Timeout>()
  private readonly leases = new Map<bigint, Hex>()
  private readonly stopping = new AbortController()

  constructor (private readonly config: ProviderConfig) {
    this.supply = new LocalSupply(config, 'fizz')
  }

  /** Reserves and prices an order for the gateway's bid; held until the lease window has passed. */
  async reserve (order: Order, tier = 7): Promise<ReserveAnswer> {
    if (this.timers.has(order.id)) return { ok: false, reason: 'already reserved' }
    const offer = await this.supply.offer(order, tier, this.stopping.signal)
    if (isSkip(offer)) return { ok: false, reason: offer.detail === undefined ? offer.skip : `${offer.skip}: ${offer.detail}` }
    const holdMs = Math.max(0, order.bidDeadlineMs - Date.now()) + this.config.matchTimeoutMs + this.config.leaseWindowMs
    this.hold(order.id, holdMs)
    return { ok: true, price: offer.price, available: offer.available, capacity: offer.capacity }
  }

  /** Drops a reservation (not the capacity of a running lease: that goes when the lease closes). */
  release (orderId: Hex): void {
    if ([...this.leases.values()].includes(orderId)) return
    clearTimeout(this.timers.get(orderId))
    this.timers.delete(orderId)
    this.supply.release(orderId)
  }

  adoptLease (orderId: Hex, leaseId: bigint, resources: Resources, endSeconds: number): boolean {
    if (!this.supply.adopt(orderId, resources)) return false
    this.leases.set(leaseId, orderId)
    this.hold(orderId, endSeconds * 1000 - Date.now())
    return true
  }

  onLeaseClosed (leaseId: bigint): void {
    const orderId = this.leases.get(leaseId)
    if (orderId === undefined) return
    this.leases.delete(leaseId)
    this.release(orderId)
  }

  get leaseCount (): number { return this.leases.size }

  stop (): void {
    this.stopping.abort()
    for (const t of this.timers.values()) clearTimeout(t)
  }

  private hold (orderId: Hex, ms: number): void {
    clearTimeout(this.timers.get(orderId))
    const t = setTimeout(() => { this.release(orderId) }, Math.max(0, ms))
    t.unref()
    this.timers.set(orderId, t)
  }
}
