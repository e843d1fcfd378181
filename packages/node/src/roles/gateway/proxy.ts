/**
 * The gateway's `/dcn/manifest/1.0.0` and `/dcn/lease/1.0.0`: its leases run on fizz nodes, so
 * each request is passed on, as signed by the lease owner, to the fizz node the lease names —
 * which checks the signature and the lease on chain itself. The gateway only refuses what cannot
 * be a request for one of its fizz leases, and rewrites endpoints: a container port behind a NAT
 * becomes a port of the gateway's ingress (and a host name on its HTTP port), tunnelled to the
 * fizz node. Logs and shells are relayed frame by frame, both ways.
 */
import { peerIdFromString } from '@libp2p/peer-id'
import {
  Frames, MAX_MANIFEST_BYTES, PROTOCOLS, getLease, parseLeaseRequestFrame, parseManifestDelivery,
  type Deployment, type Endpoint, type LeaseRecord, type SettlementClients
} from '@dcn/protocol'
import type { Ingress, Route } from '@dcn/gateway'
import type { Host } from '../../host.js'
import type { Logger } from '../../log.js'
import type { NodeMetrics } from '../../metrics.js'
import { REQUEST_TIMEOUT_MS, refuse } from '../provider/request-guard.js'
import { AccessError } from '../provider/workloads.js'

export interface ProxyOptions {
  host: Host
  c: SettlementClients
  d: Deployment
  ingress: Ingress
  /** The host name users reach the ingress on. */
  publicHost: string
  metrics: NodeMetrics
  log: Logger
  /** The set of exposed endpoints changed. */
  onChange?: () => void
  /** A lease's manifest reached its fizz node and runs. */
  onDelivered?: (leaseId: bigint) => void
}

/** Ingress keys of a lease: `l<lease>-<service>-<port>` (a DNS label, for `<key>.<domain>`). */
export const ingressKey = (leaseId: bigint | string, service: string, port: number): string => `l${leaseId}-${service}-${port}`

export async function handleGatewayProxy (opts: ProxyOptions): Promise<void> {
  const { host, metrics, log } = opts

  await host.handle(PROTOCOLS.manifest, async (stream) => {
    const frames = new Frames(stream, MAX_MANIFEST_BYTES + 4096)
    let fizz: Frames | undefined
    try {
      const req = parseManifestDelivery(await frames.readJson(REQUEST_TIMEOUT_MS), 'request')
      const lease = await fizzLease(opts, req.leaseId)
      fizz = await openFizz(host, lease, PROTOCOLS.manifest, MAX_MANIFEST_BYTES + 4096)
      await fizz.writeJson(req)
      while (true) {
        const answer = await fizz.readJson() as { ok?: boolean, endpoints?: Endpoint[] }
        if (answer.ok === true) {
          await frames.writeJson({ ...answer, endpoints: await expose(opts, lease, answer.endpoints ?? []) })
          opts.onDelivered?.(lease.leaseId)
          metrics.accessRequests.inc({ op: 'manifest', result: 'forwarded' })
          break
        }
        await frames.writeJson(answer)
        if (answer.ok === false) break
      }
    } catch (err) {
      metrics.accessRequests.inc({ op: 'manifest', result: 'refused' })
      await refuse(frames, err, log, 'manifest forwarding')
    } finally {
      await fizz?.close()
      await frames.close()
    }
  }, { maxInboundStreams: 8 })

  await host.handle(PROTOCOLS.lease, async (stream) => {
    const frames = new Frames(stream)
    let fizz: Frames | undefined
    try {
      const req = parseLeaseRequestFrame(await frames.readJson(REQUEST_TIMEOUT_MS), 'request')
      const lease = await fizzLease(opts, req.leaseId)
      fizz = await openFizz(host, lease, PROTOCOLS.lease)
      await fizz.writeJson(req)
      const answer = await fizz.readJson() as { ok?: boolean, services?: Array<{ endpoints: Endpoint[] }> }
      if (answer.ok === true && req.op === 'status') {
        for (const s of answer.services ?? []) s.endpoints = endpointsOf(opts, lease, s.endpoints)
      }
      await frames.writeJson(answer)
      metrics.accessRequests.inc({ op: req.op, result: 'forwarded' })
      // Logs and shells go on: frames both ways until either side ends.
      if (answer.ok === true && (req.op === 'logs' || req.op === 'exec')) await relay(frames, fizz)
    } catch (err) {
      metrics.accessRequests.inc({ op: 'lease', result: 'refused' })
      await refuse(frames, err, log, 'lease request forwarding')
    } finally {
      await fizz?.close()
      await frames.close()
    }
  }, { maxInboundStreams: 16 })
}

/** The lease, if it is one of this gateway's fizz leases. */
async function fizzLease (opts: ProxyOptions, leaseId: bigint): Promise<LeaseRecord> {
  const lease = await getLease(opts.c, opts.d, leaseId).catch(() => { throw new AccessError(`no lease ${leaseId} on chain`) })
  if (lease.provider.toLowerCase() !== opts.c.account.address.toLowerCase() || lease.fizzId === '') throw new AccessError(`lease ${leaseId} is not a fizz lease of this gateway`)
  return lease
}

async function openFizz (host: Host, lease: LeaseRecord, protocol: string, maxFrame?: number): Promise<Frames> {
  const peer = peerIdFromString(lease.fizzId)
  if (!host.getConnections().some(c => c.remotePeer.equals(peer))) throw new AccessError(`the fizz node of lease ${lease.leaseId} is offline; it resumes when it reconnects`)
  const stream = await host.dialProtocol(peer, protocol, { signal: AbortSignal.timeout(10_000) })
    .catch((err: Error) => { throw new AccessError(`cannot reach the fizz node of lease ${lease.leaseId}: ${err.message.split('\n')[0]}`) })
  return new Frames(stream, maxFrame)
}

/** Exposes a lease's endpoints on the ingress (one per service port; replicas behind it). */
async function expose (opts: ProxyOptions, lease: LeaseRecord, endpoints: Endpoint[]): Promise<Endpoint[]> {
  const peer = peerIdFromString(lease.fizzId)
  const byKey = new Map<string, { e: Endpoint, routes: Route[] }>()
  for (const e of endpoints) {
    const key = ingressKey(lease.leaseId, e.service, e.port)
    const entry = byKey.get(key) ?? { e, routes: [] }
    entry.routes.push({ peer, request: { leaseId: lease.leaseId.toString(), service: e.service, replica: e.replica, port: e.port } })
    byKey.set(key, entry)
  }
  for (const [key, { e, routes }] of byKey) {
    if (opts.ingress.endpoints().some(x => x.key === key)) opts.ingress.update(key, routes)
    else await opts.ingress.expose(key, routes, { http: e.proto === 'http' })
  }
  opts.onChange?.()
  return endpointsOf(opts, lease, endpoints)
}

/** The public endpoints of a lease's container endpoints, from what the ingress has exposed. */
function endpointsOf (opts: ProxyOptions, lease: LeaseRecord, endpoints: Endpoint[]): Endpoint[] {
  const out: Endpoint[] = []
  const exposed = opts.ingress.endpoints()
  for (const e of endpoints) {
    const key = ingressKey(lease.leaseId, e.service, e.port)
    const x = exposed.find(i => i.key === key)
    if (x === undefined || out.some(o => o.service === e.service && o.port === e.port)) continue
    const h = opts.publicHost
    out.push({
      service: e.service, replica: 0, port: e.port, proto: e.proto, host: h, hostPort: x.tcpPort,
      url: e.proto === 'http' ? `http://${h}:${x.tcpPort}` : `${h}:${x.tcpPort}`,
      ...(x.httpHost === undefined ? {} : { httpHost: x.httpHost, httpPort: x.httpPort })
    })
  }
  return out
}

/** Copies frames from each side to the other until one side ends. */
async function relay (a: Frames, b: Frames): Promise<void> {
  const pump = async (from: Frames, to: Frames): Promise<void> => {
    while (true) {
      const f = await from.read().catch(() => null)
      if (f === null) return
      await to.write(f)
    }
  }
  await Promise.race([pump(a, b), pump(b, a)])
}
