/**
 * Tier qualification at every boundary of the paper's tables (strict > and <), and the
 * transitions over several eras: promotion after exactly 3, demotion after exactly 5, at once on
 * a stake shortfall; slark tiers with opt-in and demotion after 2.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import {
  DEFAULT_STAKE_THRESHOLDS, MISS, PROVIDER_TIERS, SLARK_TIERS, bestProviderTier, bestSlarkTier, computeEra, providerMisses,
  slarkMayChallenge, slarkMisses, stakeTier, type ProviderEvidence
} from '../src/index.js'
import { SPON, history, input, meeting, provider, runEras, slark, slarkHistory } from './era-fixtures.js'

const X = DEFAULT_STAKE_THRESHOLDS

test('the tables are the paper\'s', () => {
  assert.equal(PROVIDER_TIERS.map(r => r.multiplierBps), [20000, 17000, 15000, 12000, 11000, 10000, 0])
  assert.equal(PROVIDER_TIERS.map(r => r.uptimePpm / 10_000), [99, 98, 97, 95, 90, 85, 75])
  assert.equal(PROVIDER_TIERS.map(r => r.completionPpm / 10_000), [98, 96, 94, 90, 85, 80, 75])
  assert.equal(PROVIDER_TIERS.map(r => r.responseMs), [100, 150, 200, 250, 300, 400, 500])
  assert.equal(PROVIDER_TIERS.map(r => r.ratingCenti / 100), [4.5, 4.2, 4.0, 3.8, 3.5, 3.2, 3.0])
  assert.equal(X.map(x => x / SPON), [500n, 400n, 300n, 200n, 150n, 100n, 50n])
  assert.equal(SLARK_TIERS.map(r => r.accuracyPpm / 10_000), [90, 92, 95, 97, 98, 99])
  assert.equal(SLARK_TIERS.map(r => r.responseMs), [350, 300, 250, 200, 150, 100])
  assert.equal(SLARK_TIERS.map(r => r.multiplierBps), [10000, 12000, 14000, 16000, 18000, 20000])
  // tier 1 slark: providers 6–7 … tier 6: 1–7
  assert.ok(slarkMayChallenge(1, 6) && slarkMayChallenge(1, 7) && !slarkMayChallenge(1, 5))
  assert.ok(slarkMayChallenge(3, 4) && !slarkMayChallenge(3, 3))
  assert.ok(slarkMayChallenge(6, 1) && slarkMayChallenge(6, 7))
  assert.not.ok(slarkMayChallenge(7, 7))
})

/** Evidence just above every threshold of `tier`, in a 10^6-second era so one second is one ppm. */
function justAbove (tier: number): ProviderEvidence {
  const row = PROVIDER_TIERS[tier - 1]
  return {
    onlineSeconds: row.uptimePpm + 1,
    eraSeconds: 1_000_000,
    tasksAssigned: 1_000_000,
    tasksCompleted: row.completionPpm + 1,
    responseCount: 1,
    responseTotalMs: row.responseMs - 1,
    ratingCount: 100,
    ratingSum: row.ratingCenti + 1,
    stake: X[tier - 1] + 1n
  }
}

for (let tier = 1; tier <= 7; tier++) {
  test(`provider tier ${tier}: just above every threshold meets it, exactly at one misses that one`, () => {
    const row = PROVIDER_TIERS[tier - 1]
    const ev = justAbove(tier)
    assert.is(providerMisses(tier, ev, X), 0)
    assert.is(bestProviderTier(ev, X), tier, 'and not the tier above')
    const at: Array<[keyof typeof MISS, Partial<ProviderEvidence>]> = [
      ['uptime', { onlineSeconds: row.uptimePpm }],
      ['completion', { tasksCompleted: row.completionPpm }],
      ['response', { responseTotalMs: row.responseMs }],
      ['rating', { ratingSum: row.ratingCenti }],
      ['stake', { stake: X[tier - 1] }]
    ]
    for (const [name, change] of at) {
      const e = { ...ev, ...change }
      assert.is(providerMisses(tier, e, X), MISS[name], `${name} exactly at the threshold`)
      assert.is(bestProviderTier(e, X), tier === 7 ? null : tier + 1, `${name} at the threshold of tier ${tier}`)
    }
  })
}

test('missing evidence: no ratings, no tasks or no response samples skip their requirement; uptime and stake always count', () => {
  const ev = justAbove(1)
  assert.is(providerMisses(1, { ...ev, ratingCount: 0, ratingSum: 0 }, X), 0)
  assert.is(providerMisses(1, { ...ev, tasksAssigned: 0, tasksCompleted: 0 }, X), 0)
  assert.is(providerMisses(1, { ...ev, responseCount: 0, responseTotalMs: 0 }, X), 0)
  assert.is(providerMisses(1, { ...ev, tasksAssigned: 1, tasksCompleted: 0 }, X), MISS.completion)
  assert.is(providerMisses(1, { ...ev, onlineSeconds: 0, stake: 0n }, X), MISS.uptime | MISS.stake)
})

test('stakeTier: the best tier whose X the stake is above', () => {
  assert.is(stakeTier(500n * SPON + 1n, X), 1)
  assert.is(stakeTier(500n * SPON, X), 2)
  assert.is(stakeTier(150n * SPON + 1n, X), 5)
  assert.is(stakeTier(50n * SPON + 1n, X), 7)
  assert.is(stakeTier(50n * SPON, X), null)
})

test('slark tiers: accuracy and response strictly past each row', () => {
  for (const row of SLARK_TIERS) {
    const ev = { challenges: 1_000_000, agreed: row.accuracyPpm + 1, responseCount: 1, responseTotalMs: row.responseMs - 1 }
    assert.is(slarkMisses(row.tier, ev), 0, `tier ${row.tier}`)
    assert.is(bestSlarkTier(ev), row.tier)
    assert.is(slarkMisses(row.tier, { ...ev, agreed: row.accuracyPpm }), MISS.accuracy)
    assert.is(slarkMisses(row.tier, { ...ev, responseTotalMs: row.responseMs }), MISS.response)
  }
  assert.is(bestSlarkTier({ challenges: 10, agreed: 9, responseCount: 1, responseTotalMs: 1 }), null, '90 % is not above 90 %')
  assert.is(bestSlarkTier({ challenges: 0, agreed: 0, responseCount: 0, responseTotalMs: 0 }), null, 'no verdicts')
})

test('promotion: one tier up after exactly 3 eras meeting the tier above, not 2', () => {
  const reports = runEras(4, [provider(1, { ...meeting(1), history: history(4) })])
  assert.equal(reports.map(r => r.providers[0].tierAfter), [4, 4, 3, 3], 'one tier at a time, though it meets tier 1')
  assert.equal(reports.map(r => r.providers[0].history.promoteStreak), [1, 2, 0, 1])
  assert.is(reports[2].providers[0].change, 'promoted')
  assert.equal(reports[2].payouts.tiers, [{ account: provider(1).address, tier: 3 }])
  assert.equal(reports[1].payouts.tiers, [])
})

test('promotion streak breaks on an era that does not meet the tier above', () => {
  const p = provider(1, { ...meeting(3), history: history(4, { promoteStreak: 2 }) })
  const held = computeEra(input([{ ...p, ...meeting(4) }])).providers[0]
  assert.is(held.tierAfter, 4)
  assert.is(held.history.promoteStreak, 0)
  assert.is(computeEra(input([p])).providers[0].tierAfter, 3)
})

test('promotion needs the higher tier\'s stake too', () => {
  // meets tier 3 on every metric, but 250 SPON is only above X4
  const reports = runEras(3, [provider(1, { ...meeting(3), stake: 250n * SPON, history: history(4) })])
  assert.equal(reports.map(r => r.providers[0].tierAfter), [4, 4, 4])
  assert.equal(reports.map(r => r.providers[0].bestTierMet), [4, 4, 4])
})

test('demotion: after exactly 5 eras failing the tier, to the best tier met, not after 4', () => {
  // tier 5 metrics with tier 1 stake: failing tier 2 on performance, not on stake
  const reports = runEras(6, [provider(1, { ...meeting(5), stake: 1000n * SPON, history: history(2) })])
  assert.equal(reports.map(r => r.providers[0].tierAfter), [2, 2, 2, 2, 5, 5])
  assert.equal(reports.map(r => r.providers[0].history.demoteStreak), [1, 2, 3, 4, 0, 0])
  assert.is(reports[4].providers[0].change, 'demoted')
  assert.equal(reports[0].providers[0].missed, ['uptime', 'completion', 'response'])
  // rewards stay at tier 2 (1.7×) while it holds tier 2
  assert.is(reports[3].providers[0].multiplierBps, 17000)
  assert.is(reports[5].providers[0].multiplierBps, 11000)
})

test('demotion streak resets on a good era', () => {
  const bad = provider(1, { ...meeting(5), stake: 1000n * SPON, history: history(2, { demoteStreak: 4 }) })
  const good = computeEra(input([{ ...bad, ...meeting(2), stake: 1000n * SPON }])).providers[0]
  assert.is(good.tierAfter, 2)
  assert.is(good.history.demoteStreak, 0)
  assert.is(computeEra(input([bad])).providers[0].tierAfter, 5)
})

test('a stake shortfall demotes at once to the tier the stake allows, and pays at that tier', () => {
  const r = computeEra(input([provider(1, { ...meeting(1), stake: 250n * SPON, history: history(2, { promoteStreak: 1 }) })])).providers[0]
  assert.is(r.tierAfter, 4)
  assert.is(r.change, 'stake')
  assert.is(r.stakeTier, 4)
  assert.is(r.rewardTier, 4)
  // 1.2× for the 22 hours its 432 s outage and the cooldown after it left
  assert.is(r.hoursRewarded, 22)
  assert.is(r.reward, 22n * 12n * SPON / 10n)
  assert.equal(r.history, history(4))
  const broke = computeEra(input([provider(1, { ...meeting(1), stake: 50n * SPON, history: history(1) })])).providers[0]
  assert.is(broke.tierAfter, 7)
  assert.is(broke.reward, 0n)
  // stake exactly at X2 is not above it
  assert.is(computeEra(input([provider(1, { ...meeting(1), stake: 400n * SPON, history: history(2) })])).providers[0].tierAfter, 3)
})

test('a new provider starts at tier 7, earns nothing there, and is promoted after 3 eras', () => {
  const reports = runEras(4, [provider(1, { ...meeting(1), attributes: { compute: 10000, storage: 0, gpu: 10000, connectivity: 0, compliance: 0 } })])
  const tiers = reports.map(r => r.providers[0].tierAfter)
  assert.equal(tiers, [7, 7, 6, 6])
  assert.equal(reports.slice(0, 3).map(r => r.providers[0].reward), [0n, 0n, 0n])
  assert.is(reports[0].providers[0].tierBefore, 7)
  // at tier 6: 1.0 + 2.0 = 3.0× of 1 SPON for 22 hours (the 432 s outage and its cooldown cost 2)
  assert.is(reports[3].providers[0].multiplierBps, 30000)
  assert.is(reports[3].providers[0].reward, 66n * SPON)
})

test('slark: promoted after 3 eras meeting the tier above only with opt-in; waits at 3 without', () => {
  const good = { challenges: 100, agreed: 99, response: { count: 100, totalMs: 12_000 } } // 99 %, 120 ms: meets tier 5
  const waiting = runEras(4, [], [slark(1, { ...good, history: slarkHistory(3) })])
  assert.equal(waiting.map(r => r.slarks[0].tierAfter), [3, 3, 3, 3])
  assert.equal(waiting.map(r => r.slarks[0].history.promoteStreak), [1, 2, 3, 3])
  const optIn = runEras(4, [], [slark(1, { ...good, optIn: true, history: slarkHistory(3) })])
  assert.equal(optIn.map(r => r.slarks[0].tierAfter), [3, 3, 4, 4])
  assert.equal(optIn[2].payouts.slarkTiers, [{ account: slark(1).address, tier: 4 }])
  // opting in later, with the streak waiting at 3: promoted at once
  const late = computeEra(input([], [slark(1, { ...good, optIn: true, history: slarkHistory(3, { promoteStreak: 3 }) })])).slarks[0]
  assert.is(late.tierAfter, 4)
})

test('slark: demoted after 2 eras failing its tier, not 1, to the best tier met', () => {
  const poor = { challenges: 100, agreed: 93, response: { count: 100, totalMs: 20_000 } } // 93 %, 200 ms: meets tier 2 only
  const reports = runEras(3, [], [slark(1, { ...poor, history: slarkHistory(4) })])
  assert.equal(reports.map(r => r.slarks[0].tierAfter), [4, 2, 2])
  assert.is(reports[1].slarks[0].change, 'demoted')
  assert.equal(reports[0].slarks[0].missed, ['response', 'accuracy'])
  assert.is(reports[1].slarks[0].challengesFromTier, 5, 'a tier-2 slark challenges providers 5–7')
  const none = runEras(2, [], [slark(1, { challenges: 10, agreed: 5, history: slarkHistory(2) })])
  assert.is(none[1].slarks[0].tierAfter, 1)
})

test.run()
