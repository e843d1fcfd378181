/** The slark tier table's response column: the members' measured vote lags against each tier's limit. */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { computeEra } from '../src/index.js'
import { input, runEras, slark, slarkHistory } from './era-fixtures.js'

const accurate = { challenges: 200, agreed: 200 } // 100 %: every accuracy requirement is met

test('a slow slark misses its tier\'s response requirement, and only that', () => {
  // tier 6 asks < 100 ms on average; 150 ms meets tier 4 (< 200) but not tier 5 (< 150, strictly)
  const r = computeEra(input([], [slark(1, { ...accurate, response: { count: 40, totalMs: 40 * 150 }, history: slarkHistory(6) })])).slarks[0]
  assert.equal(r.missed, ['response'])
  assert.is(r.meanResponseMs, 150)
  assert.is(r.bestTierMet, 4)
  const fast = computeEra(input([], [slark(1, { ...accurate, response: { count: 40, totalMs: 40 * 99 }, history: slarkHistory(6) })])).slarks[0]
  assert.equal(fast.missed, [])
  assert.is(fast.bestTierMet, 6)
})

test('two slow eras demote a tier-6 slark to the tier its response time meets; a fast one holds', () => {
  const slow = runEras(3, [], [slark(1, { ...accurate, response: { count: 40, totalMs: 40 * 260 }, history: slarkHistory(6) })])
  assert.equal(slow.map(r => r.slarks[0].tierAfter), [6, 2, 2], '260 ms meets tier 2 (< 300), not tier 3 (< 250)')
  assert.equal(slow[1].payouts.slarkTiers, [{ account: slark(1).address, tier: 2 }])
  const fast = runEras(3, [], [slark(1, { ...accurate, response: { count: 40, totalMs: 40 * 80 }, history: slarkHistory(6) })])
  assert.equal(fast.map(r => r.slarks[0].tierAfter), [6, 6, 6])
})

test('over 350 ms meets no tier: a slark without responsiveness earns its challenges at tier 1 and cannot rise', () => {
  const reports = runEras(4, [], [slark(1, { ...accurate, optIn: true, response: { count: 10, totalMs: 10 * 350 }, history: slarkHistory(1) })])
  assert.equal(reports.map(r => r.slarks[0].bestTierMet), [null, null, null, null])
  assert.equal(reports.map(r => r.slarks[0].tierAfter), [1, 1, 1, 1])
  // the same slark answering in 349 ms meets tier 1 and, accurate, tier 2 needs < 300: still no promotion
  const just = runEras(4, [], [slark(1, { ...accurate, optIn: true, response: { count: 10, totalMs: 10 * 349 }, history: slarkHistory(1) })])
  assert.equal(just.map(r => r.slarks[0].bestTierMet), [1, 1, 1, 1])
  assert.equal(just.map(r => r.slarks[0].tierAfter), [1, 1, 1, 1])
})

test('no response samples: only evidence counts, accuracy alone decides', () => {
  const r = computeEra(input([], [slark(1, { ...accurate, response: { count: 0, totalMs: 0 }, history: slarkHistory(3) })])).slarks[0]
  assert.equal(r.missed, [])
  assert.is(r.meanResponseMs, null)
  assert.is(r.bestTierMet, 6)
})

test('an era without verdicts holds a slark\'s tier and streaks, however slow its record', () => {
  const idle = computeEra(input([], [slark(1, { challenges: 0, agreed: 0, response: { count: 0, totalMs: 0 }, history: slarkHistory(6, { demoteStreak: 1, promoteStreak: 0 }) })])).slarks[0]
  assert.equal([idle.tierAfter, idle.change, idle.history.demoteStreak, idle.bestTierMet], [6, 'held', 1, null])
  assert.equal(idle.missed, [])
  assert.match(idle.why[0], /no verdicts this era/)
  // the next era with verdicts picks the streak up where it was: a second failing era demotes
  const slow = computeEra(input([], [slark(1, { ...accurate, response: { count: 5, totalMs: 5 * 260 }, history: idle.history })])).slarks[0]
  assert.equal([slow.tierAfter, slow.change], [2, 'demoted'])
})

test.run()
