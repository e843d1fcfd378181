/**
 * Providers known from their heartbeats. When an order gets no bids, the matcher runs the same
 * filter funnel over these to say why ("none with capacity" rather than just "no bids").
 */
import { scalePrice, type Address, type Heartbeat, type Offer, type Order } from '@dcn/protocol'

export class ProviderDirectory {
  private readonly entries = new Map<Address, { hb: Heartbeat, at: number }>()

  constructor (private readonly freshMs = 30_000, private readonly now: () => number = Date.now) {}

  update (hb: Heartbeat): void {
    if (hb.role !== 'provider' && hb.role !== 'gateway') return
    const prior = this.entries.get(hb.wallet)
    if (prior !== undefined && prior.hb.seq >= hb.seq) return
    this.entries.set(hb.wallet, { hb, at: this.now() })
  }

  /** Providers heard from recently. */
  fresh (): Heartbeat[] {
    const cutoff = this.now() - this.freshMs
    const out: Heartbeat[] = []
    for (const [wallet, e] of this.entries) {
      if (e.at < cutoff) this.entries.delete(wallet)
      else out.push(e.hb)
    }
    return out
  }

  /** What each known provider could offer for an order, from its last heartbeat. */
  offers (order: Order): Offer[] {
    return this.fresh().map(hb => ({
      mode: hb.role === 'gateway' ? 'fizz' : 'provider',
      region: hb.region,
      tier: hb.tier,
      tokens: hb.tokens,
      available: hb.available,
      price: hb.pricing === 'scale' ? scalePrice(hb.prices, order.resources) : undefined
    }))
  }
}
