/**
 * A gateway's supply: its online fizz nodes. For an order it picks a fizz node — most successful
 * challenges, then most stake delegated, then lowest price, then most free capacity — asks it to
 * reserve and price the order, and bids with that fizz node's id; a fizz node that declines is
 * skipped for the next one.
 */
import { failedStage, scalePrice, type Hex, type Order, type Resources } from '@dcn/protocol'
import { peerIdFromString } from '@libp2p/peer-id'
import type { Host } from '../../host.js'
import type { Logger } from '../../log.js'
import type { Offer, Skip, Supply } from '../provider/supply.js'
import { fizzRelease, fizzReserve } from '../fizz/control.js'
import type { FizzDirectory, FizzState } from './directory.js'

const ZERO: Resources = { cpu: 0, memory: 0, storage: 0, gpuUnits: 0, gpuModel: '' }
/** Fizz nodes asked per order before giving up. */
const MAX_TRIES = 3

export class SubnetSupply implements Supply {
  private readonly held = new Map<Hex, string>()

  constructor (private readonly host: Host, private readonly directory: FizzDirectory, private readonly log: Logger) {}

  get size (): number { return this.held.size }

  get capacity (): Resources { return this.sum(f => f.status!.capacity) }

  available (): Resources { return this.sum(f => f.status!.available) }

  async offer (order: Order, tier: number): Promise<Offer | Skip> {
    const online = this.directory.online()
    if (online.length === 0) return { skip: 'no fizz node online' }
    const stages = online.map(f => failedStage(order, { mode: 'fizz', region: f.record.region, tier, tokens: f.status!.tokens, available: f.status!.available }))
    const fits = online.filter((_, i) => stages[i] === null)
    if (fits.length === 0) return { skip: stages[0] ?? 'capacity' }
    const ranked = fits.sort((a, b) =>
      b.challenges - a.challenges ||
      Number(b.record.delegation - a.record.delegation) ||
      Number(scalePrice(a.status!.prices, order.resources) - scalePrice(b.status!.prices, order.resources)) ||
      b.status!.available.cpu - a.status!.available.cpu)
    for (const f of ranked.slice(0, MAX_TRIES)) {
      const answer = await fizzReserve(this.host, peerIdFromString(f.record.peerId), order).catch((err: Error) => ({ ok: false as const, reason: err.message }))
      if (!answer.ok) {
        this.log.debug('fizz node declined', { fizz: f.record.peerId, order: order.id, reason: answer.reason })
        continue
      }
      if (answer.price > order.maxPricePerSecond) {
        this.tellRelease(f.record.peerId, order.id)
        continue
      }
      this.held.set(order.id, f.record.peerId)
      return { price: answer.price, fizzId: f.record.peerId, available: answer.available, capacity: answer.capacity }
    }
    return { skip: 'no fizz node took it' }
  }

  release (orderId: Hex): void {
    const fizz = this.held.get(orderId)
    if (fizz === undefined) return
    this.held.delete(orderId)
    this.tellRelease(fizz, orderId)
  }

  /** The fizz node holds a lease's capacity itself. */
  adopt (): boolean { return true }

  private tellRelease (fizz: string, orderId: Hex): void {
    fizzRelease(this.host, peerIdFromString(fizz), orderId).catch((err: Error) => { this.log.debug('fizz release failed', { fizz, error: err.message }) })
  }

  private sum (pick: (f: FizzState) => Resources): Resources {
    const total = { ...ZERO }
    for (const f of this.directory.online()) {
      const r = pick(f)
      total.cpu += r.cpu
      total.memory += r.memory
      total.storage += r.storage
      total.gpuUnits += r.gpuUnits
    }
    return total
  }
}
