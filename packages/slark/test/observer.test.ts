import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { Address } from '@dcn/protocol'
import { EraObserver, lowerMedian, offlineSpans } from '../src/observer.js'

const S = 1000
const every10 = (fromS: number, toS: number): number[] => Array.from({ length: Math.floor((toS - fromS) / 10) }, (_, i) => (fromS + i * 10) * S)

test('steady heartbeats: never offline', () => {
  assert.equal(offlineSpans(every10(990, 1600), 1000, 1600, 10 * S), [])
})

test('a gap longer than three intervals is offline from one interval after the last beat to the next beat', () => {
  const beats = [...every10(990, 1200), ...every10(1300, 1600)]
  // last beat 1190 → offline from 1200 (one interval later) to 1300, relative to the era start 1000
  assert.equal(offlineSpans(beats, 1000, 1600, 10 * S), [{ from: 200, to: 300 }])
})

test('a gap of up to three intervals is not offline (a lost heartbeat or two)', () => {
  const beats = every10(990, 1600).filter(t => t !== 1100 * S && t !== 1110 * S)
  assert.equal(offlineSpans(beats, 1000, 1600, 10 * S), [])
})

test('silent until the end, and silent from the start', () => {
  assert.equal(offlineSpans(every10(990, 1300), 1000, 1600, 10 * S), [{ from: 300, to: 600 }])
  assert.equal(offlineSpans(every10(1200, 1600), 1000, 1600, 10 * S), [{ from: 0, to: 200 }])
  assert.equal(offlineSpans([], 1000, 1600, 10 * S), [{ from: 0, to: 600 }])
})

test('order and duplicates of heartbeats do not matter', () => {
  const beats = [...every10(1300, 1600), ...every10(990, 1200), ...every10(990, 1200)]
  assert.equal(offlineSpans(beats, 1000, 1600, 10 * S), [{ from: 200, to: 300 }])
})

test('silence before the observer started is no evidence', () => {
  const o = new EraObserver(1300 * S)
  for (const t of every10(1290, 1600)) o.heartbeat('0xaa00000000000000000000000000000000000001', t)
  assert.equal(o.offline('0xaa00000000000000000000000000000000000001', 1000, 1600, 10 * S), [])
  // a provider silent throughout: offline only from when three intervals had passed unobserved
  assert.equal(o.offline('0xbb00000000000000000000000000000000000002', 1000, 1600, 10 * S), [{ from: 330, to: 600 }])
  assert.equal(new EraObserver(2000 * S).offline('0xbb00000000000000000000000000000000000002', 1000, 1600, 10 * S), [])
})

test('the observer keeps heartbeats per wallet and one response per slot and slark', () => {
  const o = new EraObserver(0)
  for (const t of every10(990, 1600)) o.heartbeat('0xAA00000000000000000000000000000000000001', t)
  assert.equal(o.offline('0xaa00000000000000000000000000000000000001', 1000, 1600, 10 * S), [])
  assert.equal(o.offline('0xbb00000000000000000000000000000000000002', 1000, 1600, 10 * S), [{ from: 0, to: 600 }])
  o.vote('0xaa00000000000000000000000000000000000001', 3, '0x1100000000000000000000000000000000000001', 40)
  o.vote('0xaa00000000000000000000000000000000000001', 3, '0x1100000000000000000000000000000000000001', 99)
  o.vote('0xaa00000000000000000000000000000000000001', 3, '0x2200000000000000000000000000000000000002', 60)
  o.vote('0xaa00000000000000000000000000000000000001', 9, '0x2200000000000000000000000000000000000002', 500)
  assert.equal(o.response('0xaa00000000000000000000000000000000000001', new Set([3])), { count: 2, totalMs: 100 })
  assert.equal(o.response('0xaa00000000000000000000000000000000000001', new Set([3, 9]), (_s, slark) => slark.startsWith('0x22')), { count: 2, totalMs: 560 })
  o.prune(1200 * S, 5)
  assert.equal(o.response('0xaa00000000000000000000000000000000000001', new Set([3, 9])), { count: 1, totalMs: 500 })
})

const addr = (n: number): Address => `0x${n.toString(16).padStart(40, '0')}`
const [A, B, C, D] = [addr(11), addr(12), addr(13), addr(14)]
const [P, Q] = [addr(1), addr(2)]

test('lower median: the smaller middle value', () => {
  assert.is(lowerMedian([5]), 5)
  assert.is(lowerMedian([40, 10]), 10)
  assert.is(lowerMedian([300, 20, 25]), 25)
  assert.is(lowerMedian([4, 1, 3, 2]), 2)
})

test('a slark\'s response: per challenge the lower median of its observers\' measurements, carried by later votes', () => {
  const o = new EraObserver()
  // slot 10: C voted 120 ms after A had P's answer, 180 ms after B had it; A and B report it in their slot-11 votes
  o.vote(Q, 11, A, 50, [{ slot: 10, provider: P, slark: C, ms: 120 }, { slot: 10, provider: P, slark: B, ms: 30 }])
  o.vote(Q, 11, B, 50, [{ slot: 10, provider: P, slark: C, ms: 180 }, { slot: 10, provider: P, slark: A, ms: 40 }])
  // a second challenge in which only D measured C
  o.vote(P, 12, D, 50, [{ slot: 11, provider: Q, slark: C, ms: 400 }])
  const slots = new Set([11, 12])
  assert.equal(o.slarkResponse(C, slots), { count: 2, totalMs: 120 + 400 })
  assert.equal(o.slarkResponse(A, slots), { count: 1, totalMs: 40 })
  // only the votes the chain's majorities name count: D was not in slot 12's
  assert.equal(o.slarkResponse(C, slots, (slot, voter) => !(slot === 12 && voter === D.toLowerCase())), { count: 1, totalMs: 120 })
  // only votes cast in the era's slots
  assert.equal(o.slarkResponse(C, new Set([12])), { count: 1, totalMs: 400 })
})

test('a slark cannot time itself, nor one liar frame another', () => {
  const o = new EraObserver()
  o.vote(Q, 11, C, 50, [{ slot: 10, provider: P, slark: C, ms: 1 }])
  assert.equal(o.slarkResponse(C, new Set([11])), { count: 0, totalMs: 0 }, 'its own measurement of itself is ignored')
  // A claims B took 5 s; C measured 90 ms: the lower median keeps 90
  o.vote(Q, 11, A, 50, [{ slot: 10, provider: P, slark: B, ms: 5000 }])
  o.vote(P, 11, C, 50, [{ slot: 10, provider: P, slark: B, ms: 90 }])
  assert.equal(o.slarkResponse(B, new Set([11])), { count: 1, totalMs: 90 })
  // A third vote of C in slot 11 (another provider) measuring B again for the same challenge is not counted twice
  o.vote(addr(3), 11, C, 50, [{ slot: 10, provider: P, slark: B, ms: 7000 }])
  assert.equal(o.slarkResponse(B, new Set([11])), { count: 1, totalMs: 90 })
})

test('the same votes, received in any order, give the same response times', () => {
  const votes: Array<[Address, number, Address, Array<{ slot: number, provider: Address, slark: Address, ms: number }>]> = [
    [Q, 11, A, [{ slot: 10, provider: P, slark: C, ms: 120 }]],
    [Q, 11, B, [{ slot: 10, provider: P, slark: C, ms: 180 }]],
    [P, 12, D, [{ slot: 10, provider: P, slark: C, ms: 60 }]]
  ]
  const forward = new EraObserver()
  const backward = new EraObserver()
  for (const v of votes) forward.vote(v[0], v[1], v[2], 0, v[3])
  for (const v of [...votes].reverse()) backward.vote(v[0], v[1], v[2], 0, v[3])
  assert.equal(forward.slarkResponse(C, new Set([11, 12])), backward.slarkResponse(C, new Set([11, 12])))
  assert.equal(forward.slarkResponse(C, new Set([11, 12])), { count: 1, totalMs: 120 })
})

test.run()
