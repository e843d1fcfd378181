/** Registered capacity minus reservations (bids in flight, won orders awaiting a lease). */
import { fits, type Hex, type Resources } from '@dcn/protocol'

export class CapacityLedger {
  private readonly held = new Map<Hex, Resources>()

  constructor (readonly capacity: Resources) {}

  available (): Resources {
    const free = { ...this.capacity }
    for (const r of this.held.values()) {
      free.cpu -= r.cpu
      free.memory -= r.memory
      free.storage -= r.storage
      free.gpuUnits -= r.gpuUnits
    }
    return free
  }

  /** Reserves `need` for an order; false when it does not fit in what is free. */
  reserve (orderId: Hex, need: Resources): boolean {
    if (this.held.has(orderId) || !fits(need, this.available())) return false
    if (need.gpuUnits > 0 && need.gpuModel !== '' && need.gpuModel !== this.capacity.gpuModel) return false
    this.held.set(orderId, { ...need })
    return true
  }

  release (orderId: Hex): boolean {
    return this.held.delete(orderId)
  }

  has (orderId: Hex): boolean {
    return this.held.has(orderId)
  }

  get size (): number {
    return this.held.size
  }
}
