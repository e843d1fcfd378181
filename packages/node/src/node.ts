/**
 * A dcn node: the libp2p host, gossip with validation, the role's components, and the API.
 * `startNode` is what `dcn node` runs; benchmarks and simulations call it in-process.
 */
import { multiaddr } from '@multiformats/multiaddr'
import { Registry } from 'prom-client'
import { SECP256K1_BACKEND, TOPICS, registerNode, type Role, type SettlementClients } from '@dcn/protocol'
import { createHost, gossipInternals, type Host } from './host.js'
import { Gossip } from './network/gossip.js'
import { startDiscovery } from './network/discovery.js'
import { startStreamWatchdog } from './network/stream-watchdog.js'
import { NodeMetrics } from './metrics.js'
import { startApi, type ApiServer } from './api.js'
import { logger, type Logger } from './log.js'
import { loadBlsPublicKey, type Identity } from './identity.js'
import type { NodeConfig } from './config.js'
import { BidEngine } from './roles/provider/bid-engine.js'
import { Heartbeats } from './roles/provider/heartbeat.js'
import { Matcher } from './roles/matcher/matcher.js'
import { joinChain } from './roles/provider/chain.js'
import { connectChain } from './chain/deployment.js'
import { chainSenderPolicy } from './chain/sender-policy.js'
import { chainView } from './chain/chain-view.js'
import { VERSION } from './version.js'

export interface DcnNode {
  role: Role
  host: Host
  gossip: Gossip
  metrics: NodeMetrics
  identity: Identity
  api?: ApiServer
  bidEngine?: BidEngine
  matcher?: Matcher
  status: () => NodeStatus
  stop: () => Promise<void>
}

export interface NodeStatus {
  version: string
  secp256k1: string
  role: Role
  peerId: string
  wallet: string
  listen: string[]
  connectedPeers: number
  peers: Array<{ id: string, score: number }>
  topics: string[]
  uptimeSeconds: number
  provider?: ReturnType<BidEngine['status']>
  matcher?: ReturnType<Matcher['status']>
}

export interface StartOptions {
  log?: Logger
  /** Serve libp2p metrics too (off in large in-process benchmarks). */
  libp2pMetrics?: boolean
  /** Connections to keep by DHT random walk (default 8). */
  targetPeers?: number
}

/** How often to re-dial bootstrap peers we are not connected to. */
const REDIAL_MS = 5_000

export async function startNode (config: NodeConfig, identity: Identity, opts: StartOptions = {}): Promise<DcnNode> {
  const log = opts.log ?? logger(config.role)
  const registry = new Registry()
  const host = await createHost({
    privateKey: identity.peerKey,
    listen: config.listen,
    announce: config.announce,
    registry: opts.libp2pMetrics === false ? undefined : registry
  })
  const metrics = new NodeMetrics(registry)
  let chain: SettlementClients | undefined
  try {
    if (config.chain !== undefined) chain = await connectChain(config.chain, identity.wallet)
  } catch (err) {
    await host.stop()
    throw err
  }
  const deployment = config.chain?.deployment
  const senderPolicy = chain === undefined || deployment === undefined ? undefined : chainSenderPolicy(chain, deployment, log)
  const gossip = new Gossip({ host, chainId: config.chainId, wallet: identity.wallet, metrics, log, senderPolicy })
  const node: DcnNode = { role: config.role, host, gossip, metrics, identity, status: () => status(), stop: async () => { await stop() } }
  const started = Date.now()
  const stoppers: Array<() => void> = []

  if (config.role === 'provider') {
    const engine = new BidEngine({ config: config.provider, gossip, metrics, log, wallet: identity.wallet.address, peerId: identity.peerId, chainId: config.chainId })
    engine.start()
    if (chain !== undefined && deployment !== undefined) stoppers.push(await joinChain(chain, deployment, identity.peerId, config.provider.region, engine, log).catch(async (err) => { await host.stop(); throw err }))
    const beats = new Heartbeats({ gossip, metrics, log, wallet: identity.wallet.address, peerId: identity.peerId, role: config.role, config: config.provider, ledger: engine.ledger, tier: () => engine.tier, intervalMs: config.heartbeatMs })
    beats.start()
    node.bidEngine = engine
    stoppers.push(() => { beats.stop(); engine.stop() })
  } else if (config.role === 'matcher') {
    if (chain !== undefined && deployment !== undefined) {
      const registered = await registerNode(chain, deployment, 'matcher', identity.peerId, '', await loadBlsPublicKey(config.dataDir))
        .catch(async (err) => { await host.stop(); throw err })
      if (registered) log.info('registered on chain', { registry: deployment.registry })
    }
    const matcher = new Matcher({
      gossip, metrics, log, wallet: identity.wallet.address, chainId: config.chainId, graceMs: config.matcher.graceMs,
      chain: chain === undefined || deployment === undefined ? undefined : chainView(chain, deployment)
    })
    matcher.start()
    gossip.join(TOPICS.matches)
    node.matcher = matcher
    stoppers.push(() => { matcher.stop() })
  } else {
    // Relay the market so every node strengthens the mesh; role services come with their packages.
    for (const t of [TOPICS.orders, TOPICS.matches, TOPICS.heartbeats]) gossip.join(t)
  }

  const bootstrap = [...config.bootstrap, ...(config.gateway === undefined ? [] : [config.gateway])].map(a => multiaddr(a))
  /** Dials the bootstrap peers we are not connected to; true when none was missing. */
  const dialBootstrap = (): boolean => {
    let missing = false
    for (const ma of bootstrap) {
      const peer = ma.getComponents().findLast(c => c.name === 'p2p')?.value
      if (peer !== undefined && host.getPeers().some(p => p.toString() === peer)) continue
      missing = true
      host.dial(ma).catch((err: Error) => { log.debug('bootstrap dial failed', { addr: ma.toString(), error: err.message }) })
    }
    return !missing
  }
  // Redial missing bootstrap peers from 0.5 s, doubling to REDIAL_MS: on a devnet a provider may
  // start before its matcher listens.
  let redialMs = 500
  let redial: NodeJS.Timeout | undefined
  const scheduleRedial = (): void => {
    redial = setTimeout(() => {
      redialMs = dialBootstrap() ? REDIAL_MS : Math.min(redialMs * 2, REDIAL_MS)
      scheduleRedial()
    }, redialMs)
    redial.unref()
  }
  dialBootstrap()
  scheduleRedial()
  stoppers.push(() => { clearTimeout(redial) })
  stoppers.push(startStreamWatchdog(host, log, metrics))
  stoppers.push(startDiscovery(host, log, { targetPeers: opts.targetPeers ?? 8, intervalMs: 15_000 }))

  function status (): NodeStatus {
    const pubsub = host.services.pubsub
    return {
      version: VERSION,
      secp256k1: SECP256K1_BACKEND,
      role: config.role,
      peerId: identity.peerId,
      wallet: identity.wallet.address,
      listen: host.getMultiaddrs().map(String),
      connectedPeers: host.getPeers().length,
      peers: host.getPeers().map(p => ({ id: p.toString(), score: gossipInternals(host).getScore(p.toString()) })),
      topics: pubsub.getTopics(),
      uptimeSeconds: Math.round((Date.now() - started) / 1000),
      provider: node.bidEngine?.status(),
      matcher: node.matcher?.status()
    }
  }

  let stopped = false
  if (config.apiPort !== undefined) {
    try {
      node.api = await startApi(config.apiHost, config.apiPort, status, registry)
    } catch (err) {
      // The host is already listening: stop it, or the process never exits.
      await stop()
      throw err
    }
  }

  async function stop (): Promise<void> {
    if (stopped) return
    stopped = true
    for (const s of stoppers) s()
    await node.api?.close()
    await host.stop()
  }

  log.info('started', { chain: config.chain?.rpcUrl ?? 'none', secp256k1: SECP256K1_BACKEND, peerId: identity.peerId, wallet: identity.wallet.address, listen: status().listen.join(','), api: node.api?.port })
  return node
}
