/**
 * Liveness rewards, slashing and slark rewards with hand-computed wei: additive multipliers,
 * lost hours, the reconnect cooldown, standby and workload slashes, stretches across eras,
 * delegators' shares to the wei, the slarks' 80/20 split.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { computeEra, hourReward, shareByStake, splitSlarkReward, type Attributes, type ProviderResult } from '../src/index.js'
import { DAY, HOUR, SPON, addr, history, input, provider, slark, slarkHistory, spon } from './era-fixtures.js'

const attrs = (compute: number, gpu = 0): Attributes => ({ compute, storage: 0, gpu, connectivity: 0, compliance: 0 })

/** One provider at `tier` (history), tier 1 metrics, through one era. */
function one (tier: number, over: Parameters<typeof provider>[1] = {}, params = {}): ProviderResult {
  return computeEra(input([provider(1, { history: history(tier), ...over })], [], params)).providers[0]
}

test('multipliers add: trust 1.5× + attributes 2.0× = 3.5×, not 3.0×', () => {
  const r = one(3, { attributes: attrs(5000, 15000) })
  assert.is(r.trustBps, 15000)
  assert.is(r.attributeBps, 20000)
  assert.is(r.multiplierBps, 35000)
  assert.is(r.hourReward, spon('3.5'))
  assert.is(r.reward, 84n * SPON)
  assert.is.not(r.reward, 72n * SPON)
  assert.is(hourReward(SPON, 35000), spon('3.5'))
  // each tier's own multiplier with no attributes: 2.0, 1.7, 1.5, 1.2, 1.1, 1.0 × 24 hours
  assert.equal([1, 2, 3, 4, 5, 6].map(t => one(t).reward), ['48', '40.8', '36', '28.8', '26.4', '24'].map(spon))
})

test('tier 7 earns nothing, whatever its attributes', () => {
  const r = one(7, { attributes: attrs(20000, 20000) })
  assert.is(r.multiplierBps, 0)
  assert.is(r.hourReward, 0n)
  assert.is(r.reward, 0n)
  assert.equal(r.why.at(-1), 'tier 7 earns no liveness reward')
})

test('an hour under 100 % uptime earns nothing, and so does the cooldown hour after the reconnect', () => {
  // one second offline in hour 5: hour 5 is lost, and the reconnect at 5:00:11 starts an hour of cooldown into hour 6
  const r = one(4, { offline: [{ from: 5 * HOUR + 10, to: 5 * HOUR + 11 }] })
  assert.equal(r.lostHours, [{ hour: 5, reason: 'offline' }, { hour: 6, reason: 'cooldown' }])
  assert.is(r.hoursRewarded, 22)
  assert.is(r.reward, 22n * spon('1.2'))
  assert.is(r.slash, 0n, 'a short standby outage is not slashed')
  assert.is(r.incidents[0].rule, 'short')
  assert.is(r.uptimePpm, 999_988)
})

test('a failed challenge loses its hour and slashes one hour\'s reward; two in one hour lose it once, slash twice', () => {
  const r = one(3, { failedChallenges: [2 * HOUR + 5, 9 * HOUR, 9 * HOUR + 600] })
  assert.equal(r.lostHours, [{ hour: 2, reason: 'challenge' }, { hour: 9, reason: 'challenge' }])
  assert.is(r.hoursRewarded, 22)
  assert.is(r.reward, 22n * spon('1.5'))
  assert.is(r.slash, 3n * spon('1.5'))
  assert.equal(r.incidents.map(i => i.rule), ['challenge', 'challenge', 'challenge'])
  // an hour already lost to an outage stays 'offline', the challenge is still slashed
  const both = one(3, { offline: [{ from: 4 * HOUR, to: 4 * HOUR + 60 }], failedChallenges: [4 * HOUR + 30] })
  assert.equal(both.lostHours, [{ hour: 4, reason: 'offline' }, { hour: 5, reason: 'cooldown' }])
  assert.is(both.slash, spon('1.5'))
  // at tier 7 there is no reward to lose or slash
  assert.is(one(7, { failedChallenges: [HOUR] }).slash, 0n)
})

test('cooldown: a reconnect on an hour boundary costs exactly the next hour', () => {
  const r = one(6, { offline: [{ from: HOUR, to: 2 * HOUR }] })
  assert.equal(r.lostHours, [{ hour: 1, reason: 'offline' }, { hour: 2, reason: 'cooldown' }])
  assert.is(r.reward, 22n * SPON)
  // back at 2:30: hours 1–2 offline, the cooldown to 3:30 takes hour 3
  const later = one(6, { offline: [{ from: HOUR, to: 2 * HOUR + 1800 }] })
  assert.equal(later.lostHours.map(h => `${h.hour} ${h.reason}`), ['1 offline', '2 offline', '3 cooldown'])
  // a second outage inside the cooldown counts as offline
  const twice = one(6, { offline: [{ from: HOUR, to: HOUR + 60 }, { from: 2 * HOUR + 5, to: 2 * HOUR + 6 }] })
  assert.equal(twice.lostHours.map(h => `${h.hour} ${h.reason}`), ['1 offline', '2 offline', '3 cooldown'])
})

test('standby: offline more than an hour slashes one hour\'s reward; exactly an hour does not', () => {
  const over = one(3, { attributes: attrs(5000), offline: [{ from: 10 * HOUR, to: 11 * HOUR + 1 }] })
  assert.is(over.hourReward, 2n * SPON)
  assert.is(over.slash, 2n * SPON)
  assert.equal(over.incidents, [{ from: 10 * HOUR, to: 11 * HOUR + 1, seconds: HOUR + 1, workloadFee: 0n, slash: 2n * SPON, rule: 'standby' }])
  assert.equal(over.lostHours.map(h => h.hour), [10, 11, 12])
  assert.is(over.reward, 21n * 2n * SPON)
  const exactly = one(3, { attributes: attrs(5000), offline: [{ from: 10 * HOUR, to: 11 * HOUR }] })
  assert.is(exactly.slash, 0n)
  assert.is(exactly.incidents[0].rule, 'short')
  // two stretches of more than an hour: two slashes
  const two = one(3, { offline: [{ from: 0, to: 2 * HOUR }, { from: 5 * HOUR, to: 7 * HOUR }] })
  assert.is(two.slash, 2n * spon('1.5'))
})

test('with a workload: any outage slashes max(one hour\'s reward, one hour of the workload\'s fee)', () => {
  const outage = [{ from: 14 * HOUR, to: 14 * HOUR + 600 }]
  // tier 3 earns 1.5 SPON an hour; the lease pays 5 SPON an hour: the fee is larger
  const fee = one(3, { offline: outage, workloads: [{ from: 8 * HOUR, to: DAY, feePerHour: 5n * SPON }] })
  assert.is(fee.slash, 5n * SPON)
  assert.is(fee.incidents[0].rule, 'workload')
  assert.is(fee.incidents[0].workloadFee, 5n * SPON)
  // a cheap lease: the hour's reward is larger
  const cheap = one(3, { offline: outage, workloads: [{ from: 8 * HOUR, to: DAY, feePerHour: spon('0.5') }] })
  assert.is(cheap.slash, spon('1.5'))
  // two leases interrupted at once: their fees add
  const both = one(3, { offline: outage, workloads: [{ from: 0, to: DAY, feePerHour: 2n * SPON }, { from: 14 * HOUR, to: 15 * HOUR, feePerHour: 3n * SPON }] })
  assert.is(both.slash, 5n * SPON)
  // a lease that ended before the outage does not count: standby rules, short, no slash
  const ended = one(3, { offline: outage, workloads: [{ from: 0, to: 14 * HOUR, feePerHour: 5n * SPON }] })
  assert.is(ended.slash, 0n)
  assert.is(ended.incidents[0].rule, 'short')
  // a long outage during a workload is slashed once, at the larger amount
  const long = one(3, { offline: [{ from: 14 * HOUR, to: 17 * HOUR }], workloads: [{ from: 0, to: DAY, feePerHour: 5n * SPON }] })
  assert.is(long.slash, 5n * SPON)
})

test('the slash is capped at the provider\'s own stake (delegations are not slashed)', () => {
  const r = one(6, {
    stake: 120n * SPON,
    offline: [{ from: 0, to: 600 }],
    workloads: [{ from: 0, to: DAY, feePerHour: 500n * SPON }],
    delegations: [{ delegator: addr(0xf1), amount: 100n * SPON }]
  })
  assert.is(r.incidents[0].slash, 500n * SPON)
  assert.is(r.slash, 120n * SPON)
})

test('a stretch across eras: slashed once it passes an hour, never twice; cooldown carries over', () => {
  // offline for the era's last hour exactly: not more than an hour yet
  const first = one(6, { offline: [{ from: DAY - HOUR, to: DAY }] })
  assert.is(first.slash, 0n)
  assert.equal([first.history.offlineSeconds, first.history.offlineSlashed, first.history.cooldownSeconds], [HOUR, false, 0])
  // still offline for 10 minutes of the next era: 70 minutes in all, slashed now
  const second = one(6, { history: first.history, offline: [{ from: 0, to: 600 }] })
  assert.is(second.slash, SPON)
  assert.equal(second.incidents[0], { from: 0, to: 600, seconds: HOUR + 600, workloadFee: 0n, slash: SPON, rule: 'standby' })
  assert.equal(second.lostHours.map(h => `${h.hour} ${h.reason}`), ['0 offline', '1 cooldown'])
  assert.equal([second.history.offlineSeconds, second.history.offlineSlashed, second.history.cooldownSeconds], [0, false, 0])
  // a stretch already slashed and still going: not slashed again
  const slashed = one(6, { offline: [{ from: DAY - 2 * HOUR, to: DAY }] })
  assert.is(slashed.slash, SPON)
  assert.is(slashed.history.offlineSlashed, true)
  const whole = one(6, { history: slashed.history, offline: [{ from: 0, to: DAY }] })
  assert.is(whole.slash, 0n)
  assert.is(whole.incidents[0].rule, 'already-slashed')
  assert.is(whole.history.offlineSeconds, DAY + 2 * HOUR)
  assert.is(whole.reward, 0n)
  // back exactly at the era boundary: hour 0 is the cooldown
  const back = one(6, { history: slashed.history })
  assert.equal(back.lostHours, [{ hour: 0, reason: 'cooldown' }])
  assert.is(back.slash, 0n)
  // back 10 minutes before the era's end: 50 minutes of cooldown spill into the next era's hour 0
  const late = one(6, { offline: [{ from: DAY - HOUR, to: DAY - 600 }] })
  assert.is(late.history.cooldownSeconds, HOUR - 600)
  const after = one(6, { history: late.history })
  assert.equal(after.lostHours, [{ hour: 0, reason: 'cooldown' }])
  assert.is(after.reward, 23n * SPON)
})

test('"hour" is the bucket: a devnet era of 120 s in 20 s hours', () => {
  const p = { eraSeconds: 120, hourSeconds: 20 }
  const r = one(6, { offline: [{ from: 30, to: 55 }] }, p)
  // hours 1–2 offline, cooldown to 75 takes hour 3; 25 s is more than one 20 s hour: slashed
  assert.equal(r.lostHours.map(h => h.hour), [1, 2, 3])
  assert.is(r.hoursRewarded, 3)
  assert.is(r.reward, 3n * SPON)
  assert.is(r.slash, SPON)
})

test('a gateway\'s reward is shared with its fizz delegators pro rata to stake, to the wei', () => {
  const fizzA = addr(0xf1a)
  const fizzB = addr(0xf1b)
  const r = one(5, {
    stake: 200n * SPON,
    attributes: attrs(1000),
    delegations: [{ delegator: fizzB, amount: 5n * SPON }, { delegator: fizzA, amount: 10n * SPON }]
  })
  // 1.1 + 0.1 = 1.2× for 24 hours = 28.8 SPON over 215 SPON of stake
  assert.is(r.reward, spon('28.8'))
  assert.is(r.totalStake, 215n * SPON)
  // 28.8 × 10/215 = 1.339534883720930232558…, 28.8 × 5/215 = 0.669767441860465116279…, both rounded down
  assert.equal(r.shares, [
    { account: fizzA, stake: 10n * SPON, amount: 1_339534883720930232n },
    { account: fizzB, stake: 5n * SPON, amount: 669767441860465116n }
  ], 'sorted by delegator')
  // the provider's own share takes the dust: 28.8 × 200/215 = 26.790697674418604651… → …652
  assert.is(r.ownShare, 26_790697674418604652n)
  assert.is(r.ownShare + r.shares[0].amount + r.shares[1].amount, r.reward)
})

test('shares never lose a wei, whatever the stakes', () => {
  for (const [reward, stakes] of [[1n, [3n, 3n, 3n]], [10n ** 18n + 7n, [1n, 2n, 3n, 5n, 8n]], [999n, [0n, 0n]], [5n, [10n ** 30n]]] as const) {
    const delegations = stakes.map((amount, i) => ({ delegator: addr(100 + i), amount }))
    const own = 7n
    const total = own + stakes.reduce((a, b) => a + b, 0n)
    const shares = shareByStake(reward, delegations, total)
    const given = shares.reduce((a, s) => a + s.amount, 0n)
    assert.ok(given <= reward)
    for (const [i, s] of shares.entries()) assert.is(s.amount, reward * stakes[i] / total)
  }
  assert.equal(shareByStake(100n, [{ delegator: addr(1), amount: 0n }], 0n), [{ account: addr(1), stake: 0n, amount: 0n }])
})

test('payout rewards: one entry per account, summed, sorted, no zero amounts', () => {
  const shared = addr(0xf00)
  const report = computeEra(input([
    provider(3, { history: history(6), delegations: [{ delegator: shared, amount: 1000n * SPON }] }),
    provider(1, { history: history(6), delegations: [{ delegator: shared, amount: 1000n * SPON }, { delegator: addr(3), amount: 1000n * SPON }] }),
    provider(2, { history: history(7) })
  ]))
  // providers 1 and 3 earn 24 SPON each; each shares half (1000 of 2000) with `shared`; provider 1
  // gives a third to provider 3 too (1000 of 3000 each)
  assert.equal(report.payouts.rewards.map(x => [x.account, x.amount]), [
    [addr(1), 8n * SPON],
    [addr(3), 8n * SPON + 12n * SPON],
    [shared, 8n * SPON + 12n * SPON]
  ])
  assert.equal(report.providers.map(p => p.address), [addr(1), addr(2), addr(3)])
  assert.is(report.totals.providerRewards, 48n * SPON)
})

test('slark reward: challenges × reward per challenge × tier multiplier; 80 % delegated, 20 % liquid', () => {
  const report = computeEra(input([provider(1, { history: history(6) })], [
    slark(1, { challenges: 120, agreed: 118, delegateTo: addr(1), history: slarkHistory(3) }),
    slark(2, { challenges: 80, agreed: 80, delegateTo: addr(1), history: slarkHistory(6) })
  ]))
  const [a, b] = report.slarks
  assert.is(a.reward, spon('16.8')) // 120 × 0.1 × 1.4
  assert.is(a.delegated, spon('13.44'))
  assert.is(a.liquid, spon('3.36'))
  assert.is(b.reward, 16n * SPON) // 80 × 0.1 × 2.0
  assert.equal(report.payouts.delegations, [
    { slark: a.address, provider: addr(1), amount: spon('13.44') },
    { slark: b.address, provider: addr(1), amount: spon('12.8') }
  ])
  assert.equal(report.payouts.rewards.filter(x => x.account === a.address || x.account === b.address).map(x => x.amount), [spon('3.36'), spon('3.2')])
  assert.equal(report.totals, { providerRewards: 24n * SPON, slarkRewards: spon('32.8'), delegated: spon('26.24'), slashes: 0n })
  // 3 wei split 80/20: 2 delegated (2.4 rounded down), the liquid part takes the dust
  assert.equal(splitSlarkReward(3n, 8000), { delegated: 2n, liquid: 1n })
  const tiny = computeEra(input([], [slark(1, { challenges: 3, agreed: 3 })], { slarkRewardPerChallenge: 1n })).slarks[0]
  assert.equal([tiny.reward, tiny.delegated, tiny.liquid], [3n, 2n, 1n])
})

test.run()
