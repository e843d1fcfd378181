/**
 * The provider's leases from LeaseCreated to teardown (SPEC lifecycle steps 5–7):
 *
 * - a lease of this provider waits for its manifest; one that never comes is closed on chain
 *   after `manifestTimeoutMs` (the user is refunded) and its capacity released;
 * - a delivered manifest is checked against the chain (owner, provider, hash, still active),
 *   written to `<data-dir>/leases/<id>.json` and deployed;
 * - a lease closed on chain (by either side) or run to its end is torn down; at its end the
 *   provider also settles its payment;
 * - on start, leases are rebuilt from three sources that survive a SIGKILL: the engine's
 *   labelled containers, the lease files and the chain. What is still active is adopted (and
 *   redeployed if containers are missing); what closed while the provider was away is removed.
 */
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync, renameSync } from 'node:fs'
import { join } from 'node:path'
import {
  ManifestError, closeLease, getLease, listLeases, manifestHash, parseManifest, withdrawLease,
  type Address, type Deployment, type Endpoint, type Hex, type LeaseEvent, type LeaseRecord, type Resources, type Manifest, type SettlementClients
} from '@dcn/protocol'
import type { Logger } from '../../log.js'
import type { NodeMetrics } from '../../metrics.js'
import type { Runtime } from '../../runtime/runtime.js'
import type { LeaseListener } from './chain.js'

/** A refusal to send back to the user, one line. */
export class AccessError extends Error {
  constructor (message: string) { super(message); this.name = 'AccessError' }
}

/** Who holds capacity for leases: the bid engine of a provider, the reservations of a fizz node. */
export interface LeaseCapacity {
  adoptLease: (orderId: Hex, leaseId: bigint, resources: Resources, endSeconds: number) => boolean
  onLeaseClosed: (leaseId: bigint) => void
}

export interface WorkloadsOptions {
  runtime: Runtime
  capacity: LeaseCapacity
  /**
   * Whose leases run here: the provider's own (`fizzId` ''), or, on a fizz node, its gateway's
   * leases that name this fizz node.
   */
  operator: { provider: Address, fizzId: string }
  c: SettlementClients
  d: Deployment
  dataDir: string
  tokens: Record<string, Address>
  manifestTimeoutMs: number
  /** How often every lease is re-checked on chain (missed events, leases run out). */
  reconcileMs?: number
  metrics: NodeMetrics
  log: Logger
}

interface LeaseFile { leaseId: string, orderId: string, owner: string, manifest: string }

interface Tracked {
  lease: LeaseRecord
  /** Tears the lease down and settles it when its paid time is up. */
  endTimer?: NodeJS.Timeout
  manifest?: Manifest
  manifestText?: string
  /** The deploy in progress or done (a repeated delivery waits on the same one). */
  deploying?: Promise<Endpoint[]>
  timer?: NodeJS.Timeout
}

export class Workloads implements LeaseListener {
  private readonly tracked = new Map<string, Tracked>()
  /** Deliveries in progress that want the deploy's events (image pulls, starts) as they happen. */
  private readonly watchers = new Map<string, (e: LeaseEvent) => void>()
  private readonly dir: string
  private reconcileTimer?: NodeJS.Timeout
  private readonly provider: string
  /** Only the lease's provider may close it on chain; a fizz node leaves that to its gateway. */
  private readonly canClose: boolean

  constructor (private readonly opts: WorkloadsOptions) {
    this.dir = join(opts.dataDir, 'leases')
    this.provider = opts.operator.provider.toLowerCase()
    this.canClose = this.provider === opts.c.account.address.toLowerCase()
  }

  async start (): Promise<void> {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 })
    this.opts.runtime.onEvent((leaseId, e) => {
      this.watchers.get(leaseId.toString())?.(e)
      this.opts.metrics.containerEvents.inc({ kind: e.kind })
      if (e.kind === 'oom' || e.kind === 'die' || e.kind === 'restart') {
        const t = this.tracked.get(leaseId.toString())
        // A die during teardown is expected; one of a running lease is worth a line.
        if (t?.deploying !== undefined) this.opts.log.warn(`container ${e.kind}`, { lease: leaseId, service: `${e.service}-${e.replica}`, detail: e.detail })
      }
    })
    await this.recover()
    this.reconcileTimer = setInterval(() => { void this.reconcile() }, this.opts.reconcileMs ?? 15_000)
    this.reconcileTimer.unref()
  }

  /** Stops timers only: workloads keep running while the provider is away. */
  stop (): void {
    clearInterval(this.reconcileTimer)
    for (const t of this.tracked.values()) { clearTimeout(t.timer); clearTimeout(t.endTimer) }
  }

  list (): Array<{ leaseId: string, deployed: boolean, end: string }> {
    return [...this.tracked.values()].map(t => ({ leaseId: t.lease.leaseId.toString(), deployed: t.deploying !== undefined, end: new Date(Number(t.lease.end) * 1000).toISOString() }))
  }

  /** LeaseCreated for this provider: wait for its manifest. */
  onLeaseCreated (leaseId: bigint): void {
    if (this.tracked.has(leaseId.toString())) return
    getLease(this.opts.c, this.opts.d, leaseId).then(async lease => { if (this.isMine(lease)) await this.track(lease) }, (err: Error) => {
      this.opts.log.warn('lease lookup failed', { lease: leaseId, error: err.message })
    })
  }

  onLeaseClosed (leaseId: bigint): void {
    if (this.tracked.has(leaseId.toString())) void this.finish(leaseId, 'closed on chain')
  }

  /**
   * A manifest from `signer` for a lease: every check, then the deploy. Idempotent: a repeated
   * delivery of the same manifest answers with the same endpoints.
   */
  async deliver (leaseId: bigint, text: string, signer: Address, progress?: (e: LeaseEvent) => void): Promise<Endpoint[]> {
    const lease = await getLease(this.opts.c, this.opts.d, leaseId).catch(() => { throw new AccessError(`no lease ${leaseId} on chain`) })
    this.checkOwner(lease, signer)
    if (!(await this.active(lease))) throw new AccessError(`lease ${leaseId} is closed`)
    const hash = manifestHash(text)
    if (hash !== lease.manifestHash.toLowerCase()) throw new AccessError(`manifest hash ${hash} differs from the order's ${lease.manifestHash}`)
    let parsed: ReturnType<typeof parseManifest>
    try {
      parsed = parseManifest(text, { tokens: this.opts.tokens })
    } catch (err) {
      throw new AccessError(err instanceof ManifestError ? `manifest: ${err.message}` : `manifest: ${(err as Error).message}`)
    }
    const t = this.tracked.get(leaseId.toString()) ?? await this.track(lease)
    if (t.deploying === undefined) {
      if (!this.opts.capacity.adoptLease(lease.orderId, leaseId, parsed.order.resources, Number(lease.end))) {
        throw new AccessError('this provider no longer has free capacity for the lease')
      }
      clearTimeout(t.timer)
      t.manifest = parsed.manifest
      t.manifestText = text
      this.save(t)
      if (progress !== undefined) this.watchers.set(leaseId.toString(), progress)
      t.deploying = this.deploy(t)
    }
    try {
      return await t.deploying
    } finally {
      this.watchers.delete(leaseId.toString())
    }
  }

  /** The lease if `signer` owns it and it runs here; otherwise an AccessError saying why. */
  authorize (leaseId: bigint, signer: Address): Tracked {
    const t = this.tracked.get(leaseId.toString())
    if (t === undefined) throw new AccessError(`lease ${leaseId} has no workload on this provider`)
    this.checkOwner(t.lease, signer)
    if (t.deploying === undefined) throw new AccessError(`lease ${leaseId} has no manifest yet`)
    return t
  }

  /** Where a published container port of a running lease listens on this machine (for tunnels). */
  async portOf (leaseId: bigint, service: string, replica: number, port: number): Promise<{ host: string, port: number }> {
    const t = this.tracked.get(leaseId.toString())
    if (t?.deploying === undefined) throw new AccessError(`lease ${leaseId} runs nothing here`)
    const e = (await this.opts.runtime.status(leaseId)).flatMap(x => x.endpoints).find(x => x.service === service && x.replica === replica && x.port === port)
    if (e === undefined) throw new AccessError(`lease ${leaseId} exposes no port ${port} of ${service}-${replica}`)
    return { host: e.host, port: e.hostPort }
  }

  // ---------------------------------------------------------------- internals

  private checkOwner (lease: LeaseRecord, signer: Address): void {
    if (!this.isMine(lease)) throw new AccessError(`lease ${lease.leaseId} is not with this ${this.opts.operator.fizzId === '' ? 'provider' : 'fizz node'}`)
    if (lease.owner.toLowerCase() !== signer.toLowerCase()) throw new AccessError(`only the lease's owner ${lease.owner} may do this; the request is signed by ${signer}`)
  }

  private isMine (lease: LeaseRecord): boolean {
    return lease.provider.toLowerCase() === this.provider && lease.fizzId === this.opts.operator.fizzId
  }

  private async active (lease: LeaseRecord): Promise<boolean> {
    const now = (await this.opts.c.public.getBlock()).timestamp
    // A paused lease has not run out: its end moves on when it resumes.
    return lease.closedAt === 0n && (lease.pausedAt !== 0n || now < lease.end)
  }

  private async deploy (t: Tracked): Promise<Endpoint[]> {
    const started = Date.now()
    const ref = { leaseId: t.lease.leaseId, orderId: t.lease.orderId, owner: t.lease.owner }
    try {
      const endpoints = await this.opts.runtime.deploy(ref, t.manifest!)
      this.opts.metrics.deploys.inc({ result: 'ok' })
      this.opts.metrics.deploySeconds.observe((Date.now() - started) / 1000)
      this.syncGauge()
      this.opts.log.info('deployed', { lease: t.lease.leaseId, ms: Date.now() - started, endpoints: endpoints.map(e => e.url).join(',') })
      return endpoints
    } catch (err) {
      this.opts.metrics.deploys.inc({ result: 'failed' })
      this.opts.log.warn('deploy failed', { lease: t.lease.leaseId, error: (err as Error).message })
      // The user may deliver again (a fixed image, a pushed tag) until the manifest timeout.
      t.deploying = undefined
      this.forget(t.lease.leaseId)
      this.waitForManifest(t)
      throw new AccessError(`deploy failed: ${(err as Error).message}`)
    }
  }

  private async track (lease: LeaseRecord): Promise<Tracked> {
    const key = lease.leaseId.toString()
    const existing = this.tracked.get(key)
    if (existing !== undefined) return existing
    const t: Tracked = { lease }
    this.tracked.set(key, t)
    this.waitForManifest(t)
    this.scheduleEnd(t)
    this.syncGauge()
    return t
  }

  /**
   * At the lease's end (a second late, so the chain's clock has passed it too): tear down and
   * settle — unless the end has moved (a paused lease ends later by the time it was paused).
   */
  private scheduleEnd (t: Tracked): void {
    clearTimeout(t.endTimer)
    // While paused the end moves on; look again later.
    const delay = t.lease.pausedAt !== 0n ? 15_000 : Number(t.lease.end) * 1000 + 1000 - Date.now()
    t.endTimer = setTimeout(() => {
      void getLease(this.opts.c, this.opts.d, t.lease.leaseId).then(async (lease) => {
        t.lease = lease
        // The wall clock, not the last block: a quiet chain mines no block to say the time is up.
        const now = BigInt(Math.floor(Date.now() / 1000))
        if (lease.closedAt === 0n && (lease.pausedAt !== 0n || now < lease.end)) this.scheduleEnd(t)
        else await this.finish(lease.leaseId, lease.closedAt === 0n ? 'lease ended' : 'closed on chain', lease.closedAt === 0n ? 'settle' : undefined)
      }, () => { this.scheduleEnd(t) })
    }, Math.max(1000, delay))
    t.endTimer.unref()
  }

  private waitForManifest (t: Tracked): void {
    clearTimeout(t.timer)
    t.timer = setTimeout(() => {
      if (t.deploying !== undefined) return
      this.opts.log.warn('no manifest arrived; closing the lease', { lease: t.lease.leaseId, afterMs: this.opts.manifestTimeoutMs })
      void this.finish(t.lease.leaseId, 'no manifest', 'close')
    }, this.opts.manifestTimeoutMs)
    t.timer.unref()
  }

  /** Tears a lease down here, and on chain: `close` (no manifest) or `settle` (its time is up). */
  private async finish (leaseId: bigint, reason: string, onChain?: 'close' | 'settle'): Promise<void> {
    const key = leaseId.toString()
    const t = this.tracked.get(key)
    if (t !== undefined) { clearTimeout(t.timer); clearTimeout(t.endTimer) }
    this.tracked.delete(key)
    this.syncGauge()
    try {
      await this.opts.runtime.teardown(leaseId)
      this.forget(leaseId)
      this.opts.capacity.onLeaseClosed(leaseId)
      this.opts.log.info('lease torn down', { lease: leaseId, reason })
      if (onChain === 'close' && this.canClose) await closeLease(this.opts.c, this.opts.d, leaseId)
      if (onChain === 'settle') await withdrawLease(this.opts.c, this.opts.d, leaseId)
    } catch (err) {
      this.opts.log.warn('lease teardown incomplete; retrying at the next check', { lease: leaseId, reason, error: (err as Error).message })
    }
  }

  /** Re-checks every lease on chain: catches missed LeaseClosed events and leases that ran out. */
  private async reconcile (): Promise<void> {
    for (const t of [...this.tracked.values()]) {
      try {
        const lease = await getLease(this.opts.c, this.opts.d, t.lease.leaseId)
        t.lease = lease
        if (!(await this.active(lease))) await this.finish(lease.leaseId, lease.closedAt === 0n ? 'lease ended' : 'closed on chain', lease.closedAt === 0n ? 'settle' : undefined)
      } catch (err) {
        this.opts.log.debug('lease check failed', { lease: t.lease.leaseId, error: (err as Error).message })
      }
    }
    // Objects left on the engine by a teardown that failed.
    for (const f of await this.opts.runtime.found().catch(() => [])) {
      if (!this.tracked.has(f.leaseId.toString())) await this.opts.runtime.teardown(f.leaseId).catch(() => {})
    }
  }

  private async recover (): Promise<void> {
    const files = new Map<string, LeaseFile>()
    for (const name of readdirSync(this.dir).filter(n => /^\d+\.json$/.test(n))) {
      try {
        const f = JSON.parse(readFileSync(join(this.dir, name), 'utf8')) as LeaseFile
        files.set(f.leaseId, f)
      } catch (err) {
        this.opts.log.warn('unreadable lease file, ignored', { file: name, error: (err as Error).message })
      }
    }
    const found = await this.opts.runtime.found()
    const onChain = (await listLeases(this.opts.c, this.opts.d, this.opts.operator.provider, 'provider')).filter(l => this.isMine(l))
    const now = (await this.opts.c.public.getBlock()).timestamp
    const byId = new Map(onChain.map(l => [l.leaseId.toString(), l]))
    const ids = new Set([...files.keys(), ...found.map(f => f.leaseId.toString()), ...onChain.filter(l => l.closedAt === 0n && (l.pausedAt !== 0n || now < l.end)).map(l => l.leaseId.toString())])
    for (const id of ids) {
      const lease = byId.get(id)
      const file = files.get(id)
      const labels = found.find(f => f.leaseId.toString() === id)
      // The same lease number on another chain (an old devnet) is another lease: match the order too.
      const same = lease !== undefined && (file === undefined || file.orderId === lease.orderId) && (labels === undefined || labels.orderId === lease.orderId)
      if (!same || lease.closedAt !== 0n || (lease.pausedAt === 0n && now >= lease.end)) {
        await this.opts.runtime.teardown(BigInt(id)).catch((err: Error) => { this.opts.log.warn('teardown failed', { lease: id, error: err.message }) })
        this.forget(BigInt(id))
        if (same && lease.closedAt === 0n) await withdrawLease(this.opts.c, this.opts.d, lease.leaseId).catch(() => {})
        this.opts.log.info('removed a lease that ended while away', { lease: id })
        continue
      }
      const t = await this.track(lease)
      if (file === undefined) continue
      const { manifest, order } = parseManifest(file.manifest, { tokens: this.opts.tokens })
      if (!this.opts.capacity.adoptLease(lease.orderId, lease.leaseId, order.resources, Number(lease.end))) {
        this.opts.log.warn('recovered lease does not fit the configured capacity', { lease: id })
      }
      clearTimeout(t.timer)
      t.manifest = manifest
      t.manifestText = file.manifest
      await this.opts.runtime.loadHistory(lease.leaseId, Number(lease.start)).catch(() => {})
      // Completes a deploy the kill interrupted; running containers are kept as they are.
      t.deploying = this.deploy(t)
      await t.deploying.catch(() => {})
      this.opts.log.info('lease recovered', { lease: id, containers: labels?.containers ?? 0 })
    }
  }

  private save (t: Tracked): void {
    const file: LeaseFile = { leaseId: t.lease.leaseId.toString(), orderId: t.lease.orderId, owner: t.lease.owner, manifest: t.manifestText! }
    const path = join(this.dir, `${file.leaseId}.json`)
    writeFileSync(`${path}.tmp`, JSON.stringify(file), { mode: 0o600 })
    renameSync(`${path}.tmp`, path)
  }

  private forget (leaseId: bigint): void {
    rmSync(join(this.dir, `${leaseId}.json`), { force: true })
  }

  private syncGauge (): void {
    this.opts.metrics.leasesRunning.set([...this.tracked.values()].filter(t => t.deploying !== undefined).length)
  }
}
