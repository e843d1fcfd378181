/** Periodic signed heartbeats: liveness, capacity, region, tier and prices for matchers and slarks. */
import { TOPICS, type Address, type Heartbeat, type Role, type UnitPrices } from '@dcn/protocol'
import type { Gossip } from '../../network/gossip.js'
import type { NodeMetrics } from '../../metrics.js'
import type { Logger } from '../../log.js'
import type { ProviderConfig } from '../../config.js'
import type { Supply } from './supply.js'

const NO_PRICES: UnitPrices = { cpu: 0n, memory: 0n, storage: 0n, gpu: 0n }

export interface HeartbeatOptions {
  gossip: Gossip
  metrics: NodeMetrics
  log: Logger
  wallet: Address
  peerId: string
  role: Role
  config: ProviderConfig
  /** What the heartbeat reports as capacity and free capacity. */
  supply: Pick<Supply, 'capacity' | 'available'>
  /** The current tier (it changes with the chain's registry). */
  tier: () => number
  /** A gateway's fizz nodes online now (their wallets). */
  subnet?: () => Address[]
  intervalMs: number
}

export class Heartbeats {
  private timer?: NodeJS.Timeout
  private seq = Date.now()
  private stopped = false
  private unsubscribe?: () => void

  constructor (private readonly opts: HeartbeatOptions) {}

  /**
   * Sends the first heartbeat soon. While no peer receives one, it retries with a doubling delay
   * (1 s, 2 s, 4 s … up to the interval) and at once when a peer subscribes to heartbeats; after
   * that, every interval.
   */
  start (firstAfterMs = 500): void {
    let retryMs = 1000
    let heard = false
    const tick = (): void => {
      clearTimeout(this.timer)
      this.send().then(
        recipients => {
          heard = recipients > 0
          this.schedule(heard ? this.opts.intervalMs : Math.min(retryMs, this.opts.intervalMs), tick)
          retryMs = heard ? 1000 : Math.min(retryMs * 2, this.opts.intervalMs)
        },
        (err: Error) => {
          this.opts.log.debug('heartbeat not sent', { error: err.message })
          this.schedule(this.opts.intervalMs, tick)
        }
      )
    }
    this.schedule(firstAfterMs, tick)
    this.unsubscribe = this.opts.gossip.onPeerSubscribed([TOPICS.heartbeats], () => { if (!heard) this.schedule(0, tick) })
  }

  private schedule (ms: number, fn: () => void): void {
    if (this.stopped) return
    clearTimeout(this.timer)
    this.timer = setTimeout(fn, ms)
    this.timer.unref()
  }

  stop (): void {
    this.stopped = true
    this.unsubscribe?.()
    clearTimeout(this.timer)
  }

  /** Publishes one heartbeat; returns how many peers it was sent to. */
  async send (): Promise<number> {
    const { config } = this.opts
    const now = Date.now()
    this.seq = Math.max(this.seq + 1, now)
    const hb: Heartbeat = {
      wallet: this.opts.wallet.toLowerCase() as Address,
      peerId: this.opts.peerId,
      role: this.opts.role,
      region: config.region,
      tier: this.opts.tier(),
      capacity: this.opts.supply.capacity,
      available: this.opts.supply.available(),
      tokens: config.tokens,
      pricing: config.pricing.strategy,
      prices: config.pricing.strategy === 'scale' ? config.pricing.prices : NO_PRICES,
      subnet: this.opts.subnet?.() ?? [],
      seq: this.seq,
      createdMs: now,
      expiry: Math.floor(now / 1000) + Math.ceil(3 * this.opts.intervalMs / 1000)
    }
    const { recipients } = await this.opts.gossip.publish('heartbeat', hb)
    this.opts.metrics.heartbeatsSent.inc()
    return recipients
  }
}
