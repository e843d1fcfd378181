/**
 * The provider's container runtime on a Docker engine (dockerode). Everything it creates carries
 * labels (provider, lease, order, owner, service, replica, published ports), so after a restart
 * the provider finds its workloads on the engine and serves them again; nothing is kept only in
 * memory but the event log, which is reloaded from the engine's own history.
 */
import type Docker from 'dockerode'
import type { ContainerInfo } from 'dockerode'
import type { Endpoint, LeaseArgs, LeaseEvent, Manifest, ServiceStatus } from '@dcn/protocol'
import type { Logger } from '../log.js'
import { Demuxer } from './demux.js'
import { dockerError, isNotFound } from './docker.js'
import { ensureImage } from './images.js'
import { LABEL, containerSpecs, networkName, networkSpec, type LeaseRef, type SpecOptions } from './spec.js'
import type { ExecSession, FoundLease, OutputSink, Runtime } from './runtime.js'

export interface DockerRuntimeOptions extends SpecOptions {
  docker: Docker
  /** The host name or address users reach published ports on. */
  endpointHost: string
  log: Logger
  /** How long a deploy waits for every replica to run. */
  startTimeoutMs?: number
}

const MAX_EVENTS = 500

interface DockerEvent {
  Type?: string
  Action?: string
  time?: number
  timeNano?: number
  Actor?: { ID?: string, Attributes?: Record<string, string> }
}

export class DockerRuntime implements Runtime {
  private readonly docker: Docker
  private readonly log: Logger
  private readonly eventLog = new Map<string, LeaseEvent[]>()
  private readonly listeners: Array<(leaseId: bigint, e: LeaseEvent) => void> = []
  /** Containers that died: their next start is a restart. */
  private readonly died = new Set<string>()
  private eventStream?: NodeJS.ReadableStream & { destroy?: () => void }
  private stopped = false
  /** Where the event stream resumes after a reconnect (events at or before it were seen). */
  private lastEventNano = Date.now() * 1e6

  constructor (private readonly opts: DockerRuntimeOptions) {
    this.docker = opts.docker
    this.log = opts.log
  }

  /** Follows the engine's container events for this provider (restarts, OOM kills). */
  async start (): Promise<void> {
    await this.follow()
  }

  stop (): void {
    this.stopped = true
    this.eventStream?.destroy?.()
  }

  onEvent (listener: (leaseId: bigint, e: LeaseEvent) => void): void {
    this.listeners.push(listener)
  }

  events (leaseId: bigint): LeaseEvent[] {
    return [...(this.eventLog.get(leaseId.toString()) ?? [])]
  }

  async deploy (lease: LeaseRef, manifest: Manifest): Promise<Endpoint[]> {
    const started = Date.now()
    const note = (kind: string, detail: string, service = '', replica = 0): void => {
      this.record(lease.leaseId, { time: Date.now(), service, replica, kind, detail })
    }
    note('deploy', `${Object.keys(manifest.services).length} service(s)`)
    try {
      for (const [name, svc] of Object.entries(manifest.services)) {
        await ensureImage(this.docker, svc.image, svc.pullPolicy, line => { note('pull', `${svc.image} ${line}`, name) })
      }
      await this.ensureNetwork(lease)
      // Containers found running (a provider restarted) are kept as they are, restarts and all.
      const fresh = new Set<string>()
      for (const spec of containerSpecs(lease, manifest, this.opts)) {
        const c = this.docker.getContainer(spec.name!)
        const existing = await c.inspect().catch((err: unknown) => { if (isNotFound(err)) return null; throw err })
        if (existing === null) await this.docker.createContainer(spec)
        if (existing?.State.Running !== true) {
          fresh.add(spec.name!)
          await c.start()
        }
      }
      await this.waitRunning(lease.leaseId, fresh)
    } catch (err) {
      const reason = dockerError(err)
      note('error', reason)
      await this.teardown(lease.leaseId).catch(() => {})
      throw new Error(reason)
    }
    note('running', `in ${Date.now() - started} ms`)
    return (await this.status(lease.leaseId)).flatMap(s => s.endpoints)
  }

  async teardown (leaseId: bigint): Promise<void> {
    for (const c of await this.containers(leaseId)) {
      await this.docker.getContainer(c.Id).remove({ force: true }).catch((err: unknown) => { if (!isNotFound(err)) throw err })
    }
    const nets = await this.docker.listNetworks({ filters: { label: [`${LABEL.provider}=${this.opts.provider.toLowerCase()}`, `${LABEL.lease}=${leaseId}`] } })
    for (const n of nets) {
      await this.docker.getNetwork(n.Id).remove().catch((err: unknown) => { if (!isNotFound(err)) throw err })
    }
    this.record(leaseId, { time: Date.now(), service: '', replica: 0, kind: 'teardown', detail: 'containers and network removed' })
  }

  async status (leaseId: bigint): Promise<ServiceStatus[]> {
    const byService = new Map<string, ServiceStatus>()
    const lastExit = new Map<string, string>()
    // Docker reports an OOM kill as `oom` then `die` (exit 137): the die of an oom is the oom.
    const oomed = new Set<string>()
    for (const e of this.eventLog.get(leaseId.toString()) ?? []) {
      const replica = `${e.service}/${e.replica}`
      if (e.kind === 'oom') {
        oomed.add(replica)
        lastExit.set(e.service, 'oom')
      } else if (e.kind === 'die' && !oomed.delete(replica)) {
        lastExit.set(e.service, e.detail)
      }
    }
    for (const info of await this.containers(leaseId)) {
      const service = info.Labels[LABEL.service]
      const replica = Number(info.Labels[LABEL.replica])
      const c = await this.docker.getContainer(info.Id).inspect().catch(() => null)
      if (c === null) continue
      const s = byService.get(service) ?? { service, replicas: 0, ready: 0, restarts: 0, lastExit: '', endpoints: [] }
      byService.set(service, s)
      s.replicas += 1
      if (c.State.Running && !c.State.Restarting) s.ready += 1
      s.restarts += c.RestartCount
      s.lastExit = lastExit.get(service) ?? (c.State.OOMKilled ? 'oom' : s.lastExit)
      s.endpoints.push(...this.endpoints(service, replica, info.Labels[LABEL.expose] ?? '', c.NetworkSettings.Ports))
    }
    return [...byService.values()].sort((a, b) => a.service.localeCompare(b.service))
  }

  async loadHistory (leaseId: bigint, sinceSeconds: number): Promise<void> {
    const stream = await this.docker.getEvents({
      since: sinceSeconds,
      // Fractional: events of the current second count too.
      until: (Date.now() / 1000).toFixed(3),
      filters: { type: ['container'], label: [`${LABEL.provider}=${this.opts.provider.toLowerCase()}`, `${LABEL.lease}=${leaseId}`] }
    } as object)
    const text = await new Promise<string>((resolve, reject) => {
      let buf = ''
      stream.on('data', (d: Buffer) => { buf += d.toString() })
      stream.on('end', () => { resolve(buf) })
      stream.on('error', reject)
    })
    const known = new Set((this.eventLog.get(leaseId.toString()) ?? []).map(e => `${e.time}/${e.kind}/${e.service}/${e.replica}`))
    const history: LeaseEvent[] = []
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue
      const e = this.translate(JSON.parse(line) as DockerEvent, false)
      if (e !== null && !known.has(`${e.event.time}/${e.event.kind}/${e.event.service}/${e.event.replica}`)) history.push(e.event)
    }
    const log = [...history, ...(this.eventLog.get(leaseId.toString()) ?? [])].sort((a, b) => a.time - b.time).slice(-MAX_EVENTS)
    this.eventLog.set(leaseId.toString(), log)
  }

  async logs (leaseId: bigint, args: LeaseArgs['logs'], out: OutputSink, signal: AbortSignal): Promise<void> {
    const containers = (await this.containers(leaseId)).filter(c => args.service === '' || c.Labels[LABEL.service] === args.service)
    if (containers.length === 0) throw new Error(args.service === '' ? 'the lease has no containers' : `no service "${args.service}" in this lease`)
    const prefixed = containers.length > 1
    // Writes go out in order, one at a time: the stream to the user applies backpressure.
    let queue = Promise.resolve()
    const send: OutputSink = async (s, d) => { queue = queue.then(async () => { await out(s, d) }); await queue }
    await Promise.all(containers.map(async (info) => {
      const label = `${info.Labels[LABEL.service]}-${info.Labels[LABEL.replica]}`
      const lines = prefixed ? new LinePrefixer(`${label} | `, send) : null
      const demux = new Demuxer((s, d) => { void (lines === null ? send(s, d) : lines.push(s, d)) })
      const c = this.docker.getContainer(info.Id)
      // The engine takes "all" for no limit (the type declares only numbers).
      const tail = (args.tail < 0 ? 'all' : args.tail) as number
      if (!args.follow) {
        demux.push(await c.logs({ stdout: true, stderr: true, tail, follow: false }))
      } else {
        const stream = await c.logs({ stdout: true, stderr: true, tail, follow: true }) as unknown as NodeJS.ReadableStream & { destroy: () => void }
        await new Promise<void>((resolve) => {
          const done = (): void => { signal.removeEventListener('abort', abort); resolve() }
          const abort = (): void => { stream.destroy(); done() }
          if (signal.aborted) { abort(); return }
          signal.addEventListener('abort', abort)
          stream.on('data', (d: Buffer) => { demux.push(d) })
          stream.on('end', done)
          stream.on('close', done)
          stream.on('error', done)
        })
      }
      lines?.flush()
    }))
    await queue
  }

  async exec (leaseId: bigint, args: LeaseArgs['exec'], out: OutputSink): Promise<ExecSession> {
    const containers = await this.containers(leaseId)
    const service = args.service === '' ? containers[0]?.Labels[LABEL.service] : args.service
    const info = containers.find(c => c.Labels[LABEL.service] === service && Number(c.Labels[LABEL.replica]) === args.replica)
    if (info === undefined) throw new Error(service === undefined ? 'the lease has no containers' : `no replica ${args.replica} of service "${service}" in this lease`)
    if (info.State !== 'running') throw new Error(`${service}-${args.replica} is ${info.State}, not running`)
    const exec = await this.docker.getContainer(info.Id).exec({ Cmd: args.cmd, AttachStdin: true, AttachStdout: true, AttachStderr: true, Tty: args.tty })
    const sock = await exec.start({ hijack: true, stdin: true, Tty: args.tty }) as NodeJS.ReadWriteStream & { destroy: () => void, end: () => void }
    if (args.tty) await exec.resize({ h: args.rows, w: args.cols }).catch(() => {})
    let queue = Promise.resolve()
    let detached = false
    const send = (s: 'stdout' | 'stderr', d: Uint8Array): void => { if (!detached) queue = queue.then(async () => { await out(s, d) }).catch(() => {}) }
    const demux = new Demuxer(send)
    sock.on('data', (d: Buffer) => { args.tty ? send('stdout', d) : demux.push(d) })
    const ended = new Promise<void>(resolve => { sock.on('end', resolve); sock.on('close', resolve); sock.on('error', () => { resolve() }) })
    const exit = ended.then(async () => {
      await queue
      // The output can end a moment before the engine records the exit code.
      for (let i = 0; i < 50; i++) {
        const s = await exec.inspect()
        if (!s.Running) return s.ExitCode ?? -1
        await new Promise(resolve => setTimeout(resolve, 20))
      }
      return -1
    })
    return {
      write: (d) => { sock.write(d) },
      end: () => { sock.end() },
      resize: async (cols, rows) => { await exec.resize({ h: rows, w: cols }).catch(() => {}) },
      exit,
      detach: () => { detached = true; sock.destroy() }
    }
  }

  async found (): Promise<FoundLease[]> {
    const filter = { label: [`${LABEL.provider}=${this.opts.provider.toLowerCase()}`] }
    const leases = new Map<string, FoundLease>()
    const add = (labels: Record<string, string>, containers: number): void => {
      const id = labels[LABEL.lease]
      if (id === undefined || !/^\d+$/.test(id)) return
      const l = leases.get(id) ?? { leaseId: BigInt(id), orderId: labels[LABEL.order] as `0x${string}`, owner: labels[LABEL.owner] ?? '', containers: 0 }
      l.containers += containers
      leases.set(id, l)
    }
    for (const c of await this.docker.listContainers({ all: true, filters: filter })) add(c.Labels, 1)
    for (const n of await this.docker.listNetworks({ filters: filter })) add(n.Labels ?? {}, 0)
    return [...leases.values()]
  }

  // ---------------------------------------------------------------- internals

  private async containers (leaseId: bigint): Promise<ContainerInfo[]> {
    const list = await this.docker.listContainers({ all: true, filters: { label: [`${LABEL.provider}=${this.opts.provider.toLowerCase()}`, `${LABEL.lease}=${leaseId}`] } })
    return list.sort((a, b) => a.Labels[LABEL.service].localeCompare(b.Labels[LABEL.service]) || Number(a.Labels[LABEL.replica]) - Number(b.Labels[LABEL.replica]))
  }

  private async ensureNetwork (lease: LeaseRef): Promise<void> {
    const existing = await this.docker.getNetwork(networkName(lease)).inspect().catch((err: unknown) => { if (isNotFound(err)) return null; throw err })
    if (existing === null) await this.docker.createNetwork(networkSpec(lease, this.opts))
  }

  /** Every replica running, or an error saying which one started now (`fresh`) failed and what it printed. */
  private async waitRunning (leaseId: bigint, fresh: Set<string>): Promise<void> {
    const until = Date.now() + (this.opts.startTimeoutMs ?? 30_000)
    while (true) {
      let waiting = ''
      for (const info of await this.containers(leaseId)) {
        const c = await this.docker.getContainer(info.Id).inspect()
        // Replicas that were running already are Docker's to keep alive (status reports them); one
        // started now that has already been restarted is crash-looping, even if it runs this instant.
        if (!fresh.has(c.Name.replace(/^\//, '')) || (c.State.Running && !c.State.Restarting && c.RestartCount === 0)) continue
        const name = `${info.Labels[LABEL.service]}-${info.Labels[LABEL.replica]}`
        if (c.RestartCount > 0 || c.State.Status === 'exited' || c.State.Status === 'dead') {
          const logs = (await this.docker.getContainer(info.Id).logs({ stdout: true, stderr: true, tail: 5, follow: false }) as unknown as Buffer)
          let text = ''
          new Demuxer((_s, d) => { text += d.toString() }).push(logs)
          // The state's exit code is 0 again once Docker has restarted it: the last die event keeps
          // the real one. On a busy host that event can come in after the restart shows in the
          // state, so a restarted replica's is waited for (up to 2 s).
          const lastDie = (): LeaseEvent | undefined => (this.eventLog.get(leaseId.toString()) ?? []).filter(e => e.kind === 'die' && `${e.service}-${e.replica}` === name).pop()
          let died = lastDie()
          for (let i = 0; died === undefined && c.RestartCount > 0 && i < 40; i++) {
            await new Promise(resolve => setTimeout(resolve, 50))
            died = lastDie()
          }
          const code = died === undefined ? c.State.ExitCode : Number(died.detail.replace('exit ', ''))
          const why = c.State.OOMKilled ? 'was killed for using more memory than its limit' : `exited with code ${code}`
          throw new Error(`${name} ${why}${text.trim() === '' ? '' : `: ${text.trim().split('\n').slice(-3).join(' / ')}`}`)
        }
        waiting = name
      }
      if (waiting === '') return
      if (Date.now() > until) throw new Error(`${waiting} did not start in ${Math.round((this.opts.startTimeoutMs ?? 30_000) / 1000)} s`)
      await new Promise(resolve => setTimeout(resolve, 50))
    }
  }

  private endpoints (service: string, replica: number, exposeLabel: string, ports: Record<string, Array<{ HostIp: string, HostPort: string }> | null> | undefined): Endpoint[] {
    const out: Endpoint[] = []
    for (const item of exposeLabel.split(',').filter(x => x !== '')) {
      const [portText, proto] = item.split('/') as [string, Endpoint['proto']]
      const binding = ports?.[`${portText}/${proto === 'udp' ? 'udp' : 'tcp'}`]?.[0]
      if (binding === undefined) continue
      const hostPort = Number(binding.HostPort)
      const host = this.opts.endpointHost
      out.push({ service, replica, port: Number(portText), proto, host, hostPort, url: proto === 'http' ? `http://${host}:${hostPort}` : `${host}:${hostPort}` })
    }
    return out
  }

  private record (leaseId: bigint, e: LeaseEvent): void {
    const key = leaseId.toString()
    const log = this.eventLog.get(key) ?? []
    log.push(e)
    if (log.length > MAX_EVENTS) log.splice(0, log.length - MAX_EVENTS)
    this.eventLog.set(key, log)
    for (const l of this.listeners) l(leaseId, e)
  }

  /** A Docker event as a lease event, or null when it is not one we report. */
  private translate (ev: DockerEvent, live: boolean): { leaseId: bigint, event: LeaseEvent } | null {
    const attrs = ev.Actor?.Attributes ?? {}
    const id = attrs[LABEL.lease]
    if (ev.Type !== 'container' || id === undefined || !/^\d+$/.test(id)) return null
    const action = (ev.Action ?? '').split(':')[0]
    const cid = ev.Actor?.ID ?? ''
    let kind: string
    let detail = ''
    if (action === 'die') {
      kind = 'die'
      detail = `exit ${attrs.exitCode ?? '?'}`
      this.died.add(cid)
    } else if (action === 'oom') {
      kind = 'oom'
      detail = 'killed: out of memory'
    } else if (action === 'start') {
      kind = this.died.has(cid) ? 'restart' : 'start'
      if (live) this.died.delete(cid)
    } else if (action === 'create' || action === 'destroy') {
      kind = action
    } else {
      return null
    }
    const time = ev.timeNano !== undefined ? Math.floor(ev.timeNano / 1e6) : (ev.time ?? 0) * 1000
    return { leaseId: BigInt(id), event: { time, service: attrs[LABEL.service] ?? '', replica: Number(attrs[LABEL.replica] ?? 0), kind, detail } }
  }

  private async follow (): Promise<void> {
    if (this.stopped) return
    const stream = await this.docker.getEvents({
      since: Math.floor(this.lastEventNano / 1e9),
      filters: { type: ['container'], label: [`${LABEL.provider}=${this.opts.provider.toLowerCase()}`] }
    } as object) as NodeJS.ReadableStream & { destroy: () => void }
    this.eventStream = stream
    let buf = ''
    stream.on('data', (d: Buffer) => {
      buf += d.toString()
      let nl: number
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl)
        buf = buf.slice(nl + 1)
        if (line.trim() === '') continue
        try {
          const raw = JSON.parse(line) as DockerEvent
          const nano = raw.timeNano ?? (raw.time ?? 0) * 1e9
          if (nano <= this.lastEventNano) continue
          this.lastEventNano = nano
          const e = this.translate(raw, true)
          if (e !== null) this.record(e.leaseId, e.event)
        } catch (err) {
          this.log.debug('unreadable docker event', { error: (err as Error).message })
        }
      }
    })
    const lost = (): void => {
      if (this.eventStream !== stream) return
      this.eventStream = undefined
      this.followLater(1000)
    }
    stream.on('end', lost)
    stream.on('error', lost)
  }

  private followLater (delayMs: number): void {
    if (this.stopped) return
    setTimeout(() => {
      this.follow().catch((err: unknown) => {
        this.log.warn('docker events lost; retrying', { error: dockerError(err) })
        this.followLater(2000)
      })
    }, delayMs).unref()
  }
}

/** Prefixes each complete line with the replica's name (logs of several containers at once). */
class LinePrefixer {
  private readonly partial: Record<'stdout' | 'stderr', string> = { stdout: '', stderr: '' }
  constructor (private readonly prefix: string, private readonly out: OutputSink) {}

  async push (s: 'stdout' | 'stderr', d: Uint8Array): Promise<void> {
    const text = this.partial[s] + Buffer.from(d).toString()
    const cut = text.lastIndexOf('\n') + 1
    this.partial[s] = text.slice(cut)
    if (cut > 0) await this.out(s, Buffer.from(text.slice(0, cut).split('\n').slice(0, -1).map(l => this.prefix + l + '\n').join('')))
  }

  flush (): void {
    for (const s of ['stdout', 'stderr'] as const) {
      if (this.partial[s] !== '') void this.out(s, Buffer.from(this.prefix + this.partial[s] + '\n'))
      this.partial[s] = ''
    }
  }
}

/** Removes every container and network a provider has on the engine (a devnet's chain died with it). */
export async function removeProviderObjects (docker: Docker, provider: string): Promise<number> {
  const filters = { label: [`${LABEL.provider}=${provider.toLowerCase()}`] }
  const containers = await docker.listContainers({ all: true, filters })
  for (const c of containers) await docker.getContainer(c.Id).remove({ force: true }).catch(() => {})
  for (const n of await docker.listNetworks({ filters })) await docker.getNetwork(n.Id).remove().catch(() => {})
  return containers.length
}
