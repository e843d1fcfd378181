import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { DEFAULT_ERA_PARAMS, computeEra, type Address } from '@dcn/protocol'
import { buildEraInput, eraWindow, type EraFacts } from '../src/era-input.js'
import { EraObserver } from '../src/observer.js'

const a = (n: number): Address => `0x${n.toString(16).padStart(40, '0')}`
const clock = { genesis: 1_000_000, slotSeconds: 10 }
const P1 = a(1)
const P2 = a(2)
const [S1, S2, S3] = [a(11), a(12), a(13)]
const NONE = { compute: 0, storage: 0, gpu: 0, connectivity: 0, compliance: 0 }

function facts (over: Partial<EraFacts> = {}): EraFacts {
  const { baseRewardPerHour, slarkRewardPerChallenge, slarkDelegateBps, stakeThresholds, slarkTierSlots } = DEFAULT_ERA_PARAMS
  return {
    era: 2,
    clock,
    eraSlots: 6,
    params: { baseRewardPerHour, slarkRewardPerChallenge, slarkDelegateBps, stakeThresholds, slarkTierSlots },
    providers: [
      { address: P1, registeredAt: clock.genesis, ratings: { count: 2, sum: 9 }, tier: 3, stake: 600n * 10n ** 18n, delegations: [], leases: [], attributes: { ...NONE, storage: 1_000, compliance: 250 } },
      { address: P2, registeredAt: clock.genesis, ratings: { count: 0, sum: 0 }, tier: 7, attributes: NONE, stake: 100n * 10n ** 18n, delegations: [{ delegator: a(99), amount: 10n ** 18n }], leases: [
        { start: clock.genesis + 125, end: clock.genesis + 1000, closedAt: 0, pricePerSecond: 2n },
        { start: clock.genesis, end: clock.genesis + 100, closedAt: 0, pricePerSecond: 5n }
      ] }
    ],
    slarks: [{ address: S1, delegateTo: P1, optIn: false }, { address: S2, delegateTo: P1, optIn: true }, { address: S3, delegateTo: P2, optIn: false }],
    results: [
      { slot: 13, provider: P1, passed: true, committee: [S1, S2, S3], signers: [S1, S2] },
      { slot: 14, provider: P2, passed: false, committee: [S2, S3, S1], signers: [S2, S1] },
      { slot: 15, provider: P2, passed: true, committee: [S3, S1, S2], signers: [S1, S3] }
    ],
    offline: (p) => p === P2 ? [{ from: 30, to: 45 }] : [],
    response: () => ({ count: 2, totalMs: 80 }),
    slarkResponse: (s, by) => s === S1 && by(13, S2) && !by(13, S3) ? { count: 3, totalMs: 360 } : { count: 1, totalMs: 50 },
    history: { providers: new Map(), slarks: new Map() },
    ...over
  }
}

test('era window: slots [e·S, (e+1)·S), "hours" are slots', () => {
  assert.equal(eraWindow(clock, 2, 6), { from: clock.genesis + 120, to: clock.genesis + 180 })
  const input = buildEraInput(facts())
  assert.is(input.params.eraSeconds, 60)
  assert.is(input.params.hourSeconds, 10)
})

test('tasks, failed challenges and workloads per provider, clipped to the era', () => {
  const [p1, p2] = buildEraInput(facts()).providers
  assert.equal(p1.tasks, { assigned: 1, completed: 1 })
  assert.equal(p1.ratings, { count: 2, sum: 9 })
  assert.equal(p1.failedChallenges, [])
  assert.equal(p2.tasks, { assigned: 2, completed: 1 })
  assert.equal(p2.failedChallenges, [20], 'slot 14 starts 20 s into the era')
  assert.equal(p2.workloads, [{ from: 5, to: 60, feePerHour: 7200n }], 'the lease before the era is dropped, the other clipped')
  assert.equal(p2.offline, [{ from: 30, to: 45 }])
  assert.equal(p2.history, { tier: 7, promoteStreak: 0, demoteStreak: 0, offlineSeconds: 0, offlineSlashed: false, cooldownSeconds: 0 })
  assert.is(p1.history!.tier, 3, 'without era history a provider starts at its registry tier')
  assert.equal(p1.attributes, { ...NONE, storage: 1_000, compliance: 250 }, 'declared attributes pass through')
})

test('no offline time before registration and the boot grace after it', () => {
  const late = facts({ offline: () => [{ from: 0, to: 50 }] })
  late.providers[0].registeredAt = clock.genesis + 120 - 40 // registered 40 s before the era: judged from second 20
  const [p1, p2] = buildEraInput(late).providers
  assert.equal(p1.offline, [{ from: 20, to: 50 }])
  assert.equal(p2.offline, [{ from: 0, to: 50 }])
})

test('slarks: seats on committees with a result, and how many of those results they signed', () => {
  const s = buildEraInput(facts()).slarks
  assert.equal(s.map(x => [x.challenges, x.agreed]), [[3, 3], [3, 2], [3, 1]])
  assert.is(s[2].delegateTo, P2)
  // the owner's opt-in to move up comes from its registry attributes, not assumed
  assert.equal(s.map(x => x.optIn), [false, true, false])
})

test('slarks\' response times come from the majorities\' votes, as the other members measured them', () => {
  const s = buildEraInput(facts()).slarks
  assert.equal(s[0].response, { count: 3, totalMs: 360 }, 'S1: only the votes of slot 13\'s signers (S1, S2) count')
  assert.equal(s[1].response, { count: 1, totalMs: 50 })
  // S1 averages 120 ms: its tier 1 requirement is < 350 ms, tier 4's < 200 ms, tier 5's < 150 ms, tier 6's < 100 ms
  const report = computeEra(buildEraInput(facts()), { explain: false })
  assert.is(report.slarks[0].meanResponseMs, 120)
})

test('the input computes, and the same facts give the same report', () => {
  const r1 = computeEra(buildEraInput(facts()), { explain: false })
  const r2 = computeEra(buildEraInput(facts()), { explain: false })
  assert.equal(r1.payouts, r2.payouts)
  // P2 (tier 7: no liveness reward) was offline during its lease: slashed one hour of the lease's fee
  assert.is(r1.providers[1].slash, 7200n)
  assert.is(r1.providers[1].reward, 0n)
  assert.ok(r1.providers[0].reward > 0n)
})

test('measured vote lags to tiers: a slow slark misses its tier\'s response requirement, from its registry tier', () => {
  // Slot 13 (era 2) has a result that S1 and S2 signed; each member's vote carries its lags of the others on an earlier challenge.
  const o = new EraObserver()
  const lags = (from: Address): Array<{ slot: number, provider: Address, slark: Address, ms: number }> =>
    [S1, S2, S3].filter(x => x !== from).map(x => ({ slot: 12, provider: P1, slark: x, ms: x === S1 ? 150 : 60 }))
  o.vote(P1, 13, S1, 30, lags(S1))
  o.vote(P1, 13, S2, 30, lags(S2))
  o.vote(P1, 13, S3, 30, [{ slot: 12, provider: P1, slark: S1, ms: 10 }]) // S3 did not sign slot 13's result: this does not count
  const slots = new Set([12, 13, 14, 15, 16, 17])
  const f = facts({
    slarks: [{ address: S1, delegateTo: P1, optIn: false, tier: 6 }, { address: S2, delegateTo: P1, optIn: false, tier: 6 }, { address: S3, delegateTo: P2, optIn: false }],
    slarkResponse: (s, by) => o.slarkResponse(s, slots, by)
  })
  const input = buildEraInput(f)
  assert.equal(input.slarks.map(s => s.response), [{ count: 1, totalMs: 150 }, { count: 1, totalMs: 60 }, { count: 1, totalMs: 60 }])
  assert.equal(input.slarks.map(s => s.history?.tier ?? null), [6, 6, null], 'without era history: the registry tier, when known')
  const report = computeEra(input, { explain: false })
  // S1 agreed with all three results, but 150 ms is not under tier 6's 100 ms (nor tier 5's 150)
  assert.equal(report.slarks[0].missed, ['response'])
  assert.is(report.slarks[0].bestTierMet, 4)
  // S2 is quick enough but agreed with two of three
  assert.equal(report.slarks[1].missed, ['accuracy'])
})

test.run()
