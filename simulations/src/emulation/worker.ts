/**
 * An emulation worker process: hosts some of the run's peers in-process — real dcn nodes
 * (`startNode`: libp2p over TCP on 127.0.0.1, validated gossip, bid engines, matchers), users
 * (light clients publishing signed orders) and adversaries (raw libp2p hosts publishing junk) —
 * every one of them behind the emulated link delay. It records what each peer publishes and
 * receives, and answers the parent's questions (messages.ts).
 */
import '@dcn/node/polyfill'
import { randomBytes } from 'node:crypto'
import { multiaddr } from '@multiformats/multiaddr'
import { generatePrivateKey, privateKeyToAccount, type LocalAccount } from 'viem/accounts'
import {
  DEVNET_TOKENS, KIND_TOPIC, TOPICS, ZERO_HASH, deposit, encode, parseAmount, parseManifest, settlementClients, sign, typedData,
  type Bid, type Hex, type Order, type SignedMessage
} from '@dcn/protocol'
import {
  buildConfig, buildOrder, connect, createHost, deploy, ephemeralIdentity, loopDelayMonitor, nodeTotals, silent, startNode,
  type DcnNode, type DeploySession, type Gossip, type Host, type LightClient
} from '@dcn/node'
import { simRuntime } from './sim-runtime.js'
import { manifestText } from './manifest.js'
import { addSample, type Histogram } from './distribution.js'
import { rng } from '../random.js'
import { latencySampler } from '../latency.js'
import type {
  Attack, Collect, Collected, JunkCount, OrderOutcome, PeerKind, PeerSpec, Publication, PublicationsReply, PublishOrder, Setup, StartPeers, Started, StartedPeer, StopPeer
} from './messages.js'

/**
 * Each emulated node but the matchers keeps at most this many connections (a real node's default
 * is 300). On one machine every connection's upkeep — keepalives, gossip control, DHT refreshes —
 * is paid by the same two cores, and left at the default, DHT lookups leave each node with ~35
 * links. Matchers keep their role's default: every provider's bids and heartbeats reach them
 * over a direct link.
 */
const MAX_CONNECTIONS = 20

interface Peer {
  idx: number
  kind: PeerKind
  host: Host
  node?: DcnNode
  client?: LightClient
  wallet: LocalAccount
  topics: string[]
  startedAt: number
  stoppedAt?: number
  /** message key → first receipt (unix ms). */
  receipts: Map<string, number>
  orders: Map<string, OrderOutcome>
  /** Every match or no-match this peer saw, by order id (a deploy's order id is known only once it returns). */
  decisions: Map<string, Partial<OrderOutcome>>
  /** With a chain: what `deploy` needs. */
  session?: DeploySession
  deploying?: Promise<void>
  attack?: ReturnType<typeof setInterval>
}

const peers = new Map<number, Peer>()
const publications: Publication[] = []
const junk: string[] = []
const junkCount: JunkCount = { spamOrders: 0, forgedBids: 0, failed: 0 }
/** dcn_* totals of peers that have stopped (churn), so their counters are not lost. */
const departed: Record<string, number> = {}
const loop = loopDelayMonitor()
/** CPU time since the last reset (a `stats` with `reset`). */
let cpuSince = process.cpuUsage()
let cpuSinceAt = performance.now()
/** Connections opened by this worker's peers since the last reset (a handshake each; both ends count). */
let linksOpened = 0
let setup: Setup | undefined
let draw: (() => number) | undefined

/** Unix ms with sub-ms precision, comparable across the run's processes. */
const now = (): number => performance.timeOrigin + performance.now()
/** Messages are told apart by (a prefix of) their signature. */
const keyOf = (sig: string): string => sig.slice(2, 34)

process.on('message', (msg: Setup | StartPeers | StopPeer | PublishOrder | Attack | Collect | { type: 'publications' } | { type: 'stats', reset?: boolean } | { type: 'stop' }) => {
  void handle(msg).catch((err: Error) => {
    process.stderr.write(`emulation worker: ${msg.type} failed: ${err.stack ?? err.message}\n`)
  })
})

async function handle (msg: Setup | StartPeers | StopPeer | PublishOrder | Attack | Collect | { type: 'publications' } | { type: 'stats', reset?: boolean } | { type: 'stop' }): Promise<void> {
  switch (msg.type) {
    case 'setup':
      setup = msg
      // No delay at all (not even a timer per chunk) when the scenario asks for none.
      draw = msg.latency.kind === 'constant' && msg.latency.ms === 0 ? undefined : latencySampler(msg.latency, rng(msg.seed, 'link delay'))
      process.send?.({ type: 'ready' })
      return
    case 'start': {
      const reply: Started = { type: 'started', req: msg.req, peers: [], failed: [] }
      for (const spec of msg.peers) {
        try {
          reply.peers.push(await startPeer(spec))
        } catch (err) {
          reply.failed.push({ idx: spec.idx, error: (err as Error).message })
        }
        // A burst of handshakes on two cores makes gossipsub's one-shot stream opens time out.
        await new Promise(resolve => setTimeout(resolve, msg.staggerMs))
      }
      process.send?.(reply)
      return
    }
    case 'stop-peer': {
      const p = peers.get(msg.idx)
      if (p !== undefined && p.stoppedAt === undefined) await stopPeer(p)
      process.send?.({ type: 'peer-stopped', idx: msg.idx, at: p?.stoppedAt ?? now() })
      return
    }
    case 'order': await publishOrder(msg); return
    case 'attack': startAttack(msg); return
    case 'publications': {
      const reply: PublicationsReply = { type: 'publications', list: publications, junk, junkCount }
      process.send?.(reply)
      return
    }
    case 'collect': process.send?.(collect(msg)); return
    case 'stats': {
      const live = [...peers.values()].filter(p => p.stoppedAt === undefined && p.node !== undefined).map(p => p.node!)
      const totals = await nodeTotals(live)
      for (const [k, v] of Object.entries(departed)) if (k !== 'nodes') totals[k] = (totals[k] ?? 0) + v
      const cpu = process.cpuUsage(cpuSince)
      const cpuCores = (cpu.user + cpu.system) / 1000 / Math.max(1, performance.now() - cpuSinceAt)
      const stats = { ...totals, ...loop.stats(), cpuCores, linksOpenedPerS: linksOpened * 1000 / Math.max(1, performance.now() - cpuSinceAt), rssMiB: process.memoryUsage().rss / 2 ** 20, peers: [...peers.values()].filter(p => p.stoppedAt === undefined).length }
      if (msg.reset === true) {
        loop.histogram.reset()
        cpuSince = process.cpuUsage()
        cpuSinceAt = performance.now()
        linksOpened = 0
      }
      process.send?.({ type: 'stats', stats })
      return
    }
    case 'stop':
      await Promise.allSettled([...peers.values()].filter(p => p.stoppedAt === undefined).map(stopPeer))
      process.exit(0)
  }
}

/** Records every signed message this peer publishes (its key, topic and time). */
function recordPublishing (gossip: Gossip, idx: number): void {
  const publishSigned = gossip.publishSigned.bind(gossip)
  gossip.publishSigned = async (m: SignedMessage) => {
    publications.push([keyOf(m.sig), KIND_TOPIC[m.type], now(), idx])
    return await publishSigned(m)
  }
}

async function startPeer (spec: PeerSpec): Promise<StartedPeer> {
  if (setup === undefined) throw new Error('worker not set up')
  const receipts = new Map<string, number>()
  const observe = (gossip: Gossip): void => {
    gossip.observe((m) => { const k = keyOf(m.sig); if (!receipts.has(k)) receipts.set(k, now()) })
  }
  let peer: Peer
  if (spec.kind === 'provider' || spec.kind === 'matcher') {
    const config = buildConfig(spec.config ?? {}, { role: spec.kind, dataDir: spec.dataDir ?? '/nonexistent', listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap: spec.bootstrap })
    const identity = await ephemeralIdentity(spec.walletKey as Hex | undefined)
    // With a chain, providers register, stake and run their leases on the simulated runtime.
    const node = await startNode(config, identity, { log: silent, libp2pMetrics: false, linkDelay: draw, runtime: setup.chain === undefined ? undefined : simRuntime(), maxConnections: spec.kind === 'matcher' ? undefined : MAX_CONNECTIONS })
    recordPublishing(node.gossip, spec.idx)
    observe(node.gossip)
    peer = { idx: spec.idx, kind: spec.kind, host: node.host, node, wallet: identity.wallet, topics: node.host.services.pubsub.getTopics(), startedAt: now(), receipts, orders: new Map(), decisions: new Map() }
  } else if (spec.kind === 'user') {
    const wallet = privateKeyToAccount((spec.walletKey as Hex | undefined) ?? generatePrivateKey())
    const chain = setup.chain
    const net = { chainId: setup.chainId, bootstrap: spec.bootstrap, tokens: chain?.deployment.tokens ?? { ...DEVNET_TOKENS } }
    // A loaded network may time a first connection out; a user tries again, as `dcn` users do.
    let client: LightClient | undefined
    for (let attempt = 1; client === undefined; attempt++) {
      try {
        client = await connect(net, { wallet, receive: ['match', 'no-match'], publish: [TOPICS.orders], timeoutMs: 30_000, linkDelay: draw })
      } catch (err) {
        if (attempt >= 3) throw err
      }
    }
    recordPublishing(client.gossip, spec.idx)
    observe(client.gossip)
    const orders = new Map<string, OrderOutcome>()
    const decisions = new Map<string, Partial<OrderOutcome>>()
    const decided = (orderId: string, fields: Partial<OrderOutcome>): void => {
      if (!decisions.has(orderId)) decisions.set(orderId, { decidedAt: Date.now(), ...fields })
      const o = orders.get(orderId)
      if (o !== undefined && o.decidedAt === undefined) Object.assign(o, { decidedAt: Date.now(), ...fields })
    }
    client.gossip.on('match', (m) => { decided(m.body.orderId, { bidder: m.body.bidder.toLowerCase() }) })
    client.gossip.on('no-match', (m) => { decided(m.body.orderId, { reason: m.body.reason }) })
    let session: DeploySession | undefined
    if (chain !== undefined) {
      const c = settlementClients(chain.rpcUrl, chain.chainId, wallet)
      await deposit(c, chain.deployment, chain.deployment.spon, parseAmount('5000'))
      session = { net: { ...net, chain }, wallet, c }
    }
    peer = { idx: spec.idx, kind: spec.kind, host: client.host, client, wallet, topics: client.host.services.pubsub.getTopics(), startedAt: now(), receipts, orders, decisions, session }
  } else {
    // An adversary: a bare libp2p host with no validators of its own, publishing what it likes.
    const host = await createHost({ privateKey: (await ephemeralIdentity()).peerKey, listen: [], client: true, linkDelay: draw })
    await Promise.any(spec.bootstrap.map(async a => await host.dial(multiaddr(a), { signal: AbortSignal.timeout(20_000) })))
    peer = { idx: spec.idx, kind: spec.kind, host, wallet: privateKeyToAccount(generatePrivateKey()), topics: [], startedAt: now(), receipts, orders: new Map(), decisions: new Map() }
  }
  peer.host.addEventListener('connection:open', () => { linksOpened++ })
  peers.set(spec.idx, peer)
  return { idx: peer.idx, kind: peer.kind, addrs: peer.host.getMultiaddrs().map(String), topics: peer.topics, wallet: peer.wallet.address.toLowerCase(), at: peer.startedAt }
}

async function stopPeer (p: Peer): Promise<void> {
  p.stoppedAt = now()
  if (p.attack !== undefined) clearInterval(p.attack)
  if (p.node !== undefined) {
    for (const [k, v] of Object.entries(await nodeTotals([p.node]))) departed[k] = (departed[k] ?? 0) + v
    await p.node.stop()
  } else if (p.client !== undefined) {
    await p.client.stop()
  } else {
    await p.host.stop()
  }
}

async function publishOrder (msg: PublishOrder): Promise<void> {
  const p = peers.get(msg.user)
  if (p?.client === undefined || p.stoppedAt !== undefined) return
  if (p.session !== undefined) {
    // One deployment at a time per user: its chain transactions share the wallet's nonce.
    const session = p.session
    const next = (p.deploying ?? Promise.resolve()).then(async () => { await deployOrder(p, session, msg) })
    p.deploying = next
    await next
    return
  }
  const order = buildOrder({
    resources: msg.spec.resources,
    region: '',
    minTrustTier: msg.spec.minTrustTier,
    mode: msg.spec.mode,
    token: DEVNET_TOKENS.SPON,
    maxPricePerSecond: BigInt(msg.spec.maxPricePerSecond),
    duration: msg.spec.duration,
    manifestHash: ZERO_HASH
  }, p.wallet.address, msg.windowMs)
  p.orders.set(order.id, { orderId: order.id, user: p.idx, kind: msg.kind, publishedAt: now(), bidDeadlineMs: order.bidDeadlineMs })
  await p.client.gossip.publish('order', order)
}

/**
 * With a chain, an order is a whole deployment: `deploy` publishes it (from a light client of its
 * own, without the emulated link delay), creates the lease on anvil and sends the manifest to the
 * winner, whose simulated runtime "runs" it.
 */
async function deployOrder (p: Peer, session: DeploySession, msg: PublishOrder): Promise<void> {
  const text = manifestText(msg.kind, msg.spec)
  const { order: spec } = parseManifest(text, { tokens: session.net.tokens })
  const publishedAt = now()
  const record = (o: Partial<OrderOutcome> & { orderId: string, bidDeadlineMs: number }): void => {
    p.orders.set(o.orderId, { user: p.idx, kind: msg.kind, publishedAt, ...p.decisions.get(o.orderId), ...o })
  }
  try {
    const r = await deploy(session, { text, spec }, { windowMs: msg.windowMs })
    record({
      orderId: r.quote.order.id,
      bidDeadlineMs: r.quote.order.bidDeadlineMs,
      leased: r.running,
      runningAt: r.running ? Date.now() : undefined,
      ...(r.quote.winner === null ? { reason: r.quote.reason ?? 'unknown' } : {}),
      ...(r.running ? {} : { error: `no lease: ${r.quote.reason ?? r.quote.detail}` })
    })
  } catch (err) {
    record({ orderId: `failed-${String(publishedAt)}`, bidDeadlineMs: publishedAt + msg.windowMs, leased: false, error: (err as Error).message })
  }
}

/** Junk an adversary publishes: spammers invalid orders, forgers bids signed in an honest provider's name. */
async function junkMessage (p: Peer, victims: string[]): Promise<{ topic: string, data: Uint8Array, key?: string }> {
  if (p.kind === 'spammer') {
    if (junkCount.spamOrders % 2 === 0) {
      // Not even an envelope.
      return { topic: TOPICS.orders, data: new TextEncoder().encode(JSON.stringify({ v: 1, type: 'order', junk: randomBytes(24).toString('hex') })) }
    }
    // A well-formed order whose body was changed after signing (the price raised).
    const order: Order = buildOrder({
      resources: { cpu: 500, memory: 2 ** 28, storage: 2 ** 30, gpuUnits: 0, gpuModel: '' }, region: '', minTrustTier: 7, mode: 'any',
      token: DEVNET_TOKENS.SPON, maxPricePerSecond: 10n ** 12n, duration: 600, manifestHash: ZERO_HASH
    }, p.wallet.address, 1000)
    const signed = await sign(p.wallet, setup!.chainId, 'order', order)
    const tampered = { ...signed, body: { ...signed.body, maxPricePerSecond: signed.body.maxPricePerSecond * 1000n } }
    return { topic: TOPICS.orders, data: encode(tampered), key: keyOf(signed.sig) }
  }
  const victim = victims[junkCount.forgedBids % Math.max(1, victims.length)] ?? p.wallet.address
  const bid: Bid = {
    orderId: `0x${randomBytes(32).toString('hex')}` as Hex,
    bidder: victim as Hex,
    peerId: p.host.peerId.toString(),
    fizzId: '',
    pricePerSecond: 1n,
    region: 'eu-west',
    tier: 1,
    token: DEVNET_TOKENS.SPON,
    available: { cpu: 64000, memory: 2 ** 38, storage: 2 ** 41, gpuUnits: 0, gpuModel: '' },
    capacity: { cpu: 64000, memory: 2 ** 38, storage: 2 ** 41, gpuUnits: 0, gpuModel: '' },
    createdMs: Date.now(),
    expiry: Math.floor(Date.now() / 1000) + 600
  }
  // Signed by the forger's own key in the victim's name (`sign` refuses to): the signature
  // recovers to the forger, not to the bidder.
  const sig = await p.wallet.signTypedData(typedData(setup!.chainId, 'bid', bid) as Parameters<LocalAccount['signTypedData']>[0])
  const forged: SignedMessage<'bid'> = { type: 'bid', body: bid, sig }
  return { topic: TOPICS.bids, data: encode(forged), key: keyOf(sig) }
}

function startAttack (msg: Attack): void {
  const p = peers.get(msg.idx)
  if (p === undefined || p.stoppedAt !== undefined || msg.perSecond <= 0) return
  const tick = (): void => {
    if (Date.now() >= msg.untilMs) { clearInterval(p.attack); return }
    void junkMessage(p, msg.victims).then(async (j) => {
      if (p.kind === 'spammer') junkCount.spamOrders++
      else junkCount.forgedBids++
      if (j.key !== undefined) junk.push(j.key)
      await p.host.services.pubsub.publish(j.topic, j.data)
    }).catch((err: Error) => {
      junkCount.failed++
      if (process.env.DCN_SIM_DEBUG !== undefined) process.stderr.write(`junk failed: ${err.message}\n`)
    })
  }
  p.attack = setInterval(tick, 1000 / msg.perSecond)
}

function collect (msg: Collect): Collected {
  const out: Collected = { type: 'collected', expected: {}, delivered: {}, latency: {}, orders: [], junkAccepted: 0, missed: [] }
  const junkKeys = new Set(msg.junk)
  for (const p of peers.values()) {
    for (const k of p.receipts.keys()) if (junkKeys.has(k)) out.junkAccepted++
    out.orders.push(...p.orders.values())
    if (p.kind === 'spammer' || p.kind === 'forger') continue
    const topics = new Set(p.topics)
    const until = p.stoppedAt ?? Infinity
    for (const [key, topic, at, publisher] of msg.publications) {
      if (publisher === p.idx || !topics.has(topic)) continue
      if (p.startedAt > at - msg.graceMs || until < at + msg.windowMs) continue
      out.expected[topic] = (out.expected[topic] ?? 0) + 1
      const got = p.receipts.get(key)
      if (got === undefined) {
        if (out.missed.length < 5) out.missed.push([topic, publisher, at, p.idx, p.kind])
        continue
      }
      out.delivered[topic] = (out.delivered[topic] ?? 0) + 1
      const h: Histogram = out.latency[topic] ?? (out.latency[topic] = {})
      addSample(h, got - at)
    }
  }
  return out
}
