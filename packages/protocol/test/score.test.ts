import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { encodePacked, hexToBigInt, keccak256 } from 'viem'
import {
  DEFAULT_WEIGHTS, bidOffer, explain, failedStage, headroom, priceTerm, scoreBid, selectWinner, selfDeclaredStanding, tieBreakRand,
  type Address, type Bid, type Hex, type Offer, type Order, type Standing, type Weights
} from '../src/index.js'
import { TOKEN, hash, makeBid, makeOrder, prng, randomAddress, res, shuffle } from './fixtures.js'

const GiB = 2 ** 30
const owner = '0x' + 'aa'.repeat(20) as Address
const beacon = hash('beacon at block 100')
const A = '0x' + '11'.repeat(20) as Address
const B = '0x' + '22'.repeat(20) as Address
const C = '0x' + '33'.repeat(20) as Address

/** keccak256(orderId ‖ bidder ‖ beacon) / 2^256, computed independently of score.ts. */
function expectedRand (orderId: Hex, bidder: Address, b: Hex): number {
  const h = hexToBigInt(keccak256(encodePacked(['bytes32', 'address', 'bytes32'], [orderId, bidder, b])))
  return Number(h) / 2 ** 256
}

const close = (actual: number, expected: number, what: string, eps = 1e-12): void =>
  assert.ok(Math.abs(actual - expected) < eps, `${what}: ${actual} is not ${expected}`)

test('tieBreakRand is keccak256(orderId ‖ bidder ‖ beacon) / 2^256', () => {
  const order = makeOrder(owner)
  for (const bidder of [A, B, C]) {
    const r = tieBreakRand(order.id, bidder, beacon)
    assert.ok(r >= 0 && r < 1)
    close(r, expectedRand(order.id, bidder, beacon), 'rand', 2 ** -52)
  }
  assert.is.not(tieBreakRand(order.id, A, beacon), tieBreakRand(order.id, B, beacon))
  assert.is.not(tieBreakRand(order.id, A, beacon), tieBreakRand(order.id, A, hash('other beacon')))
  assert.is(tieBreakRand(order.id, A, beacon), tieBreakRand(order.id, A, beacon))
})

test('hand-computed score of one bid (SPEC formula, default weights)', () => {
  const order = makeOrder(owner, {
    maxPricePerSecond: 1000n,
    resources: res({ cpu: 1000, memory: GiB, storage: 10 * GiB })
  })
  const bid = makeBid(A, {
    pricePerSecond: 250n,
    region: 'eu-west',
    available: res({ cpu: 3000, memory: 4 * GiB, storage: 100 * GiB }),
    capacity: res({ cpu: 4000, memory: 8 * GiB, storage: 200 * GiB })
  })
  const standing: Standing = { tier: 2, feedback: 4, stakeShare: 0.2, slashes: 1 }
  const price = 1 - 250 / 1000 // 0.75
  const region = 1
  const feedback = 4 / 5
  // cpu (3000-1000)/4000, memory (4-1)/8, storage (100-10)/200; gpu has no capacity and is skipped
  const head = (0.5 + 0.375 + 0.45) / 3
  const tier = (7 - 2) / 6
  const stake = 0.2
  const slashes = 1 / 3
  const rand = expectedRand(order.id, bid.bidder, beacon)
  const expected = 0.35 * price + 0.15 * region + 0.10 * feedback + 0.10 * head + 0.10 * tier + 0.10 * stake - 0.05 * slashes + 0.05 * rand
  close(priceTerm(250n, 1000n), 0.75, 'price term')
  close(headroom(order.resources, bid.available, bid.capacity), head, 'headroom')
  close(scoreBid(order, bid, standing, beacon), expected, 'score')
  close(scoreBid(order, bid, standing, beacon, DEFAULT_WEIGHTS), expected, 'score with explicit default weights')

  // no region required: nobody gets the region term; slashes cap at 3; feedback caps at 5
  const anywhere = { ...order, region: '' }
  const s2: Standing = { tier: 7, feedback: 9, stakeShare: 1, slashes: 10 }
  const expected2 = 0.35 * price + 0 + 0.10 * 1 + 0.10 * head + 0 + 0.10 * 1 - 0.05 * 1 + 0.05 * rand
  close(scoreBid(anywhere, bid, s2, beacon), expected2, 'score without region')
})

test('score terms move the right way', () => {
  const order = makeOrder(owner)
  const s = selfDeclaredStanding(makeBid(A))
  const base = scoreBid(order, makeBid(A), s, beacon)
  assert.ok(scoreBid(order, makeBid(A, { pricePerSecond: 1n }), s, beacon) > base, 'cheaper scores higher')
  assert.ok(scoreBid(order, makeBid(A), { ...s, tier: 1 }, beacon) > base, 'more trusted scores higher')
  assert.ok(scoreBid(order, makeBid(A), { ...s, slashes: 1 }, beacon) < base, 'slashed scores lower')
  assert.ok(scoreBid(order, makeBid(A), { ...s, feedback: 5 }, beacon) > base, 'rated scores higher')
  close(priceTerm(1000n, 1000n), 0, 'price at the max')
  close(priceTerm(0n, 1000n), 1, 'free')
  close(priceTerm(2000n, 1000n), 0, 'price over the max')
  close(priceTerm(1n, 0n), 0, 'no max')
  // price term on huge integers does not lose the ratio
  close(priceTerm(10n ** 30n, 4n * 10n ** 30n), 0.75, 'large prices')
  close(headroom(res(), res({ cpu: 500 }), res({ cpu: 0, memory: 0, storage: 0 })), 0, 'nothing registered')
  close(headroom(res({ cpu: 2000 }), res({ cpu: 1000 }), res({ cpu: 1000, memory: 0, storage: 0 })), 0, 'headroom never negative')
})

function randomBids (order: Order, n: number, seed: number): Bid[] {
  const rand = prng(seed)
  return Array.from({ length: n }, () => makeBid(randomAddress(rand), {
    orderId: order.id,
    // coarse prices so several bids share a price
    pricePerSecond: BigInt(1 + Math.floor(rand() * 12)) * (order.maxPricePerSecond / 10n),
    region: rand() < 0.8 ? order.region : 'us-east',
    tier: 1 + Math.floor(rand() * 7),
    available: res({ cpu: 1000 * Math.floor(rand() * 8), memory: GiB * Math.floor(rand() * 16), storage: 100 * GiB }),
    capacity: res({ cpu: 8000, memory: 16 * GiB, storage: 200 * GiB })
  }))
}

/** Chain standing that depends only on the bidder, as if read at the reference block. */
const standingOf = (bid: Bid): Standing => {
  const h = Number(hexToBigInt(keccak256(bid.bidder)) % 1000n)
  return { tier: bid.tier, feedback: h % 6, stakeShare: (h % 100) / 100, slashes: h % 4 }
}

test('selectWinner is deterministic: 50 random bids under 20 shuffles', () => {
  const order = makeOrder(owner)
  const bids = randomBids(order, 50, 11)
  const first = selectWinner(order, bids, { beacon, standing: standingOf })
  assert.ok(first.winner !== null)
  assert.ok(first.ranked.length > 5 && first.excluded.length > 5, `ranked ${first.ranked.length}, excluded ${first.excluded.length}`)
  assert.is(first.reason, null)
  for (let i = 1; i < first.ranked.length; i++) assert.ok(first.ranked[i - 1].score >= first.ranked[i].score, 'ranked best first')
  assert.is(first.winner, first.ranked[0])
  // every eligible bid passes every filter, every excluded one fails the stage recorded
  for (const { bid } of first.ranked) assert.is(failedStage(order, bidOffer(bid, standingOf(bid).tier)), null)
  for (const { bid, stage } of first.excluded) assert.is(failedStage(order, bidOffer(bid, standingOf(bid).tier)), stage)
  const rankOf = (s: ReturnType<typeof selectWinner>): string[] => s.ranked.map(r => r.bid.bidder)
  const excludedOf = (s: ReturnType<typeof selectWinner>): string[] => s.excluded.map(e => `${e.bid.bidder}:${e.stage}`).sort()
  const rand = prng(99)
  for (let i = 0; i < 20; i++) {
    const again = selectWinner(order, shuffle(bids, rand), { beacon, standing: standingOf })
    assert.is(again.winner?.bid.bidder, first.winner?.bid.bidder)
    assert.is(again.winner?.score, first.winner?.score)
    assert.equal(rankOf(again), rankOf(first))
    assert.equal(excludedOf(again), excludedOf(first))
  }
  // another beacon may reorder, but is just as deterministic
  const other = selectWinner(order, bids, { beacon: hash('x'), standing: standingOf })
  const other2 = selectWinner(order, [...bids].reverse(), { beacon: hash('x'), standing: standingOf })
  assert.equal(rankOf(other), rankOf(other2))
})

test('ties break on the lower bidder address', () => {
  const order = makeOrder(owner)
  const noRand: Weights = { ...DEFAULT_WEIGHTS, rand: 0 }
  const low = makeBid(A)
  const high = makeBid(B)
  const inputs = { beacon, standing: selfDeclaredStanding, weights: noRand }
  assert.is(scoreBid(order, low, selfDeclaredStanding(low), beacon, noRand), scoreBid(order, high, selfDeclaredStanding(high), beacon, noRand))
  for (const bids of [[low, high], [high, low]]) {
    const s = selectWinner(order, bids, inputs)
    assert.is(s.winner?.bid.bidder, A)
    assert.equal(s.ranked.map(r => r.bid.bidder), [A, B])
  }
  // three-way tie with the lowest in the middle of the input
  const s3 = selectWinner(order, [makeBid(C), makeBid(A), makeBid(B)], inputs)
  assert.equal(s3.ranked.map(r => r.bid.bidder), [A, B, C])
  // a strictly better score still beats a lower address
  const s4 = selectWinner(order, [makeBid(A), makeBid(C, { pricePerSecond: 1n })], inputs)
  assert.is(s4.winner?.bid.bidder, C)
})

test('funnel: no bids', () => {
  const order = makeOrder(owner)
  const s = selectWinner(order, [], { beacon, standing: selfDeclaredStanding })
  assert.is(s.winner, null)
  assert.is(s.reason, 'no bids')
  assert.equal(s.ranked, [])
  // bids for another order do not count as bids for this one
  const stray = selectWinner(order, [makeBid(A, { orderId: hash('other') })], { beacon, standing: selfDeclaredStanding })
  assert.is(stray.winner, null)
  assert.is(stray.reason, 'no bids')
})

const reasonOf = (order: Order, bids: Bid[], standing: (b: Bid) => Standing = selfDeclaredStanding): string | null => {
  const s = selectWinner(order, bids, { beacon, standing })
  assert.is(s.winner, null, 'expected no winner')
  return s.reason
}

test('funnel: all bids in the wrong region', () => {
  const order = makeOrder(owner, { region: 'eu-west' })
  assert.is(reasonOf(order, [makeBid(A, { region: 'us-east' }), makeBid(B, { region: 'ap-south' })]), 'none in region')
  // without a required region, the same bids are fine
  assert.ok(selectWinner({ ...order, region: '' }, [makeBid(A, { region: 'us-east' })], { beacon, standing: selfDeclaredStanding }).winner)
})

test('funnel: some in region but too small', () => {
  const order = makeOrder(owner, { resources: res({ cpu: 4000, memory: 8 * GiB }) })
  const bids = [
    makeBid(A, { region: 'us-east' }),
    makeBid(B, { available: res({ cpu: 2000, memory: 16 * GiB }) }),
    makeBid(C, { available: res({ cpu: 8000, memory: 4 * GiB }) })
  ]
  assert.is(reasonOf(order, bids), 'none with capacity')
  const s = selectWinner(order, bids, { beacon, standing: selfDeclaredStanding })
  assert.ok(s.detail.includes('3 bids'), s.detail)
  assert.ok(s.detail.includes('1 region') && s.detail.includes('2 capacity'), s.detail)
  // GPUs: units and model must fit
  const gpuOrder = makeOrder(owner, { resources: res({ gpuUnits: 2, gpuModel: 'h100' }) })
  assert.is(reasonOf(gpuOrder, [makeBid(A, { available: res({ cpu: 4000, gpuUnits: 4, gpuModel: 'a100' }) }), makeBid(B, { available: res({ cpu: 4000, gpuUnits: 1, gpuModel: 'h100' }) })]), 'none with capacity')
})

test('funnel: all above max price', () => {
  const order = makeOrder(owner, { maxPricePerSecond: 1000n })
  assert.is(reasonOf(order, [makeBid(A, { pricePerSecond: 1001n }), makeBid(B, { pricePerSecond: 5000n }), makeBid(C, { region: 'us-east', pricePerSecond: 10n })]), 'all above max price')
  // exactly at the max is eligible
  assert.is(selectWinner(order, [makeBid(A, { pricePerSecond: 1000n })], { beacon, standing: selfDeclaredStanding }).winner?.bid.bidder, A)
})

test('funnel: tier above minTrustTier', () => {
  const order = makeOrder(owner, { minTrustTier: 3 })
  assert.is(reasonOf(order, [makeBid(A, { tier: 4 }), makeBid(B, { tier: 7 })]), 'none of the tier')
  assert.ok(selectWinner(order, [makeBid(A, { tier: 3 })], { beacon, standing: selfDeclaredStanding }).winner)
  // the chain's tier counts, not the one the bid claims
  const chainTier = (b: Bid): Standing => ({ ...selfDeclaredStanding(b), tier: 6 })
  assert.is(reasonOf(order, [makeBid(A, { tier: 1 })], chainTier), 'none of the tier')
})

test('funnel: token and mode', () => {
  const order = makeOrder(owner)
  assert.is(reasonOf(order, [makeBid(A, { token: '0x' + '99'.repeat(20) as Address })]), 'none accepting token')
  const providersOnly = makeOrder(owner, { mode: 'provider' })
  assert.is(reasonOf(providersOnly, [makeBid(A, { fizzId: '12D3KooWfizz' })]), 'none in mode')
  const fizzOnly = makeOrder(owner, { mode: 'fizz' })
  assert.is(reasonOf(fizzOnly, [makeBid(A)]), 'none in mode')
  assert.ok(selectWinner(fizzOnly, [makeBid(A, { fizzId: '12D3KooWfizz' })], { beacon, standing: selfDeclaredStanding }).winner)
})

test('explain over offers', () => {
  const order = makeOrder(owner, { region: 'eu-west', minTrustTier: 4, maxPricePerSecond: 1000n, resources: res({ cpu: 2000 }) })
  const good: Offer = { mode: 'provider', region: 'eu-west', tier: 2, tokens: [TOKEN], available: res({ cpu: 4000 }), price: 500n }
  assert.is(explain(order, []), null)
  assert.is(explain(order, [good]), null)
  assert.is(explain(order, [{ ...good, price: undefined }]), null, 'unknown (script) prices pass the price filter')
  assert.is(explain(order, [{ ...good, region: 'x' }, good]), null, 'one good offer is enough')

  const cases: Array<[Partial<Offer>, string]> = [
    [{ mode: 'fizz' }, 'none in mode'],
    [{ region: 'us-east' }, 'none in region'],
    [{ tier: 5 }, 'none of the tier'],
    [{ tokens: [] }, 'none accepting token'],
    [{ available: res({ cpu: 1000 }) }, 'none with capacity'],
    [{ price: 1001n }, 'all above max price']
  ]
  for (const [change, reason] of cases) assert.is(explain({ ...order, mode: 'provider' }, [{ ...good, ...change }])?.reason, reason)

  // the deepest stage reached wins, and the detail counts every stage
  const mixed = explain(order, [
    { ...good, region: 'us-east' },
    { ...good, region: 'us-east' },
    { ...good, tier: 6 },
    { ...good, price: 2000n },
    { ...good, available: res({ cpu: 100 }) }
  ])
  assert.is(mixed?.reason, 'all above max price')
  assert.is(mixed?.detail, '5 considered; failed on 2 region, 1 tier, 1 capacity, 1 price')
  assert.is(explain(order, [{ ...good, region: 'us-east' }, { ...good, tokens: [] }])?.reason, 'none accepting token')
  // offers of any mode pass an order of mode any
  assert.is(explain({ ...order, mode: 'any' }, [{ ...good, mode: 'fizz' }]), null)
})

test.run()
