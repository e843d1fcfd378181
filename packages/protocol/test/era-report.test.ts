/**
 * The report is deterministic (input order does not matter, same input → same bytes and hash) and
 * its encoding is exactly viem's `encodeAbiParameters` of the documented struct.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { encodeAbiParameters, keccak256 } from 'viem'
import {
  ERA_HISTORY_ABI, ERA_REPORT_ABI, computeEra, encodeEraReport, eraHistoryHash, eraReportHash, parseEraInput, toJson,
  type EraInput, type EraReport
} from '../src/index.js'
import { prng, shuffle } from './fixtures.js'
import { DAY, HOUR, SPON, addr, history, input, provider, slark, slarkHistory } from './era-fixtures.js'

const EXAMPLE = fileURLToPath(new URL('../../../../examples/era-metrics.json', import.meta.url))
const example = (): EraInput => parseEraInput(JSON.parse(readFileSync(EXAMPLE, 'utf8')))

/** The encoding computed by viem, independently of report.ts. */
function viemEncoding (r: EraReport): `0x${string}` {
  const historyHash = keccak256(encodeAbiParameters(ERA_HISTORY_ABI, [
    r.providers.map(p => ({ account: p.address, ...p.history, offlineSeconds: BigInt(p.history.offlineSeconds) })),
    r.slarks.map(s => ({ account: s.address, ...s.history }))
  ]))
  return encodeAbiParameters(ERA_REPORT_ABI, [{ era: BigInt(r.era), ...r.payouts, historyHash }])
}

/** A few hundred providers and slarks with outages, workloads, delegations and histories. */
function randomInput (seed: number): EraInput {
  const rand = prng(seed)
  const int = (n: number): number => Math.floor(rand() * n)
  const providers = Array.from({ length: 300 }, (_, i) => {
    const from = int(DAY - 2 * HOUR)
    return provider(i + 1, {
      stake: BigInt(int(700)) * SPON + BigInt(int(1e9)),
      // up to three delegators each, shared between providers
      delegations: i % 5 === 0 ? [0, 1, 2].slice(int(3)).map(k => ({ delegator: addr(0xf000 + (i + k * 7) % 40), amount: BigInt(1 + int(50)) * SPON })) : [],
      tasks: { assigned: 50, completed: 40 + int(11) },
      response: { count: 50, totalMs: 50 * (50 + int(400)) },
      offline: rand() < 0.4 ? [{ from, to: from + 1 + int(2 * HOUR) }] : [],
      workloads: rand() < 0.2 ? [{ from: 0, to: DAY, feePerHour: BigInt(int(3e9)) * 10n ** 9n }] : [],
      history: rand() < 0.9 ? history(1 + int(7), { offlineSeconds: rand() < 0.1 ? 1 + int(HOUR) : 0 }) : null
    })
  })
  const slarks = Array.from({ length: 20 }, (_, i) => slark(i, {
    delegateTo: addr(1 + int(300)),
    challenges: 100,
    agreed: 85 + int(16),
    optIn: rand() < 0.5,
    history: slarkHistory(1 + int(6))
  }))
  return input(providers, slarks, {}, 7)
}

test('the example\'s report hash (changes only when the rules, the encoding or the example change)', () => {
  const r = computeEra(example())
  assert.is(eraReportHash(r), '0xc600df7f2be413ecd86eef37542dacac28402c11b738e01ddd57d84d58e082f6')
  assert.equal(r.payouts.tiers, [{ account: '0x1a00000000000000000000000000000000000001', tier: 2 }])
  assert.equal(r.payouts.slashes.map(s => s.amount), [12n * SPON / 10n, 25n * SPON / 10n])
})

test('the encoding is viem\'s encodeAbiParameters of the struct, and the hash its keccak256', () => {
  for (const r of [computeEra(example()), computeEra(randomInput(1)), computeEra(input([]))]) {
    const expected = viemEncoding(r)
    assert.is(encodeEraReport(r), expected)
    assert.is(eraReportHash(r), keccak256(expected))
  }
  const r = computeEra(randomInput(2))
  assert.ok(r.payouts.rewards.length > 200 && r.payouts.slashes.length > 10 && r.payouts.tiers.length > 10 && r.payouts.delegations.length === 20,
    `a random report exercises every array: ${Object.values(r.payouts).map(a => a.length).join(', ')}`)
})

test('the same input in any order gives byte-identical output and the same hash', () => {
  const base = randomInput(3)
  const first = computeEra(base)
  const json = toJson(first)
  const hash = eraReportHash(first)
  const rand = prng(4)
  for (let i = 0; i < 5; i++) {
    const shuffled: EraInput = {
      ...base,
      providers: shuffle(base.providers.map(p => ({ ...p, delegations: shuffle([...p.delegations], rand) })), rand),
      slarks: shuffle([...base.slarks], rand)
    }
    const again = computeEra(shuffled)
    assert.is(toJson(again), json)
    assert.is(eraReportHash(again), hash)
  }
})

test('the hash moves with any payout, tier or carried history', () => {
  const base = example()
  const hash = eraReportHash(computeEra(base))
  const changed = (edit: (i: EraInput) => void): string => {
    const i = parseEraInput(JSON.parse(readFileSync(EXAMPLE, 'utf8')))
    edit(i)
    return eraReportHash(computeEra(i))
  }
  assert.is.not(changed(i => { i.params.baseRewardPerHour += 1n }), hash, 'a wei of reward')
  assert.is.not(changed(i => { i.era += 1 }), hash, 'the era number')
  assert.is.not(changed(i => { i.providers[1].offline = [{ from: 36_000, to: 36_001 }] }), hash, 'a slash')
  // provider 0x1b…: one more era of failing its tier changes only its carried demotion streak
  assert.is.not(changed(i => { (i.providers[1].history as any).demoteStreak = 2 }), hash, 'a streak')
})

test('why lines: written when read, kept, in the JSON; none with explain: false', () => {
  const r = computeEra(example())
  const gateway = r.providers[2]
  assert.is(gateway.why, gateway.why, 'written once')
  assert.equal(gateway.why.slice(0, 2), [
    'tier 5 held; met all its requirements; best met: tier 5',
    'uptime 100 %, completion 90 %, mean response 270 ms, rating none yet, stake 215 SPON'
  ])
  assert.equal(JSON.parse(toJson(r)).slarks[1].why[0], 'tier 2 → 1: failed tier 2 (accuracy) 2 eras in a row; best met this era: no tier')
  assert.equal({ ...r.providers[0] }.why, r.providers[0].why)
  const frozen = Object.freeze(computeEra(example()).providers[1])
  assert.equal(frozen.why, computeEra(example()).providers[1].why)
  const bare = computeEra(example(), { explain: false })
  assert.equal(bare.providers[0].why, [])
  assert.equal(bare.slarks[0].why, [])
  assert.is(eraReportHash(bare), eraReportHash(r), 'explanations are not hashed')
})

test('a report for no one', () => {
  const r = computeEra(input([]))
  assert.equal(r.payouts, { rewards: [], slashes: [], tiers: [], slarkTiers: [], delegations: [] })
  assert.is(eraHistoryHash(r), keccak256(encodeAbiParameters(ERA_HISTORY_ABI, [[], []])))
})

test.run()
