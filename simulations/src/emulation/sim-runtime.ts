/**
 * A simulated container runtime: the provider's `Runtime` interface kept in memory, so emulated
 * providers accept and run leases without Docker. Each replica "starts" after `startMs`, its
 * endpoints are made-up but well-formed (`host`:`basePort + n`), logs say what was started, and
 * exec answers with the command echoed and exit code 0. What it does not do: run code, use
 * memory or CPU, or fail — emulation measures the protocol, not workloads.
 */
import type { Endpoint, LeaseArgs, LeaseEvent, Manifest, ServiceStatus } from '@dcn/protocol'
import type { ExecSession, FoundLease, LeaseRef, OutputSink, Runtime } from '@dcn/node'

export interface SimRuntimeOptions {
  /** Time a replica takes to start (default 50 ms). */
  startMs?: number
  /** Host name put in endpoints (default 127.0.0.1). */
  host?: string
  /** First made-up host port (default 40000). */
  basePort?: number
}

interface SimLease {
  ref: LeaseRef
  services: ServiceStatus[]
  events: LeaseEvent[]
  logs: string[]
}

export interface SimRuntime extends Runtime {
  /** Leases with workloads "running" now. */
  running: () => bigint[]
  /** Deploys so far (a lease deployed twice counts twice). */
  deploys: () => number
}

export function simRuntime (opts: SimRuntimeOptions = {}): SimRuntime {
  const startMs = opts.startMs ?? 50
  const host = opts.host ?? '127.0.0.1'
  let nextPort = opts.basePort ?? 40000
  let deploys = 0
  const leases = new Map<bigint, SimLease>()
  const listeners: Array<(leaseId: bigint, e: LeaseEvent) => void> = []

  const event = (lease: SimLease, service: string, replica: number, kind: string, detail: string): void => {
    const e: LeaseEvent = { time: Date.now(), service, replica, kind, detail }
    lease.events.push(e)
    for (const l of listeners) l(lease.ref.leaseId, e)
  }

  const get = (leaseId: bigint): SimLease => {
    const lease = leases.get(leaseId)
    if (lease === undefined) throw new Error(`lease ${leaseId} has no workload on this simulated runtime`)
    return lease
  }

  return {
    async deploy (ref: LeaseRef, manifest: Manifest): Promise<Endpoint[]> {
      deploys++
      const existing = leases.get(ref.leaseId)
      if (existing !== undefined) return existing.services.flatMap(s => s.endpoints)
      const lease: SimLease = { ref, services: [], events: [], logs: [] }
      leases.set(ref.leaseId, lease)
      await new Promise(resolve => setTimeout(resolve, startMs))
      for (const [service, entry] of Object.entries(manifest.deployment)) {
        const spec = manifest.services[service]
        const endpoints: Endpoint[] = []
        for (let replica = 0; replica < entry.count; replica++) {
          event(lease, service, replica, 'start', `simulated ${spec?.image ?? 'image'}`)
          lease.logs.push(`${service}[${replica}]: started ${spec?.image ?? ''} (simulated)`)
          for (const p of spec?.expose ?? []) {
            const hostPort = nextPort++
            endpoints.push({ service, replica, port: p.port, proto: p.proto, host, hostPort, url: p.proto === 'http' ? `http://${host}:${hostPort}` : `${host}:${hostPort}` })
          }
        }
        lease.services.push({ service, replicas: entry.count, ready: entry.count, restarts: 0, lastExit: '', endpoints })
      }
      event(lease, '', 0, 'deploy', `${lease.services.length} service(s)`)
      return lease.services.flatMap(s => s.endpoints)
    },
    async teardown (leaseId) {
      const lease = leases.get(leaseId)
      if (lease === undefined) return
      event(lease, '', 0, 'teardown', 'simulated')
      leases.delete(leaseId)
    },
    async status (leaseId) { return get(leaseId).services.map(s => ({ ...s, endpoints: [...s.endpoints] })) },
    events (leaseId) { return [...(leases.get(leaseId)?.events ?? [])] },
    async loadHistory () {},
    async logs (leaseId, args: LeaseArgs['logs'], out: OutputSink) {
      const lines = get(leaseId).logs.filter(l => args.service === '' || l.startsWith(`${args.service}[`))
      const tail = args.tail < 0 ? lines : lines.slice(-args.tail)
      for (const l of tail) await out('stdout', new TextEncoder().encode(l + '\n'))
    },
    async exec (leaseId, args: LeaseArgs['exec'], out: OutputSink): Promise<ExecSession> {
      get(leaseId)
      const exit = out('stdout', new TextEncoder().encode(`simulated: ${args.cmd.join(' ')}\n`)).then(() => 0)
      return { write () {}, end () {}, resize: async () => {}, exit, detach () {} }
    },
    async found (): Promise<FoundLease[]> {
      return [...leases.values()].map(l => ({ ...l.ref, containers: l.services.reduce((n, s) => n + s.replicas, 0) }))
    },
    onEvent (listener) { listeners.push(listener) },
    stop () { leases.clear() },
    running: () => [...leases.keys()],
    deploys: () => deploys
  }
}
