/**
 * The gateway role: a provider whose capacity is a subnet of fizz nodes behind NAT.
 *
 * - On chain it registers as a gateway, stakes, and accepts the fizz wallets of `subnet.accept`.
 * - Its host runs a circuit-relay-v2 server whose reservations have no limits but are granted
 *   only to its registered fizz nodes (`FizzDirectory.allows`; everyone else is refused).
 * - It polls each fizz node (`/dcn/fizz/1.0.0`) and bids for orders with the one it picks
 *   (`SubnetSupply`), passes manifests and lease requests on to the fizz node a lease names, and
 *   exposes the services on its ingress: a TCP port each, and HTTP by host name on one port,
 *   tunnelled over `/dcn/tunnel/1.0.0` on the connection the fizz node keeps to it.
 * - It answers slarks' challenges for its subnet: one request per committee member and slot,
 *   fanned out to its fizz nodes, their answers sealed into one aggregate (`challenge-aggregator`).
 * - Ingress endpoints of leases that close or end are removed; a lease whose manifest never
 *   arrives is closed after `provider.manifestTimeout` (the user is refunded).
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { peerIdFromString } from '@libp2p/peer-id'
import { Ingress, openTunnel, type EndpointInfo, type TunnelRequest } from '@dcn/gateway'
import { acceptFizz, closeLease, getLease, listLeases, pauseLease, resumeLease, type Deployment, type SettlementClients } from '@dcn/protocol'
import type { NodeConfig } from '../../config.js'
import type { Host } from '../../host.js'
import type { Logger } from '../../log.js'
import type { NodeMetrics } from '../../metrics.js'
import type { Gossip } from '../../network/gossip.js'
import { watchLeases } from '../../chain/lease-events.js'
import { BidEngine } from '../provider/bid-engine.js'
import { joinChain } from '../provider/chain.js'
import type { FizzDirectory, FizzState } from './directory.js'
import { SubnetSupply } from './subnet-supply.js'
import { handleGatewayProxy } from './proxy.js'
import { aggregateChallenges, type SubnetChallengeLog } from './challenge-aggregator.js'
import type { LocalAccount } from 'viem/accounts'

interface SavedEndpoint { key: string, tcpPort: number, http: boolean, routes: Array<{ peer: string, request: TunnelRequest }> }

/** `<data-dir>/ingress.json`: the exposed endpoints, rewritten whole on every change. */
class SavedEndpoints {
  constructor (private readonly path: string) {}

  load (): SavedEndpoint[] {
    try {
      return JSON.parse(readFileSync(this.path, 'utf8')) as SavedEndpoint[]
    } catch {
      return []
    }
  }

  save (endpoints: EndpointInfo[]): void {
    const list: SavedEndpoint[] = endpoints.map(e => ({ key: e.key, tcpPort: e.tcpPort, http: e.httpHost !== undefined, routes: e.routes.map(r => ({ peer: r.peer.toString(), request: r.request })) }))
    writeFileSync(`${this.path}.tmp`, JSON.stringify(list, null, 2))
    renameSync(`${this.path}.tmp`, this.path)
  }
}

export interface GatewayOptions {
  host: Host
  gossip: Gossip
  config: NodeConfig
  c: SettlementClients
  d: Deployment
  directory: FizzDirectory
  /** The gateway's wallet: seals its subnet's challenge aggregates. */
  account: LocalAccount
  metrics: NodeMetrics
  log: Logger
}

/** Subnet challenge requests kept for /status. */
const KEPT_CHALLENGES = 64

export interface Gateway {
  engine: BidEngine
  ingress: Ingress
  /** Whether a peer is one of this gateway's fizz nodes. */
  isFizz: (peerId: string) => boolean
  status: () => { fizz: Array<{ peerId: string, wallet: string, online: boolean, since: string, delegation: string, available?: unknown, cpuPricePerSecond?: string }>, endpoints: Array<{ key: string, tcpPort: number, httpHost?: string, connections: number }>, challenges: SubnetChallengeLog[] }
  stop: () => Promise<void>
}

/**
 * Pauses the leases of a fizz node that went offline (no payment accrues while paused) and
 * resumes them when it is back. Serialised, so a flapping node never has two writes racing.
 */
function pauseWithFizz (c: SettlementClients, d: Deployment, log: Logger): (fizz: FizzState) => void {
  let queue = Promise.resolve()
  return (fizz) => {
    queue = queue.then(async () => {
      const now = BigInt(Math.floor(Date.now() / 1000))
      const leases = (await listLeases(c, d, c.account.address, 'provider'))
        .filter(l => l.fizzId === fizz.record.peerId && l.closedAt === 0n && (l.pausedAt !== 0n || now < l.end))
      for (const l of leases) {
        if (!fizz.online && l.pausedAt === 0n) {
          await pauseLease(c, d, l.leaseId)
          log.info('lease paused: its fizz node is offline', { lease: l.leaseId, fizz: fizz.record.peerId })
        } else if (fizz.online && l.pausedAt !== 0n) {
          const { pausedFor } = await resumeLease(c, d, l.leaseId)
          log.info('lease resumed', { lease: l.leaseId, fizz: fizz.record.peerId, pausedFor })
        }
      }
    }).catch((err: Error) => { log.warn('pausing or resuming leases failed', { fizz: fizz.record.peerId, error: err.message }) })
  }
}

export async function startGateway ({ host, gossip, config, c, d, directory, account, metrics, log }: GatewayOptions): Promise<Gateway> {
  directory.onChange(pauseWithFizz(c, d, log))
  const engine = new BidEngine({
    config: config.provider, gossip, metrics, log, wallet: c.account.address, peerId: host.peerId.toString(), chainId: config.chainId,
    supply: new SubnetSupply(host, directory, log)
  })
  engine.start()
  const stopChain = await joinChain(c, d, 'gateway', host.peerId.toString(), config.provider.region, engine, log)
  for (const fizz of config.subnet.accept) {
    if (await acceptFizz(c, d, fizz)) log.info('accepted a fizz node on chain', { fizz })
  }
  await directory.start()

  const ingress = new Ingress({
    bindHost: config.provider.ingress.bind,
    ports: config.subnet.ports,
    httpPort: config.subnet.httpPort,
    domain: config.subnet.domain,
    open: async (route) => await openTunnel(host, route.peer, route.request),
    log
  })
  // Endpoints survive a restart: the same ports and names, routed again once the fizz nodes reconnect.
  const saved = new SavedEndpoints(join(config.dataDir, 'ingress.json'))
  const restored = saved.load()
  for (const e of restored) {
    await ingress.expose(e.key, e.routes.map(r => ({ peer: peerIdFromString(r.peer), request: r.request })), { http: e.http, port: e.tcpPort })
      .then(() => { log.info('endpoint restored', { key: e.key, port: e.tcpPort }) }, (err: Error) => { log.warn('endpoint not restored', { key: e.key, error: err.message }) })
  }
  const persist = (): void => { saved.save(ingress.endpoints()) }
  // A lease whose manifest never reaches its fizz node is closed, so the user is refunded.
  const delivered = new Set<string>(restored.map(e => /^l(\d+)-/.exec(e.key)?.[1]).filter((x): x is string => x !== undefined))
  const awaitManifest = (leaseId: bigint): void => {
    setTimeout(() => {
      if (delivered.has(leaseId.toString())) return
      void getLease(c, d, leaseId).then(async (l) => {
        if (l.closedAt !== 0n) return
        await closeLease(c, d, leaseId)
        log.warn('no manifest arrived; lease closed', { lease: leaseId, afterMs: config.provider.manifestTimeoutMs })
      }).catch((err: Error) => { log.warn('closing a lease without manifest failed', { lease: leaseId, error: err.message }) })
    }, config.provider.manifestTimeoutMs).unref()
  }
  await handleGatewayProxy({ host, c, d, ingress, publicHost: config.provider.ingress.host, metrics, log, onChange: persist, onDelivered: (id) => { delivered.add(id.toString()) } })
  // Slarks send one request for the fizz nodes of this gateway they challenge in a slot.
  const challenges: SubnetChallengeLog[] = []
  const stopAggregates = await aggregateChallenges({
    host, c, d, account, chainId: config.chainId, directory, log,
    onRequest: (r) => { challenges.push(r); if (challenges.length > KEPT_CHALLENGES) challenges.shift() }
  })

  const unexposeLease = async (leaseId: bigint): Promise<void> => {
    for (const e of ingress.endpoints().filter(x => x.key.startsWith(`l${leaseId}-`))) {
      await ingress.unexpose(e.key)
      log.info('endpoint removed', { lease: leaseId, key: e.key })
    }
    persist()
  }
  const unwatch = watchLeases(c, d, c.account.address, { created: (e) => { awaitManifest(e.leaseId) }, closed: (id) => { delivered.delete(id.toString()); void unexposeLease(id) } }, log)
  // Leases that ran out end without an event: check what is exposed now and then.
  const sweep = setInterval(() => {
    const ids = new Set(ingress.endpoints().map(e => /^l(\d+)-/.exec(e.key)?.[1]).filter((x): x is string => x !== undefined))
    for (const id of ids) {
      void getLease(c, d, BigInt(id)).then(async (l) => {
        const now = BigInt(Math.floor(Date.now() / 1000))
        if (l.closedAt !== 0n || (l.pausedAt === 0n && now >= l.end)) await unexposeLease(l.leaseId)
      }, () => {})
    }
  }, 15_000)
  sweep.unref()

  return {
    engine,
    ingress,
    isFizz: (peerId) => directory.get(peerId) !== undefined,
    status: () => ({
      fizz: directory.list().map(f => ({
        peerId: f.record.peerId, wallet: f.record.wallet, online: f.online, since: new Date(f.since).toISOString(),
        delegation: f.record.delegation.toString(), available: f.status?.available, cpuPricePerSecond: f.status?.prices.cpu.toString()
      })),
      endpoints: ingress.endpoints().map(e => ({ key: e.key, tcpPort: e.tcpPort, httpHost: e.httpHost, connections: e.connections })),
      challenges: [...challenges]
    }),
    stop: async () => {
      clearInterval(sweep)
      unwatch()
      stopAggregates()
      stopChain()
      engine.stop()
      directory.stop()
      await ingress.close()
    }
  }
}
