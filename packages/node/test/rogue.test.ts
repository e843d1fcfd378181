/**
 * A rogue peer inside the network: a real libp2p node in this process, dialled into a matcher
 * and two providers (separate `dcn node` processes over TCP), publishing raw bytes on every
 * market topic — garbage, envelopes that are not ours, wrong schemas, forged and tampered
 * signatures, expired, stale, replayed, conflicting, future-dated and oversized messages, and a
 * bid on the orders topic. Every node must stay up, only the rogue's legitimately signed orders
 * may reach the application, the validators must say why they rejected the rest, the rogue's
 * gossipsub score must go negative, and the market must still work afterwards.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { randomBytes } from 'node:crypto'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { multiaddr } from '@multiformats/multiaddr'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import {
  DEVNET_CHAIN_ID, DEVNET_TOKENS, MAX_MESSAGE_BYTES, TOPICS, encode, sign, typedData,
  type Address, type Bid, type Hex, type Match, type Order, type SignedMessage
} from '@dcn/protocol'
import { createHost, type Host } from '../src/host.js'
import { Cluster, alive, counter, manifest, providerConfig, series, waitFor, type TestNode } from './helpers/cluster.js'

const CHAIN = DEVNET_CHAIN_ID
const NOWHERE = 'nowhere-1'

const cluster = new Cluster()
let matcher: TestNode
let providers: TestNode[] = []
let nodes: TestNode[] = []
let rogue: Host
/** The rogue's own, valid wallet: what it signs with it is legitimate. */
const wallet = privateKeyToAccount(generatePrivateKey())
/** Someone else's wallet, whose orders the rogue forges. */
const victim = privateKeyToAccount(generatePrivateKey())

/** Counters of one node that say what reached the application. */
interface Snapshot { seen: number, accepted: number, bids: number, rejected: number }
const baseline = new Map<string, Snapshot>()
/** The first legitimate order, whose id the replay reuses. */
let legit: SignedMessage<'order'>
/** Legitimate orders sent so far, each to be seen exactly once by every node. */
let legitSent = 0

async function snapshot (n: TestNode): Promise<Snapshot> {
  const m = await n.metrics()
  return {
    seen: counter(m, 'dcn_orders_seen_total'),
    accepted: counter(m, 'dcn_gossip_messages_total', { topic: TOPICS.orders, result: 'accept' }),
    bids: counter(m, 'dcn_bids_sent_total'),
    rejected: counter(m, 'dcn_messages_rejected_total')
  }
}

/** Rejections since the baseline, by reason. */
async function rejectedReasons (n: TestNode): Promise<Map<string, number>> {
  const out = new Map<string, number>()
  for (const s of series(await n.metrics(), 'dcn_messages_rejected_total')) {
    out.set(s.labels.reason, (out.get(s.labels.reason) ?? 0) + s.value)
  }
  return out
}

function order (owner: Address, over: Partial<Order> = {}): Order {
  const now = Date.now()
  return {
    id: `0x${randomBytes(32).toString('hex')}`,
    owner: owner.toLowerCase() as Address,
    resources: { cpu: 1000, memory: 2 ** 30, storage: 2 ** 30, gpuUnits: 0, gpuModel: '' },
    // Anywhere: if one of the rogue's bad orders got through, the providers would bid on it.
    region: '',
    minTrustTier: 7,
    mode: 'provider',
    token: DEVNET_TOKENS.SPON,
    maxPricePerSecond: 10n ** 15n,
    duration: 3600,
    bidDeadlineMs: now + 1500,
    refBlock: 0,
    nonce: BigInt(`0x${randomBytes(8).toString('hex')}`),
    createdMs: now,
    expiry: Math.floor(now / 1000) + 600,
    manifestHash: `0x${randomBytes(32).toString('hex')}`,
    ...over
  }
}

const text = (s: string): Uint8Array => new TextEncoder().encode(s)
const toHex = (b: Uint8Array): Hex => `0x${Buffer.from(b).toString('hex')}`

/** Publishes raw bytes from the rogue; returns how many peers gossipsub sent them to. */
async function publish (topic: string, data: Uint8Array): Promise<number> {
  return (await rogue.services.pubsub.publish(topic, data)).recipients.length
}

interface Rpc { subscriptions: unknown[], messages: unknown[], control?: unknown }
interface RpcSender { sendRpc: (id: string, rpc: Rpc) => boolean, streamsOutbound: Map<string, unknown> }

/**
 * Runs `fn` with the rogue's gossipsub corked: the messages it publishes meanwhile leave as one
 * RPC per peer when `fn` is done, as an attacker would send them. A receiver checks a peer's
 * score once per RPC, so every message in the batch is validated even though the first few
 * rejections already push the rogue below the graylist threshold; sent one RPC each, the tail of
 * a burst is dropped unvalidated whenever the receiver's score cache happens to refresh mid-burst.
 */
async function corked<T> (fn: () => Promise<T>): Promise<T> {
  const gs = rogue.services.pubsub as unknown as RpcSender
  const send = gs.sendRpc.bind(gs)
  const queued = new Map<string, unknown[]>()
  gs.sendRpc = (id, rpc) => {
    if (rpc.messages.length === 0) return send(id, rpc)
    queued.set(id, [...(queued.get(id) ?? []), ...rpc.messages])
    if (rpc.subscriptions.length > 0 || rpc.control !== undefined) send(id, { ...rpc, messages: [] })
    return gs.streamsOutbound.has(id)
  }
  try {
    return await fn()
  } finally {
    delete (gs as Partial<RpcSender>).sendRpc
    for (const [id, messages] of queued) send(id, { subscriptions: [], messages, control: undefined })
  }
}

test.before(async () => {
  matcher = await cluster.start('matcher', 'matcher')
  providers = await Promise.all([
    cluster.start('provider-1', 'provider', providerConfig('eu-west', 3, '8', '16Gi', '0.08'), [matcher.addr]),
    cluster.start('provider-2', 'provider', providerConfig('us-east', 4, '16', '32Gi', '0.06'), [matcher.addr])
  ])
  nodes = [matcher, ...providers]
  await cluster.ready(2)

  rogue = await createHost({ privateKey: await generateKeyPair('Ed25519'), listen: ['/ip4/127.0.0.1/tcp/0'] })
  await Promise.all(nodes.map(async n => await rogue.dial(multiaddr(n.addr))))
  const pubsub = rogue.services.pubsub
  for (const t of [TOPICS.orders, TOPICS.bids, TOPICS.matches, TOPICS.heartbeats]) pubsub.subscribe(t)
  const subscribed = (topic: string, peers: TestNode[]): boolean => {
    const subs = pubsub.getSubscribers(topic).map(String)
    return peers.every(p => subs.includes(p.peerId))
  }
  // Providers listen on orders and matches; the matcher on every market topic.
  await waitFor(async () => subscribed(TOPICS.orders, nodes) && subscribed(TOPICS.matches, nodes) &&
    subscribed(TOPICS.bids, [matcher]) && subscribed(TOPICS.heartbeats, [matcher]), 10_000, 'rogue sees the subscriptions')
  // The matcher lists the rogue among its peers (its score is read from there later).
  await waitFor(async () => {
    const s = await matcher.status()
    return s.peers.some(p => p.id === rogue.peerId.toString())
  }, 10_000, 'matcher connected to the rogue')
  for (const n of nodes) baseline.set(n.name, await snapshot(n))
})

test.after(async () => {
  await rogue?.stop()
  await cluster.stop()
})

test('a valid order from the rogue\'s own wallet is seen once by every node', async () => {
  legit = await sign(wallet, CHAIN, 'order', order(wallet.address, { region: NOWHERE }))
  const sent = await publish(TOPICS.orders, encode(legit))
  legitSent += 1
  assert.is(sent, 3, 'flood-published to the matcher and both providers')
  await waitFor(async () => (await Promise.all(nodes.map(snapshot))).every((s, i) => s.seen === baseline.get(nodes[i].name)!.seen + legitSent),
    5000, 'the legitimate order reaches every node')
})

test('an order and a conflicting copy under the same id, published together: each node accepts exactly one', async () => {
  const before = await Promise.all(nodes.map(snapshot))
  const first = order(wallet.address, { region: NOWHERE })
  const a = await sign(wallet, CHAIN, 'order', first)
  const b = await sign(wallet, CHAIN, 'order', { ...first, maxPricePerSecond: first.maxPricePerSecond * 2n })
  // Both validly signed by their owner; only the replay check can tell them apart.
  // In one RPC, so every node validates the two concurrently.
  const sent = await corked(async () => [await publish(TOPICS.orders, encode(a)), await publish(TOPICS.orders, encode(b))])
  legitSent += 1
  assert.equal(sent, [3, 3])
  // Each node gets both straight from the rogue: one must be accepted, the other rejected as a replay.
  await waitFor(async () => (await Promise.all(nodes.map(snapshot))).every((s, i) =>
    s.accepted + s.rejected >= before[i].accepted + before[i].rejected + 2), 5000, 'both copies validated')
  await new Promise(resolve => setTimeout(resolve, 500))
  const after = await Promise.all(nodes.map(snapshot))
  for (const [i, n] of nodes.entries()) {
    assert.is(after[i].accepted - before[i].accepted, 1, `${n.name} accepted exactly one of the two`)
    assert.is(after[i].seen - before[i].seen, 1, `${n.name} handed exactly one to the application`)
  }
})

test('garbage, forgeries, replays, expired, stale and oversized messages are all rejected', async () => {
  const before = await Promise.all(nodes.map(snapshot))
  const reasonsBefore = await Promise.all(nodes.map(rejectedReasons))
  const now = Date.now()
  const sig65 = toHex(randomBytes(65))

  // A valid order of the rogue's wallet that becomes invalid only by the change made to it.
  const signed = async (over: Partial<Order> = {}): Promise<SignedMessage<'order'>> => await sign(wallet, CHAIN, 'order', order(wallet.address, over))

  // Forged: claims the victim as owner, signed with the rogue's key.
  const forgedBody = order(victim.address)
  const forgedSig = await wallet.signTypedData(typedData(CHAIN, 'order', forgedBody) as never)
  const forged: SignedMessage<'order'> = { type: 'order', body: forgedBody, sig: forgedSig }

  // Tampered: a valid signature over a body whose price was raised afterwards.
  const original = await signed()
  const tampered: SignedMessage<'order'> = { ...original, body: { ...original.body, maxPricePerSecond: original.body.maxPricePerSecond * 10n } }

  // Expired 30 s ago (still inside the replay window, so only expiry stops it).
  const expired = await signed({ createdMs: now - 60_000, bidDeadlineMs: now - 55_000, expiry: Math.floor((now - 30_000) / 1000) })
  // Validly signed, but older than the replay window.
  const stale = await signed({ createdMs: now - 200_000, bidDeadlineMs: now - 199_000 })
  // Created well beyond the tolerated clock skew.
  const future = await signed({ createdMs: now + 120_000, bidDeadlineMs: now + 125_000, expiry: Math.floor(now / 1000) + 900 })
  // The accepted order's id again, with different content and a valid signature.
  const replay = await sign(wallet, CHAIN, 'order', { ...legit.body, region: '', maxPricePerSecond: legit.body.maxPricePerSecond + 1n, nonce: legit.body.nonce + 1n })
  // A valid order padded with JSON whitespace past 64 KiB: only the size limit stops it.
  const big = await signed()
  const oversized = text(new TextDecoder().decode(encode(big)) + ' '.repeat(MAX_MESSAGE_BYTES))
  // A validly signed bid, but on the orders topic.
  const bid: Bid = {
    orderId: legit.body.id,
    bidder: wallet.address.toLowerCase() as Address,
    peerId: rogue.peerId.toString(),
    fizzId: '',
    pricePerSecond: 1n,
    region: 'eu-west',
    tier: 1,
    token: DEVNET_TOKENS.SPON,
    available: { cpu: 64_000, memory: 2 ** 36, storage: 2 ** 40, gpuUnits: 0, gpuModel: '' },
    capacity: { cpu: 64_000, memory: 2 ** 36, storage: 2 ** 40, gpuUnits: 0, gpuModel: '' },
    createdMs: now,
    expiry: Math.floor(now / 1000) + 60
  }
  const wrongTopic = await sign(wallet, CHAIN, 'bid', bid)
  // A match that claims to come from the real matcher: the provider would think it won.
  const fakeMatch: Match = {
    orderId: legit.body.id,
    bidHash: toHex(randomBytes(32)),
    bidder: providers[0].wallet as Address,
    pricePerSecond: 1n,
    matcher: matcher.wallet as Address,
    bids: 1,
    createdMs: now,
    expiry: Math.floor(now / 1000) + 60
  }
  const forgedMatchSig = await wallet.signTypedData(typedData(CHAIN, 'match', fakeMatch) as never)

  // Garbage that is certainly not UTF-8 (0xff never occurs in UTF-8).
  const garbage = (): Uint8Array => { const b = randomBytes(300); b[0] = 0xff; return b }
  const attack: Array<[string, string, Uint8Array]> = [
    ['garbage on orders', TOPICS.orders, garbage()],
    ['garbage on bids', TOPICS.bids, garbage()],
    ['garbage on matches', TOPICS.matches, garbage()],
    ['garbage on heartbeats', TOPICS.heartbeats, garbage()],
    ['JSON that is not an envelope', TOPICS.orders, text(JSON.stringify({ hello: 'world', n: [1, 2, 3] }))],
    ['order with a wrong-schema body', TOPICS.orders, text(JSON.stringify({ v: 1, type: 'order', body: { id: '0x12', owner: 'me', cpu: -1 }, sig: sig65 }))],
    ['forged order', TOPICS.orders, encode(forged)],
    ['tampered order', TOPICS.orders, encode(tampered)],
    ['expired order', TOPICS.orders, encode(expired)],
    ['order older than the replay window', TOPICS.orders, encode(stale)],
    ['order from the future', TOPICS.orders, encode(future)],
    ['replayed order id', TOPICS.orders, encode(replay)],
    ['bid on the orders topic', TOPICS.orders, encode(wrongTopic)],
    ['forged match', TOPICS.matches, encode({ type: 'match', body: fakeMatch, sig: forgedMatchSig })],
    ['oversized order', TOPICS.orders, oversized]
  ]
  assert.ok(oversized.length > MAX_MESSAGE_BYTES)

  // One batch, so every message is judged before the rogue's falling score gets it graylisted.
  const sentTo = new Map<string, number>()
  await corked(async () => {
    for (const [name, topic, data] of attack) {
      try {
        sentTo.set(name, await publish(topic, data))
      } catch (err) {
        throw new Error(`gossipsub refused to send the ${name}: ${(err as Error).message}`)
      }
    }
  })
  // Flood publishing reaches every subscriber directly: the matcher listens on all four topics,
  // the providers on orders and matches.
  for (const [name, topic] of attack) {
    assert.is(sentTo.get(name), topic === TOPICS.orders || topic === TOPICS.matches ? 3 : 1, `recipients of the ${name}`)
  }
  const expected = (n: TestNode): number => n === matcher ? attack.length : attack.filter(([, t]) => t === TOPICS.orders || t === TOPICS.matches).length
  await waitFor(async () => (await Promise.all(nodes.map(snapshot))).every((s, i) => s.rejected - before[i].rejected >= expected(nodes[i])),
    5000, 'every node to reject every rogue message').catch(() => {})
  // Anything that slipped through would be bid on by now (the bid engine bids at once).
  await new Promise(resolve => setTimeout(resolve, 500))

  const after = await Promise.all(nodes.map(snapshot))
  for (const [i, n] of nodes.entries()) {
    assert.ok(await alive(n), `${n.name} is still running`)
    assert.is(after[i].seen, before[i].seen, `${n.name}: no rogue order reached the application`)
    assert.is(after[i].accepted, before[i].accepted, `${n.name}: no rogue order was accepted`)
    assert.is(after[i].bids, 0, `${n.name}: nobody bid (the rogue's legitimate orders ask for ${NOWHERE})`)
    assert.is(after[i].rejected - before[i].rejected, expected(n), `${n.name}: every rogue message was rejected`)
  }
  // Why the matcher rejected them.
  const reasons = await rejectedReasons(matcher)
  const delta = (r: string): number => (reasons.get(r) ?? 0) - (reasonsBefore[0].get(r) ?? 0)
  const want: Record<string, number> = {
    'not UTF-8 JSON': 4,
    envelope: 1,
    schema: 1,
    'bad signature': 3,
    expired: 1,
    replayed: 2,
    'created in the future': 1,
    'wrong topic': 1,
    oversized: 1
  }
  for (const [reason, count] of Object.entries(want)) assert.is(delta(reason), count, `matcher rejections for "${reason}": ${JSON.stringify([...reasons])}`)
  // The providers saw the orders-topic attack too, for the same reasons.
  for (const [i, p] of providers.entries()) {
    const r = await rejectedReasons(p)
    for (const reason of ['bad signature', 'replayed', 'expired', 'oversized', 'wrong topic', 'schema']) {
      assert.ok((r.get(reason) ?? 0) > (reasonsBefore[i + 1].get(reason) ?? 0), `${p.name} rejected something as "${reason}"`)
    }
  }
})

test('the rogue\'s gossipsub score goes negative', async () => {
  const id = rogue.peerId.toString()
  const scoreOn = async (n: TestNode): Promise<number | undefined> => (await n.status()).peers.find(p => p.id === id)?.score
  let last: Array<number | undefined> = []
  await waitFor(async () => {
    last = await Promise.all(nodes.map(scoreOn))
    return last.every(s => s !== undefined && s < 0)
  }, 8000, 'negative scores').catch(() => {})
  assert.ok(last[0] !== undefined, 'the matcher is still connected to the rogue')
  assert.ok(last[0] < 0, `the matcher scores the rogue ${String(last[0])}`)
  for (const [i, p] of providers.entries()) assert.ok((last[i + 1] ?? 0) < 0, `${p.name} scores the rogue ${String(last[i + 1])}`)
})

test('every node is up, only the legitimate orders were seen, and the market still works', async () => {
  for (const [, n] of nodes.entries()) {
    assert.ok(await alive(n), `${n.name} answers /status`)
    const s = await snapshot(n)
    assert.is(s.seen - baseline.get(n.name)!.seen, legitSent, `${n.name} saw exactly the ${legitSent} legitimate orders`)
  }
  const file = cluster.file('quote.yaml', manifest({ cpu: '1', memory: '1Gi' }))
  const r = await cluster.dcn(['quote', file, '--json', '--window', '1500ms', '--bootstrap', matcher.addr, '--data-dir', `${cluster.root}/client`])
  assert.is(r.code, 0, r.stderr)
  const q = JSON.parse(r.stdout) as { bids: unknown[], winner: { bid: Bid } | null, decisions: Array<{ winner: string | null }> }
  assert.is(q.bids.length, 2, 'both providers bid')
  assert.ok(q.winner !== null)
  assert.ok(providers.some(p => p.wallet === q.winner!.bid.bidder), 'a provider won')
  assert.is(q.decisions[0]?.winner, q.winner.bid.bidder)
  for (const n of nodes) assert.ok(await alive(n), `${n.name} is still running`)
})

test.run()
