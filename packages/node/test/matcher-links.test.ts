/**
 * Several matchers over real libp2p/TCP on 127.0.0.1, in one process: every matcher gets every
 * provider's bids and heartbeats. Providers subscribe to neither, so a provider's messages reach
 * the matcher it is connected to and the others only over links between matchers. In a small
 * test the DHT links everyone; the large-network topology (each provider linked to its own
 * matcher only, matchers not each other's bootstrap peers) is made by hanging up the other links,
 * so only the matchers' own rendezvous can join them again.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { KEEP_ALIVE } from '@libp2p/interface'
import { DEVNET_TOKENS, type Bid } from '@dcn/protocol'
import { startNode, type DcnNode } from '../src/node.js'
import { buildConfig } from '../src/config.js'
import { ephemeralIdentity } from '../src/identity.js'
import { silent } from '../src/log.js'
import { waitFor } from './helpers/cluster.js'

const MATCHERS = 3
const PROVIDERS = 6

const matchers: DcnNode[] = []
const providers: Array<{ node: DcnNode, own: DcnNode }> = []
let isolate: NodeJS.Timeout | undefined

const addr = (n: DcnNode): string => n.host.getMultiaddrs().find(a => a.toString().includes('/127.0.0.1/'))!.toString()

async function start (role: 'matcher' | 'provider', file: Record<string, unknown>, bootstrap: string[]): Promise<DcnNode> {
  const config = buildConfig(file, { role, dataDir: '/nonexistent', listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap })
  // No random walks: the links are the ones this test sets up.
  return await startNode(config, await ephemeralIdentity(), { log: silent, libp2pMetrics: false, targetPeers: 0, rendezvousMs: 1000 })
}

const providerFile = {
  heartbeat: '1s',
  provider: {
    region: 'eu-west', tier: 3, capacity: { cpu: '8', memory: '16Gi', storage: '100Gi' }, tokens: ['SPON'],
    pricing: { strategy: 'scale', perHour: { cpu: '0.05', memory: '0.01', storage: '0.0001', gpu: '1' } }
  }
}

/** kad-dht keeps its closest peers linked (in a small test: everyone); here they are not neighbours. */
const KAD_KEEP_ALIVE = `${KEEP_ALIVE}-kad-dht`

async function unlink (a: DcnNode, b: DcnNode): Promise<void> {
  for (const [x, y] of [[a, b], [b, a]]) await x.host.peerStore.merge(y.host.peerId, { tags: { [KAD_KEEP_ALIVE]: undefined } }).catch(() => {})
  await a.host.hangUp(b.host.peerId).catch(() => {})
}

/** Cuts every provider's links to matchers but its own, and (once) every link between matchers. */
async function cut (matchersToo: boolean): Promise<void> {
  const pairs: Array<[DcnNode, DcnNode]> = []
  for (const { node, own } of providers) for (const m of matchers) if (m !== own) pairs.push([node, m])
  if (matchersToo) for (const [i, a] of matchers.entries()) for (const b of matchers.slice(i + 1)) pairs.push([a, b])
  await Promise.all(pairs.map(async ([a, b]) => { await unlink(a, b) }))
}

test.before(async () => {
  // Matchers know no other matcher: the network holds together through the providers.
  for (let i = 0; i < MATCHERS; i++) matchers.push(await start('matcher', {}, []))
  for (let i = 0; i < PROVIDERS; i++) {
    const own = matchers[i % MATCHERS]
    const prev = providers.at(-1)?.node
    providers.push({ node: await start('provider', providerFile, [addr(own), ...(prev === undefined ? [] : [addr(prev)])]), own })
  }
  await new Promise(resolve => setTimeout(resolve, 2000))
  await cut(true)
  isolate = setInterval(() => { void cut(false) }, 100)
})

test.after(async () => {
  clearInterval(isolate)
  await Promise.all([...providers.map(p => p.node), ...matchers].map(async n => { await n.stop() }))
})

test('every matcher gets every provider\'s heartbeats and bids', async () => {
  const heartbeats = matchers.map(() => new Set<string>())
  const bids = matchers.map(() => new Set<string>())
  matchers.forEach((m, i) => {
    m.gossip.observe((msg) => {
      if (msg.type === 'heartbeat') heartbeats[i].add(msg.body.wallet.toLowerCase())
      if (msg.type === 'bid') bids[i].add(`${msg.body.orderId}:${msg.body.bidder}`)
    })
  })
  // Every provider's next heartbeats, wherever its matcher is.
  const wallets = providers.map(p => p.node.identity.wallet.address.toLowerCase())
  await waitFor(async () => heartbeats.every(h => wallets.every(w => h.has(w))), 15_000, 'every matcher hears every provider\'s heartbeat')
    .catch(() => { assert.unreachable(`heartbeats per matcher: ${heartbeats.map(h => wallets.filter(w => h.has(w)).length).join(', ')} of ${wallets.length}`) })

  // One bid from each provider, published as its bid engine does.
  const orderId = `0x${'ab'.repeat(32)}` as const
  const none = { cpu: 0, memory: 0, storage: 0, gpuUnits: 0, gpuModel: '' }
  const expected = new Set<string>()
  for (const { node } of providers) {
    const bidder = node.identity.wallet.address.toLowerCase() as `0x${string}`
    const bid: Bid = {
      orderId, bidder, peerId: node.identity.peerId.toString(), fizzId: '', pricePerSecond: 1000n, region: 'eu-west', tier: 3,
      token: DEVNET_TOKENS.SPON, available: { ...none, cpu: 8000 }, capacity: { ...none, cpu: 8000 }, createdMs: Date.now(), expiry: Math.floor(Date.now() / 1000) + 60
    }
    const { recipients } = await node.gossip.publish('bid', bid)
    assert.ok(recipients >= 1, 'a provider reaches its own matcher')
    expected.add(`${orderId}:${bidder}`)
  }
  await waitFor(async () => bids.every(b => [...expected].every(k => b.has(k))), 5000, 'every matcher gets every bid')
    .catch(() => { assert.unreachable(`bids per matcher: ${bids.map(b => b.size).join(', ')} of ${expected.size}`) })
})

test.run()
