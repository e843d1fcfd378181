/**
 * Where a bid's capacity comes from. The bid engine runs one lifecycle (bid → won → leased →
 * released) over a `Supply`: a provider's own machine (`LocalSupply`: its capacity ledger and
 * pricing), or a gateway's subnet of fizz nodes (`SubnetSupply`, in roles/gateway).
 */
import { failedStage, type Hex, type Mode, type Order, type Resources } from '@dcn/protocol'
import type { ProviderConfig } from '../../config.js'
import { CapacityLedger } from './capacity.js'
import { priceOrder } from './pricing.js'

export interface Offer {
  price: bigint
  /** The fizz node that would run the workload ('' when the bidder runs it itself). */
  fizzId: string
  /** What was free before this reservation, and the whole capacity: the bid carries both. */
  available: Resources
  capacity: Resources
}

/** A reason the order gets no bid (it becomes a `dcn_bids_skipped_total` label). */
export interface Skip { skip: string, detail?: string }

export interface Supply {
  /** Reserves capacity for the order and prices it; the reservation holds until `release`. */
  offer: (order: Order, tier: number, signal: AbortSignal) => Promise<Offer | Skip>
  release: (orderId: Hex) => void
  /** Holds capacity for a lease this run did not bid for (an early manifest, a restart). */
  adopt: (orderId: Hex, resources: Resources) => boolean
  available: () => Resources
  readonly capacity: Resources
  /** Reservations held. */
  readonly size: number
}

export const isSkip = (o: Offer | Skip): o is Skip => 'skip' in o

/** The machine this node runs on: its configured capacity, its prices. */
export class LocalSupply implements Supply {
  readonly ledger: CapacityLedger

  constructor (private readonly config: ProviderConfig, private readonly mode: Exclude<Mode, 'any'> = 'provider') {
    this.ledger = new CapacityLedger(config.capacity)
  }

  get capacity (): Resources { return this.ledger.capacity }
  get size (): number { return this.ledger.size }
  available (): Resources { return this.ledger.available() }

  async offer (order: Order, tier: number, signal: AbortSignal): Promise<Offer | Skip> {
    const { config } = this
    const stage = failedStage(order, { mode: this.mode, region: config.region, tier, tokens: config.tokens, available: this.ledger.available() })
    if (stage !== null) return { skip: stage }
    const before = this.ledger.available()
    // Reserved before pricing, so concurrent orders cannot overbook.
    if (!this.ledger.reserve(order.id, order.resources)) return { skip: 'capacity' }
    const priced = await priceOrder(config.pricing, order, signal)
    if (!priced.ok) {
      this.ledger.release(order.id)
      return { skip: 'pricing failed', detail: priced.reason }
    }
    if (priced.price > order.maxPricePerSecond) {
      this.ledger.release(order.id)
      return { skip: 'price' }
    }
    return { price: priced.price, fizzId: '', available: before, capacity: this.ledger.capacity }
  }

  release (orderId: Hex): void { this.ledger.release(orderId) }

  adopt (orderId: Hex, resources: Resources): boolean {
    return this.ledger.has(orderId) || this.ledger.reserve(orderId, resources)
  }
}
