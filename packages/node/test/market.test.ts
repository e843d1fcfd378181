/**
 * The market over real libp2p/TCP between separate `dcn node` processes: a matcher, five
 * providers and `dcn quote` as the client.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { join } from 'node:path'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { DEVNET_CHAIN_ID, DEVNET_TOKENS, TOPICS, parseManifest, selectWinner, selfDeclaredStanding, ZERO_HASH, type Bid, type Order } from '@dcn/protocol'
import { connect } from '../src/client/light-client.js'
import { quote as quoteWith } from '../src/client/quote.js'
import { Cluster, counter, manifest, providerConfig, waitFor, type TestNode } from './helpers/cluster.js'

interface QuoteJson {
  order: Order
  bids: Array<{ bid: Bid, score: number | null, excludedBy: string | null, bidHash: string }>
  decisions: Array<{ matcher: string, winner: string | null, bidHash: string | null, reason: string | null, detail: string }>
  winner: { bid: Bid } | null
  reason: string | null
  detail: string
}

const cluster = new Cluster()
let matcher: TestNode
let providers: TestNode[] = []

/** JSON numbers of bigint fields come back as strings. */
function revive (q: QuoteJson): QuoteJson {
  const fixRes = (r: Record<string, unknown>): void => { void r }
  q.order.maxPricePerSecond = BigInt(q.order.maxPricePerSecond)
  q.order.nonce = BigInt(q.order.nonce)
  for (const b of q.bids) { b.bid.pricePerSecond = BigInt(b.bid.pricePerSecond); fixRes(b.bid.available as never) }
  return q
}

async function quote (m: string, extra: string[] = []): Promise<{ code: number | null, q: QuoteJson | null, stderr: string }> {
  const file = cluster.file(`m-${Math.random().toString(36).slice(2)}.yaml`, m)
  const r = await cluster.dcn(['quote', file, '--json', '--window', '1500ms', '--bootstrap', matcher.addr, '--data-dir', join(cluster.root, 'client'), ...extra])
  return { code: r.code, q: r.stdout.trim() === '' ? null : revive(JSON.parse(r.stdout) as QuoteJson), stderr: r.stderr }
}

test.before(async () => {
  matcher = await cluster.start('matcher-1', 'matcher')
  const specs: Array<[string, number, string, string, string]> = [
    ['eu-west', 3, '8', '16Gi', '0.08'],
    ['us-east', 4, '16', '64Gi', '0.06'],
    ['eu-west', 5, '4', '8Gi', '0.05'],
    ['ap-south', 6, '32', '128Gi', '0.04'],
    ['us-west', 2, '2', '4Gi', '0.12']
  ]
  providers = await Promise.all(specs.map(async ([region, tier, cpu, mem, price], i) =>
    await cluster.start(`provider-${i + 1}`, 'provider', providerConfig(region, tier, cpu, mem, price), [matcher.addr])))
  await cluster.ready(5)
})

test.after(async () => { await cluster.stop() })

test('quote: every provider bids and the matcher picks the winner the scoring function predicts', async () => {
  const { code, q, stderr } = await quote(manifest({ cpu: '1', memory: '1Gi' }))
  assert.is(code, 0, stderr)
  assert.ok(q !== null)
  assert.is(q.bids.length, 5, 'all five providers bid')
  const predicted = selectWinner(q.order, q.bids.map(b => b.bid), { beacon: ZERO_HASH, standing: selfDeclaredStanding })
  assert.ok(predicted.winner !== null)
  assert.is(q.decisions.length, 1)
  assert.is(q.decisions[0].winner, predicted.winner.bid.bidder)
  assert.is(q.winner?.bid.bidder, predicted.winner.bid.bidder)
  assert.ok(providers.some(p => p.wallet === predicted.winner!.bid.bidder))
})

test('quote: a region nobody serves gets "none in region"', async () => {
  const { code, q } = await quote(manifest({ region: 'mars-1' }))
  assert.is(code, 3)
  assert.is(q?.reason, 'none in region')
  assert.is(q?.bids.length, 0)
})

test('quote: an order above every provider\'s capacity gets "none with capacity"', async () => {
  const { code, q } = await quote(manifest({ cpu: '64', memory: '1Gi' }))
  assert.is(code, 3)
  assert.is(q?.reason, 'none with capacity')
})

test('quote: tier and price reasons', async () => {
  const tier = await quote(manifest({ tier: 1 }))
  assert.is(tier.q?.reason, 'none of the tier')
  const price = await quote(manifest({ cpu: '1', maxPerHour: '0.001' }))
  assert.is(price.q?.reason, 'all above max price')
})

test('reservations are released once the order is decided', async () => {
  await waitFor(async () => (await Promise.all(providers.map(async p => (await p.status()).provider?.reservations ?? -1)))
    .every(n => n === 0 || n === 1), 5000, 'reservations released')
  // Exactly the winners of the first test hold a reservation for the lease window; losers released.
  const held = await Promise.all(providers.map(async p => (await p.status()).provider!.reservations))
  assert.ok(held.reduce((a, b) => a + b, 0) <= 1, `held: ${held.join(',')}`)
})

test('two matchers pick the same winner, and take turns to publish it', async () => {
  const second = await cluster.start('matcher-2', 'matcher', {}, [matcher.addr, ...providers.map(p => p.addr)])
  await waitFor(async () => ((await second.status()).matcher?.knownProviders ?? 0) >= 5, 20_000, 'second matcher knows providers')
  const withheld = async (): Promise<number> =>
    counter(await matcher.metrics(), 'dcn_decisions_withheld_total') + counter(await second.metrics(), 'dcn_decisions_withheld_total')
  // For each order each matcher either publishes its decision or, having heard the same one
  // first, withholds it. Strangers may both publish (that is how they learn of each other); by
  // the second order the one whose turn comes later has heard the first.
  let published = 0
  for (let i = 0; i < 2; i++) {
    const { q } = await quote(manifest({ cpu: '2', memory: '2Gi' }))
    assert.ok(q !== null && q.decisions.length >= 1, JSON.stringify(q?.decisions))
    assert.ok(q.decisions.every(d => d.winner !== null && d.bidHash === q.decisions[0].bidHash), JSON.stringify(q.decisions))
    published += q.decisions.length
  }
  const saved = await withheld()
  assert.ok(saved >= 1, 'no decision was withheld')
  assert.is(published + saved, 4, `published ${published}, withheld ${saved}`)
})

test('a client that never hears a bid on gossip gets them from the matcher that decided, the winner\'s with them', async () => {
  // Not subscribed to bids at all: every bid it shows came over /dcn/bids from the matcher.
  const wallet = privateKeyToAccount(generatePrivateKey())
  const client = await connect({ chainId: DEVNET_CHAIN_ID, bootstrap: [matcher.addr], tokens: DEVNET_TOKENS }, { wallet, receive: ['match', 'no-match'], publish: [TOPICS.orders] })
  try {
    const spec = parseManifest(manifest({ cpu: '1', memory: '1Gi' }), { tokens: DEVNET_TOKENS }).order
    const q = await quoteWith(client, spec, { windowMs: 1500, chainId: DEVNET_CHAIN_ID })
    assert.is(q.bids.length, 5, 'all five bids, from the matcher')
    assert.ok(q.winner !== null, q.detail)
    const signed = q.decisions.filter(d => d.signed !== undefined && d.bidHash === q.winner!.bidHash)
    assert.ok(signed.length > 0, 'a signed match names the bid we hold')
    const predicted = selectWinner(q.order, q.bids.map(b => b.bid), { beacon: ZERO_HASH, standing: selfDeclaredStanding })
    assert.is(q.winner.bid.bidder, predicted.winner?.bid.bidder, 'the bids handed over are the ones the matcher scored')
  } finally {
    await client.stop()
  }
})

test('status and metrics', async () => {
  const s = await matcher.status()
  assert.is(s.role, 'matcher')
  assert.is(s.peerId, matcher.peerId)
  assert.ok(s.listen.some(a => a.includes('/tcp/')))
  assert.ok(s.connectedPeers >= 5)
  assert.ok(s.topics.includes('dcn/1/orders') && s.topics.includes('dcn/1/bids'))
  assert.type(s.version, 'string')
  const m = await matcher.metrics()
  assert.ok(counter(m, 'dcn_orders_seen_total') >= 5)
  assert.ok(counter(m, 'dcn_matches_made_total') >= 1)
  assert.ok(counter(m, 'dcn_no_matches_total', { reason: 'none in region' }) >= 1)
  assert.ok(/libp2p_/.test(m), 'libp2p metrics are served too')
  const pm = await providers[0].metrics()
  assert.ok(counter(pm, 'dcn_bids_sent_total') >= 1)
})

test('SIGTERM stops a node cleanly', async () => {
  const code = await providers[4].stop('SIGTERM')
  assert.is(code, 0)
  assert.match(providers[4].log(), /stopped/)
})

test.run()
