/**
 * The gateway's view of its fizz nodes: which peers may hold a relay reservation (registered
 * on chain under this gateway and still accepted by it), and each one's live state from polling
 * `/dcn/fizz/1.0.0` — online or offline since when, capacity, what is free, prices.
 */
import type { PeerId } from '@libp2p/interface'
import { fizzNodesOf, type Address, type Deployment, type FizzRecord, type SettlementClients } from '@dcn/protocol'
import type { Host } from '../../host.js'
import type { Logger } from '../../log.js'
import { fizzStatus, type FizzStatus } from '../fizz/control.js'

/** How often the list of fizz nodes is re-read from the chain while polling. */
const REFRESH_MS = 30_000

export interface FizzState {
  record: FizzRecord
  online: boolean
  /** When it last went online or offline (ms). */
  since: number
  status?: FizzStatus
  /** Successful proof-of-capacity challenges (kept by slarks; none yet). */
  challenges: number
  /** Polls failed in a row: two make it offline (one slow answer does not). */
  failures: number
}

export interface DirectoryOptions {
  host: Host
  c: SettlementClients
  d: Deployment
  log: Logger
  pollMs?: number
}

export class FizzDirectory {
  private readonly fizz = new Map<string, FizzState>()
  /** Peers refused a reservation, until when the chain is not asked about them again. */
  private readonly refused = new Map<string, number>()
  private refreshing?: Promise<void>
  private refreshedAt = 0
  private timer?: NodeJS.Timeout
  private readonly me: Address
  private readonly listeners: Array<(fizz: FizzState) => void> = []

  constructor (private readonly opts: DirectoryOptions) {
    this.me = opts.c.account.address
  }

  async start (): Promise<void> {
    await this.refresh()
    // A fizz node that (re)connects is polled at once, not at the next round.
    this.opts.host.addEventListener('peer:identify', (evt) => {
      if (this.fizz.has(evt.detail.peerId.toString())) void this.poll()
    })
    const tick = (): void => {
      this.timer = setTimeout(() => { void this.poll().finally(tick) }, this.opts.pollMs ?? 5000)
      this.timer.unref()
    }
    tick()
  }

  stop (): void { clearTimeout(this.timer) }

  /** Called when a fizz node goes online or offline. */
  onChange (listener: (fizz: FizzState) => void): void { this.listeners.push(listener) }

  /**
   * Whether a peer may hold a reservation: one of our fizz nodes. An unknown peer makes the chain
   * be asked again (a fizz node that has just registered), once per peer per few seconds.
   */
  async allows (peer: PeerId): Promise<boolean> {
    const id = peer.toString()
    if (this.fizz.has(id)) return true
    if ((this.refused.get(id) ?? 0) < Date.now()) {
      // Twice: a refresh already under way may have started before the registration was mined.
      for (let i = 0; i < 2 && !this.fizz.has(id); i++) {
        await this.refresh().catch((err: Error) => { this.opts.log.warn('fizz list refresh failed', { error: err.message }) })
      }
    }
    if (this.fizz.has(id)) return true
    this.refused.set(id, Date.now() + 3000)
    this.opts.log.info('relay reservation refused: not a fizz node of this gateway', { peer: id })
    return false
  }

  get (peerId: string): FizzState | undefined { return this.fizz.get(peerId) }
  list (): FizzState[] { return [...this.fizz.values()] }
  online (): FizzState[] { return this.list().filter(f => f.online && f.status !== undefined) }

  /** Polls every fizz node now (also after a reconnect, so state is fresh at once). */
  async poll (): Promise<void> {
    // Newcomers are found when they ask for a reservation; the full re-read (a chain query per
    // fizz node) only picks up revoked acceptances and new delegations, so it need not run every poll.
    if (Date.now() - this.refreshedAt > REFRESH_MS) await this.refresh().catch(() => {})
    await Promise.all(this.list().map(async (f) => {
      const peer = this.opts.host.getConnections().find(c => c.remotePeer.toString() === f.record.peerId)?.remotePeer
      let status: FizzStatus | undefined
      if (peer !== undefined) status = await fizzStatus(this.opts.host, peer).catch(() => undefined)
      if (status !== undefined) f.status = status
      f.failures = status === undefined ? f.failures + 1 : 0
      const online = status !== undefined || (f.online && f.failures < 2)
      if (online !== f.online) {
        f.online = online
        f.since = Date.now()
        this.opts.log.info(online ? 'fizz node online' : 'fizz node offline', { fizz: f.record.peerId, wallet: f.record.wallet })
        for (const l of this.listeners) l(f)
      }
    }))
  }

  private async refresh (): Promise<void> {
    this.refreshing ??= (async () => {
      const records = await fizzNodesOf(this.opts.c, this.opts.d, this.me)
      this.refreshedAt = Date.now()
      const seen = new Set(records.map(r => r.peerId))
      for (const r of records) {
        const known = this.fizz.get(r.peerId)
        if (known === undefined) this.fizz.set(r.peerId, { record: r, online: false, since: Date.now(), challenges: 0, failures: 0 })
        else known.record = r
      }
      for (const id of [...this.fizz.keys()]) if (!seen.has(id)) this.fizz.delete(id)
    })().finally(() => { this.refreshing = undefined })
    await this.refreshing
  }
}
