import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { EraObserver, offlineSpans } from '../src/observer.js'

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

test.run()
