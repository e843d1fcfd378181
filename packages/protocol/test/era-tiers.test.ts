/**
 * Tier qualification at every boundary of the paper's tables (strict > and <), and the
 * transitions over several eras: promotion after exactly 3, demotion after exactly 5, at once on
 * a stake shortfall; slark tiers with opt-in, seats per tier (and their tie-break) and demotion after 2.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import {
  DEFAULT_STAKE_THRESHOLDS, MISS, PROVIDER_TIERS, SLARK_TIERS, bestProviderTier, bestSlarkTier, computeEra, parseEraInput, providerMisses,
  slarkMayChallenge, slarkMisses, stakeTier, type ProviderEvidence, type SlarkMetrics
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

/** Slark tiers 1…6 seats with only tier `t` limited to `n`. */
const seats = (t: number, n: number): Array<number | null> => [1, 2, 3, 4, 5, 6].map(x => x === t ? n : null)
const meetsFive = { challenges: 100, agreed: 99, response: { count: 100, totalMs: 12_000 } } // 99 %, 120 ms: meets tier 5
const due = slarkHistory(3, { promoteStreak: 2 }) // this era completes 3 in a row meeting tier 4
const jsonSlark = { address: '0x5a00000000000000000000000000000000000001', delegateTo: '0x1a00000000000000000000000000000000000001', challenges: 0, agreed: 0, response: { count: 0, totalMs: 0 } }

test('slark seats: met the tier above for the streak but not opted in: stays, even with a seat free', () => {
  const r = computeEra(input([], [slark(1, { ...meetsFive, history: due })], { slarkTierSlots: seats(4, 5) })).slarks[0]
  assert.equal([r.tierAfter, r.change, r.history.promoteStreak, r.waitingForSeat], [3, 'held', 3, false])
  assert.match(r.why[0], /waits for its owner to opt in/)
})

test('slark seats: opted in and a seat free: promoted; tier full: waits, its streak counting, with no tier change paid', () => {
  const tier4 = (n: number): SlarkMetrics => slark(10 + n, { ...meetsFive, history: slarkHistory(4) }) // seated in tier 4, meeting it
  const mover = slark(1, { ...meetsFive, optIn: true, history: due })
  const free = computeEra(input([], [mover, tier4(1)], { slarkTierSlots: seats(4, 2) }))
  assert.equal([free.slarks[0].tierAfter, free.slarks[0].change], [4, 'promoted'])
  assert.equal(free.payouts.slarkTiers, [{ account: mover.address, tier: 4 }])
  const full = computeEra(input([], [mover, tier4(1), tier4(2)], { slarkTierSlots: seats(4, 2) }))
  const r = full.slarks[0]
  assert.equal([r.tierAfter, r.change, r.history.promoteStreak, r.waitingForSeat], [3, 'held', 3, true])
  assert.equal(full.payouts.slarkTiers, [])
  assert.match(r.why[0], /opted in; waits for a free seat in tier 4/)
  // a closed tier (0 seats) promotes no one
  assert.is(computeEra(input([], [mover], { slarkTierSlots: seats(4, 0) })).slarks[0].tierAfter, 3)
  // no limit (the default): promoted
  assert.is(computeEra(input([], [mover])).slarks[0].tierAfter, 4)
})

test('slark seats: a waiting slark goes up once a seat frees (a tier-4 slark demoted), its streak carried meanwhile', () => {
  const poor = { challenges: 100, agreed: 93, response: { count: 100, totalMs: 20_000 } } // meets tier 2 only: fails tier 4
  const reports = runEras(4, [], [slark(1, { ...meetsFive, optIn: true, history: due }), slark(11, { ...poor, history: slarkHistory(4) })], { slarkTierSlots: seats(4, 1) })
  const mover = reports.map(r => r.slarks[0])
  const holder = reports.map(r => r.slarks[1])
  // era 1: seat taken (the holder fails tier 4 once); era 2: the holder is demoted to 2, which frees the seat in the same era
  assert.equal(holder.map(h => h.tierAfter), [4, 2, 2, 2])
  assert.equal(mover.map(m => [m.tierAfter, m.history.promoteStreak, m.waitingForSeat]), [[3, 3, true], [4, 0, false], [4, 1, false], [4, 2, false]])
})

test('slark seats: tie-break for the last seat — longest streak (waited longest), then accuracy, then verdicts, then address', () => {
  const cand = (n: number, over: Partial<SlarkMetrics> = {}): SlarkMetrics => slark(n, { ...meetsFive, optIn: true, history: due, ...over })
  const winner = (slarks: SlarkMetrics[]): string[] =>
    computeEra(input([], slarks, { slarkTierSlots: seats(4, 1) })).slarks.filter(s => s.tierAfter === 4).map(s => s.address)
  // waited two eras already (streak 4 carried) beats a fresher candidate with better accuracy
  assert.equal(winner([cand(1, { agreed: 100 }), cand(2, { history: slarkHistory(3, { promoteStreak: 4 }) })]), [slark(2).address])
  // same streak: better accuracy this era (99.5 % of 200 > 99 % of 100)
  assert.equal(winner([cand(1), cand(2, { challenges: 200, agreed: 199, response: { count: 200, totalMs: 24_000 } })]), [slark(2).address])
  // same accuracy: more verdicts (198 of 200 vs 99 of 100)
  assert.equal(winner([cand(1), cand(2, { challenges: 200, agreed: 198, response: { count: 200, totalMs: 24_000 } })]), [slark(2).address])
  // all equal: the lower address; the order of the input does not matter
  assert.equal(winner([cand(2), cand(1)]), [slark(1).address])
  assert.equal(winner([cand(1), cand(2)]), [slark(1).address])
  // the loser waits with its streak counting on (4): first in line next time
  const lost = computeEra(input([], [cand(1), cand(2)], { slarkTierSlots: seats(4, 1) })).slarks[1]
  assert.equal([lost.tierAfter, lost.history.promoteStreak, lost.waitingForSeat], [3, 3, true])
  const next = computeEra(input([], [cand(2, { history: lost.history }), cand(3)], { slarkTierSlots: seats(4, 1) })).slarks
  assert.equal(next.map(s => s.tierAfter), [4, 3])
})

test('slark seats: seated from the best tier down, so a slark leaving tier 5 frees its seat for one from tier 4 in the same era', () => {
  const meetsSix = { challenges: 1000, agreed: 1000, response: { count: 100, totalMs: 5_000 } } // 100 %, 50 ms
  const up5 = slark(1, { ...meetsSix, optIn: true, history: slarkHistory(5, { promoteStreak: 2 }) })
  const up4 = slark(2, { ...meetsSix, optIn: true, history: slarkHistory(4, { promoteStreak: 2 }) })
  const r = computeEra(input([], [up5, up4], { slarkTierSlots: [null, null, null, null, 1, 1] }))
  assert.equal(r.slarks.map(s => [s.tierBefore, s.tierAfter]), [[5, 6], [4, 5]])
  // tier 6 full: neither moves (tier 5's seat stays taken)
  const six = slark(3, { ...meetsSix, history: slarkHistory(6) })
  const blocked = computeEra(input([], [up5, up4, six], { slarkTierSlots: [null, null, null, null, 1, 1] }))
  assert.equal(blocked.slarks.map(s => [s.tierAfter, s.waitingForSeat]), [[5, true], [4, true], [6, false]])
})

test('slark seats: the params are checked and the streak may carry past 3 while waiting', () => {
  assert.throws(() => computeEra(input([], [], { slarkTierSlots: [null, 1] })), /params\.slarkTierSlots: expected 6 seat counts/)
  assert.throws(() => computeEra(input([], [], { slarkTierSlots: [null, null, -1, null, null, null] })), /params\.slarkTierSlots\[2\]/)
  assert.throws(() => computeEra(input([], [slark(1, { history: slarkHistory(3, { promoteStreak: 256 }) })])), /promoteStreak: must be between 0 and 255/)
  const parsed = parseEraInput({ era: 1, params: { slarkTierSlots: [null, 10, 5, 3, 2, 1] }, providers: [], slarks: [{ ...jsonSlark, history: { tier: 3, promoteStreak: 7 } }] })
  assert.equal(parsed.params.slarkTierSlots, [null, 10, 5, 3, 2, 1])
  assert.is(parsed.slarks[0].history!.promoteStreak, 7)
  assert.equal(parseEraInput({ era: 1, providers: [] }).params.slarkTierSlots, [null, null, null, null, null, null])
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
