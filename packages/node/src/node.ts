/**
 * A dcn node: the libp2p host, gossip with validation, the role's components, and the API.
 * `startNode` is what `dcn node` runs; benchmarks and simulations call it in-process.
 */
import { Registry } from 'prom-client'
import { BLS_BACKEND, SECP256K1_BACKEND, TOPICS, blsRegistration, registerNode, type Address, type Role } from '@dcn/protocol'
import { createHost, gossipInternals, type Host } from './host.js'
import { Gossip } from './network/gossip.js'
import { startDiscovery } from './network/discovery.js'
import { startMatcherRendezvous } from './network/rendezvous.js'
import { keepSubscribersLinked } from './network/subscriber-links.js'
import { startBootstrap } from './network/bootstrap.js'
import { startStreamWatchdog } from './network/stream-watchdog.js'
import { NodeMetrics } from './metrics.js'
import { startApi, type ApiServer } from './api.js'
import { logger, type Logger } from './log.js'
import { loadBlsKey, type Identity } from './identity.js'
import { registryAttributes, type NodeConfig } from './config.js'
import { BidEngine } from './roles/provider/bid-engine.js'
import { Heartbeats } from './roles/provider/heartbeat.js'
import { Matcher } from './roles/matcher/matcher.js'
import { serveOrderBooks } from './roles/matcher/book-service.js'
import { joinChain } from './roles/provider/chain.js'
import { prepareLeasing } from './roles/provider/leasing.js'
import { FizzDirectory } from './roles/gateway/directory.js'
import { startGateway, type Gateway } from './roles/gateway/gateway.js'
import { joinGateway, startFizz } from './roles/fizz/fizz.js'
import { startSlark } from './roles/slark/slark-node.js'
import type { EraSettler, Slark } from '@dcn/slark'
import { UserError } from './errors.js'
import type { Workloads } from './roles/provider/workloads.js'
import { connectChain } from './chain/deployment.js'
import { chainSenderPolicy } from './chain/sender-policy.js'
import { chainView } from './chain/chain-view.js'
import { VERSION } from './version.js'
import type { Runtime } from './runtime/runtime.js'
import type { DrawDelay } from './network/link-delay.js'

export interface DcnNode {
  role: Role
  host: Host
  gossip: Gossip
  metrics: NodeMetrics
  identity: Identity
  api?: ApiServer
  bidEngine?: BidEngine
  workloads?: Workloads
  gateway?: Gateway
  matcher?: Matcher
  slark?: Slark
  eras?: EraSettler
  status: () => NodeStatus
  stop: () => Promise<void>
}

export interface NodeStatus {
  version: string
  pid: number
  secp256k1: string
  /** 'blst-native', or 'unavailable' when the binding did not load (BLS calls then fail). */
  bls: string
  role: Role
  peerId: string
  wallet: string
  listen: string[]
  connectedPeers: number
  peers: Array<{ id: string, score: number }>
  topics: string[]
  uptimeSeconds: number
  provider?: ReturnType<BidEngine['status']>
  leases?: ReturnType<Workloads['list']>
  subnet?: ReturnType<Gateway['status']>
  matcher?: ReturnType<Matcher['status']>
  slark?: Slark['stats'] & { eras: EraSettler['stats'] }
}

export interface StartOptions {
  log?: Logger
  /** Serve libp2p metrics too (off in large in-process benchmarks). */
  libp2pMetrics?: boolean
  /** Connections to keep by DHT random walk (default 8). */
  targetPeers?: number
  /** Connections above which libp2p prunes the least valued (see createHost). */
  maxConnections?: number
  /** How often a matcher looks the other matchers up in the DHT (default 30 s). */
  rendezvousMs?: number
  /** Run leases on this runtime instead of Docker (simulations: a simulated container runtime). */
  runtime?: Runtime
  /** Simulations: emulated one-way delay of every chunk received over TCP (see network/link-delay.ts). */
  linkDelay?: DrawDelay
}

/** Links a matcher keeps at most (other roles: libp2p's default of 300). */
const MATCHER_MAX_CONNECTIONS = 2000

export async function startNode (config: NodeConfig, identity: Identity, opts: StartOptions = {}): Promise<DcnNode> {
  const log = opts.log ?? logger(config.role)
  const registry = new Registry()
  const settlement = config.chain === undefined ? undefined : { c: await connectChain(config.chain, identity.wallet), d: config.chain.deployment }
  // A fizz node joins its gateway on chain before its host asks the gateway for a reservation.
  const gateway = config.role === 'fizz' ? await joinGateway(config, settlement, identity.peerId, log) : undefined
  let directory: FizzDirectory | undefined
  const host = await createHost({
    privateKey: identity.peerKey,
    // Behind NAT, a fizz node is reachable only through its gateway's relay.
    listen: config.role === 'fizz' ? [...config.listen, `${config.gateway!}/p2p-circuit`] : config.listen,
    announce: config.announce,
    client: config.role === 'fizz',
    noDht: config.role === 'fizz',
    pingPeers: config.role === 'fizz' || config.role === 'gateway',
    relay: config.role === 'gateway' ? { allowReservation: async (peer) => await directory?.allows(peer) ?? false } : undefined,
    // Its own dcn_* metrics are enough for a fizz node (libp2p's cost memory it does not have to spare).
    registry: opts.libp2pMetrics === false || config.role === 'fizz' ? undefined : registry,
    linkDelay: opts.linkDelay,
    // A matcher is the hub of the market: every provider's bids and heartbeats reach it over a
    // direct link (providers relay neither), so it needs room for far more links than a peer.
    maxConnections: opts.maxConnections ?? (config.role === 'matcher' ? MATCHER_MAX_CONNECTIONS : undefined)
  }).catch((err: Error) => {
    const refused = /reservation failed with status (\w+)/.exec(err.message)
    if (refused !== null) throw new UserError(`the gateway refused this fizz node a relay reservation (${refused[1]}); is it registered under that gateway?`, 1)
    throw err
  })
  const metrics = new NodeMetrics(registry)
  const senderPolicy = settlement === undefined ? undefined : chainSenderPolicy(settlement.c, settlement.d, log)
  const gossip = new Gossip({ host, chainId: config.chainId, wallet: identity.wallet, metrics, log, senderPolicy })
  const node: DcnNode = { role: config.role, host, gossip, metrics, identity, status: () => status(), stop: async () => { await stop() } }
  const started = Date.now()
  const stoppers: Array<() => void> = []
  let stopped = false
  async function stop (): Promise<void> {
    if (stopped) return
    stopped = true
    for (const s of stoppers) s()
    await node.api?.close()
    await host.stop()
  }

  // Anything below may fail (chain writes, a busy API port): stop what was started, or the
  // listening host keeps the process alive.
  try {
    if (config.role === 'provider') {
      const engine = new BidEngine({ config: config.provider, gossip, metrics, log, wallet: identity.wallet.address, peerId: identity.peerId, chainId: config.chainId })
      engine.start()
      node.bidEngine = engine
      stoppers.push(() => { engine.stop() })
      if (settlement !== undefined) {
        // Leases need a chain; a gossip-only provider (market tests, simulations) bids without a runtime.
        const leasing = await prepareLeasing({
          host, capacity: engine, config, ...settlement, metrics, log, runtime: opts.runtime, challenges: { account: identity.wallet, free: () => engine.supply.available() }
        })
        stoppers.push(leasing.stop)
        stoppers.push(await joinChain(settlement.c, settlement.d, 'provider', identity.peerId, config.provider.region, engine, log, leasing.workloads, registryAttributes(config)))
        await leasing.start()
        node.workloads = leasing.workloads
      }
      const beats = new Heartbeats({ gossip, metrics, log, wallet: identity.wallet.address, peerId: identity.peerId, role: config.role, config: config.provider, supply: engine.supply, tier: () => engine.tier, intervalMs: config.heartbeatMs })
      beats.start()
      stoppers.push(() => { beats.stop() })
    } else if (config.role === 'matcher') {
      if (settlement !== undefined && await registerNode(settlement.c, settlement.d, 'matcher', identity.peerId, '', blsRegistration(loadBlsKey(config.dataDir)))) {
        log.info('registered on chain', { registry: settlement.d.registry })
      }
      const matcher = new Matcher({
        gossip, metrics, log, wallet: identity.wallet.address, chainId: config.chainId, graceMs: config.matcher.graceMs,
        chain: settlement === undefined ? undefined : chainView(settlement.c, settlement.d)
      })
      matcher.start()
      gossip.join(TOPICS.matches)
      // Matchers relay the slarks' votes too: more paths between committee members.
      gossip.join(TOPICS.attestations)
      node.matcher = matcher
      stoppers.push(await serveOrderBooks(host, matcher, log))
      // Bids and heartbeats reach the other matchers only through links between matchers.
      stoppers.push(startMatcherRendezvous(host, log, { intervalMs: opts.rendezvousMs ?? 30_000 }))
      stoppers.push(() => { matcher.stop() })
    } else if (config.role === 'gateway' && settlement !== undefined) {
      directory = new FizzDirectory({ host, ...settlement, log })
      const gw = await startGateway({ host, gossip, config, ...settlement, directory, account: identity.wallet, metrics, log })
      node.bidEngine = gw.engine
      node.gateway = gw
      stoppers.push(() => { void gw.stop() })
      const beats = new Heartbeats({
        gossip, metrics, log, wallet: identity.wallet.address, peerId: identity.peerId, role: config.role, config: config.provider, supply: gw.engine.supply, tier: () => gw.engine.tier,
        subnet: () => directory!.list().filter(f => f.online).map(f => f.record.wallet.toLowerCase() as Address).slice(0, 256), intervalMs: config.heartbeatMs
      })
      beats.start()
      stoppers.push(() => { beats.stop() })
    } else if (config.role === 'fizz' && settlement !== undefined && gateway !== undefined) {
      const fizz = await startFizz({ host, config, ...settlement, account: identity.wallet, gateway, metrics, log })
      node.workloads = fizz.workloads
      stoppers.push(fizz.stop)
    } else if (config.role === 'slark' && settlement !== undefined) {
      const s = await startSlark({ host, gossip, config, ...settlement, wallet: identity.wallet, peerId: identity.peerId, metrics, log })
      node.slark = s.slark
      node.eras = s.eras
      stoppers.push(s.stop)
    } else {
      // Relay the market so every node strengthens the mesh; role services come with their packages.
      for (const t of [TOPICS.orders, TOPICS.matches, TOPICS.heartbeats]) gossip.join(t)
    }
    // Bids and heartbeats go only to subscribers a provider is linked to: keep those links.
    if (config.role === 'provider' || config.role === 'gateway') stoppers.push(keepSubscribersLinked(host, gossip, [TOPICS.bids, TOPICS.heartbeats]))
    stoppers.push(startBootstrap(host, [...config.bootstrap, ...(config.gateway === undefined ? [] : [config.gateway])], log))
    // A fizz node sells through its gateway and needs no gossip; its gateway keeps its link.
    if (config.role !== 'fizz') stoppers.push(startStreamWatchdog(host, log, metrics, (peer) => node.gateway?.isFizz(peer) ?? false))
    // A fizz node talks to its gateway only: no random walks for more peers.
    if (config.role !== 'fizz') stoppers.push(startDiscovery(host, log, { targetPeers: opts.targetPeers ?? 8, intervalMs: 15_000 }))
    if (config.apiPort !== undefined) node.api = await startApi(config.apiHost, config.apiPort, status, registry)
  } catch (err) {
    await stop()
    throw err
  }

  function status (): NodeStatus {
    const pubsub = host.services.pubsub
    return {
      version: VERSION,
      pid: process.pid,
      secp256k1: SECP256K1_BACKEND,
      bls: BLS_BACKEND,
      role: config.role,
      peerId: identity.peerId,
      wallet: identity.wallet.address,
      listen: host.getMultiaddrs().map(String),
      connectedPeers: host.getPeers().length,
      peers: host.getPeers().map(p => ({ id: p.toString(), score: gossipInternals(host).getScore(p.toString()) })),
      topics: pubsub.getTopics(),
      uptimeSeconds: Math.round((Date.now() - started) / 1000),
      provider: node.bidEngine?.status(),
      leases: node.workloads?.list(),
      subnet: node.gateway?.status(),
      matcher: node.matcher?.status(),
      slark: node.slark === undefined ? undefined : { ...node.slark.stats, eras: node.eras!.stats }
    }
  }

  log.info('started', { chain: config.chain?.rpcUrl ?? 'none', secp256k1: SECP256K1_BACKEND, bls: BLS_BACKEND, peerId: identity.peerId, wallet: identity.wallet.address, listen: status().listen.join(','), api: node.api?.port })
  return node
}
