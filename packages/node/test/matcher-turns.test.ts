/**
 * Matchers take turns to publish a decision (roles/matcher/turns.ts). Pure unit test: real
 * Matchers over an in-memory bus standing in for gossip.
 */
import { createHash } from 'node:crypto'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { privateKeyToAccount } from 'viem/accounts'
import { DEVNET_TOKENS, type Bid, type MessageBodies, type MessageKind, type Order } from '@dcn/protocol'
import { Matcher } from '../src/roles/matcher/matcher.js'
import { MAX_TURN_MS, MIN_TURN_MS, MatcherTurns } from '../src/roles/matcher/turns.js'
import { NodeMetrics } from '../src/metrics.js'
import { silent } from '../src/log.js'
import { buildOrder } from '../src/client/quote.js'
import type { Gossip } from '../src/network/gossip.js'

const TURN_MS = 150
const CHAIN_ID = 31337
const user = privateKeyToAccount('0x59c6995e998f97a5a0044966f0945389dc9c86dae88c7a8412f4603b6b78690d')
const wallets = ['0x00000000000000000000000000000000000000a1', '0x00000000000000000000000000000000000000b2'] as const

interface Published { by: string, kind: MessageKind, body: MessageBodies[MessageKind] }

/** Gossip between the matchers on the bus: what one publishes reaches the others 5 ms later. */
class Bus {
  readonly published: Published[] = []
  private readonly members = new Map<string, Map<MessageKind, Array<(m: { body: unknown }) => void>>>()
  gossip (wallet: string): Gossip {
    const handlers = new Map<MessageKind, Array<(m: { body: unknown }) => void>>()
    this.members.set(wallet, handlers)
    return {
      on: (kind: MessageKind, h: (m: { body: unknown }) => void) => { handlers.set(kind, [...(handlers.get(kind) ?? []), h]); return () => {} },
      publish: async (kind: MessageKind, body: MessageBodies[MessageKind]) => {
        this.published.push({ by: wallet, kind, body })
        setTimeout(() => { for (const [w, hs] of this.members) if (w !== wallet) for (const h of hs.get(kind) ?? []) h({ body }) }, 5)
        return { msg: { type: kind, body, sig: '0x' }, recipients: this.members.size - 1 }
      }
    } as unknown as Gossip
  }

  leave (wallet: string): void { this.members.delete(wallet) }
  decisionsFor (orderId: string): Published[] { return this.published.filter(p => (p.body as { orderId?: string }).orderId === orderId) }
}

function matcher (bus: Bus, wallet: `0x${string}`): { m: Matcher, withheld: () => Promise<number> } {
  const metrics = new NodeMetrics()
  const m = new Matcher({ gossip: bus.gossip(wallet), metrics, log: silent, wallet, chainId: CHAIN_ID, graceMs: 20, turnMs: TURN_MS })
  m.start()
  return { m, withheld: async () => (await metrics.decisionsWithheld.get()).values[0]?.value ?? 0 }
}

/** Orders with fixed ids, so whose turn comes first is the same on every run. */
let orders = 0
function order (): Order {
  const o = buildOrder({
    resources: { cpu: 500, memory: 2 ** 28, storage: 2 ** 30, gpuUnits: 0, gpuModel: '' }, region: '', minTrustTier: 7, mode: 'any',
    token: DEVNET_TOKENS.SPON, maxPricePerSecond: 10n ** 12n, duration: 600, manifestHash: `0x${'00'.repeat(32)}`
  }, user.address, 40)
  return { ...o, id: `0x${createHash('sha256').update(`order ${orders++}`).digest('hex')}` }
}

function bid (o: Order, i: number, price: bigint): Bid {
  const res = { cpu: 8000, memory: 2 ** 34, storage: 2 ** 40, gpuUnits: 0, gpuModel: '' }
  return {
    orderId: o.id, bidder: `0x${String(i).padStart(40, '0')}`, peerId: `peer-${i}`, fizzId: '', pricePerSecond: price, region: '', tier: 1,
    token: DEVNET_TOKENS.SPON, available: res, capacity: res, createdMs: o.createdMs, expiry: Math.floor(o.bidDeadlineMs / 1000) + 600
  }
}

/** Gives the order and its bids to the matchers and waits until every one has decided (and waited its turn). */
async function play (ms: Matcher[], o: Order, bids: Bid[] = [bid(o, 1, 10n ** 11n), bid(o, 2, 2n * 10n ** 11n)]): Promise<void> {
  for (const m of ms) { m.onOrder(o); for (const b of bids) m.onBid(b) }
  await new Promise(resolve => setTimeout(resolve, 40 + 20 + ms.length * TURN_MS + 100))
}

test('matchers take turns: each decision is published once; one that differs is published too; a missing matcher\'s turn passes', async () => {
  const bus = new Bus()
  const a = matcher(bus, wallets[0])
  const b = matcher(bus, wallets[1])
  try {
    // Strangers: each thinks it is alone, so both publish; that is how they learn of each other.
    const first = order()
    await play([a.m, b.m], first)
    const both = bus.decisionsFor(first.id)
    assert.is(both.length, 2, JSON.stringify(both.map(p => p.by)))
    assert.is((both[0].body as MessageBodies['match']).bidHash, (both[1].body as MessageBodies['match']).bidHash, 'the same winner')

    // Acquainted: one copy per order, and over these orders each matcher leads some.
    const acquainted = Array.from({ length: 8 }, order)
    for (const o of acquainted) await play([a.m, b.m], o)
    const leaders = acquainted.map(o => bus.decisionsFor(o.id))
    assert.ok(leaders.every(d => d.length === 1), `copies per order: ${leaders.map(d => d.length).join(',')}`)
    assert.is(await a.withheld() + await b.withheld(), acquainted.length)
    assert.ok(new Set(leaders.map(d => d[0].by)).size === 2, 'both matchers lead some orders')

    // A different decision is never withheld: b hears of a cheaper bid that a does not.
    const split = order()
    for (const m of [a.m, b.m]) { m.onOrder(split); m.onBid(bid(split, 1, 10n ** 11n)) }
    b.m.onBid(bid(split, 3, 10n ** 10n))
    await new Promise(resolve => setTimeout(resolve, 40 + 20 + 2 * TURN_MS + 100))
    const dissent = bus.decisionsFor(split.id).map(p => (p.body as MessageBodies['match']).bidder)
    assert.equal(dissent.sort(), [bid(split, 1, 0n).bidder, bid(split, 3, 0n).bidder].sort())

    // b goes away: a publishes every decision itself, waiting out b's turn where b would have led.
    b.m.stop()
    bus.leave(wallets[1])
    const alone = Array.from({ length: 4 }, order)
    for (const o of alone) await play([a.m], o)
    assert.ok(alone.every(o => bus.decisionsFor(o.id).length === 1 && bus.decisionsFor(o.id)[0].by === wallets[0]))
  } finally {
    a.m.stop()
    b.m.stop()
  }
})

test('a turn lasts as long as other matchers\' decisions take to arrive: 1.5× their p90 delay, within bounds', () => {
  let now = 1_000_000
  const turns = new MatcherTurns(wallets[0], () => now)
  assert.is(turns.turnMs(), MIN_TURN_MS, 'nothing heard yet')
  for (let i = 0; i < 20; i++) turns.seen(wallets[1], now - 100)
  assert.is(turns.turnMs(), MIN_TURN_MS, 'a quick network keeps the shortest turn')
  for (let i = 0; i < 20; i++) turns.seen(wallets[1], now - 2000)
  assert.is(turns.turnMs(), 3000, 'decisions arriving 2 s late: 3 s turns')
  turns.seen(wallets[0], now - 60_000)
  assert.is(turns.turnMs(), 3000, 'its own decisions do not count')
  for (let i = 0; i < 32; i++) turns.seen(wallets[1], now - 60_000)
  assert.is(turns.turnMs(), MAX_TURN_MS, 'at most MAX_TURN_MS')
  now += 1
  for (let i = 0; i < 32; i++) turns.seen(wallets[1], now + 5000)
  assert.is(turns.turnMs(), MIN_TURN_MS, 'only the last 32 count, and a clock ahead of ours counts as no delay')
})

test.run()
