/** The metrics JSON: the example parses with its defaults; every bad field is one line naming it. */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { DEFAULT_ERA_PARAMS, SchemaError, computeEra, parseEraInput } from '../src/index.js'
import { SPON, addr, input, provider } from './era-fixtures.js'

const EXAMPLE = fileURLToPath(new URL('../../../../examples/era-metrics.json', import.meta.url))
const example = (): any => JSON.parse(readFileSync(EXAMPLE, 'utf8'))

test('the example parses; absent fields take their defaults', () => {
  const i = parseEraInput(example())
  assert.is(i.era, 12)
  assert.is(i.providers.length, 5)
  assert.is(i.slarks.length, 2)
  assert.equal(i.params.stakeThresholds, DEFAULT_ERA_PARAMS.stakeThresholds)
  const b = i.providers[1]
  assert.is(b.stake, 250n * SPON)
  assert.equal(b.attributes, { compute: 0, storage: 0, gpu: 0, connectivity: 0, compliance: 0 })
  assert.equal(b.ratings, { count: 0, sum: 0 })
  assert.equal(b.workloads, [])
  assert.equal(b.history, { tier: 4, promoteStreak: 0, demoteStreak: 0, offlineSeconds: 0, offlineSlashed: false, cooldownSeconds: 0 })
  assert.is(i.providers[4].history, null, 'a new provider')
  assert.equal(i.slarks[1].history, { tier: 2, promoteStreak: 0, demoteStreak: 1 })
  assert.is(i.slarks[1].optIn, false)
  const minimal = parseEraInput({ era: 0, providers: [{ address: addr(1).toUpperCase().replace('0X', '0x'), stake: '0', tasks: { assigned: 0, completed: 0 }, response: { count: 0, totalMs: 0 } }] })
  assert.is(minimal.providers[0].address, addr(1), 'addresses are lowercased')
  assert.equal(minimal.params, DEFAULT_ERA_PARAMS)
  assert.equal(minimal.slarks, [])
})

/** Applies `edit` to the example and returns the error line. */
function errorOf (edit: (j: any) => void): string {
  const j = example()
  edit(j)
  try {
    parseEraInput(j)
  } catch (err) {
    assert.instance(err, SchemaError)
    const message = (err as Error).message
    assert.not.match(message, /\n/, 'one line')
    return message
  }
  assert.unreachable('parsed an invalid input')
  return ''
}

const cases: Array<[string, (j: any) => void, string]> = [
  ['a stake that is not a number', j => { j.providers[2].stake = 450 }, 'providers[2].stake: expected a decimal integer string'],
  ['an unknown field', j => { j.providers[1].uptime = 0.99 }, 'providers[1].uptime: unknown field'],
  ['a missing field', j => { delete j.providers[0].tasks }, 'providers[0].tasks: expected an object, got nothing'],
  ['a bad address', j => { j.providers[3].address = '0x1234' }, 'providers[3].address: expected a 20-byte 0x address'],
  ['an outage past the era', j => { j.providers[1].offline[0].to = 90_000 }, 'providers[1].offline[0].to: must be a whole second between 0 and 86400 (the era\'s length)'],
  ['an outage ending before it starts', j => { j.providers[1].offline[0].to = 100 }, 'providers[1].offline[0].to: must be after from (36000)'],
  ['a fractional second', j => { j.providers[1].offline[0].from = 1.5 }, 'providers[1].offline[0].from: expected an integer, got number 1.5'],
  ['a failed challenge past the era', j => { j.providers[1].failedChallenges = [86_400] }, 'providers[1].failedChallenges[0]: must be a second of the era (below 86400)'],
  ['overlapping outages', j => { j.providers[1].offline.push({ from: 41_000, to: 42_000 }) }, 'providers[1].offline[1].from: must be after the previous outage\'s end (41400); sort outages and merge touching ones'],
  ['touching outages', j => { j.providers[1].offline.push({ from: 41_400, to: 42_000 }) }, 'providers[1].offline[1].from: must be after the previous outage\'s end (41400); sort outages and merge touching ones'],
  ['more tasks completed than assigned', j => { j.providers[0].tasks.completed = 51 }, 'providers[0].tasks.completed: cannot exceed tasks.assigned (50)'],
  ['ratings beyond 5 stars', j => { j.providers[0].ratings.sum = 61 }, 'providers[0].ratings.sum: must be between count and 5 × count (ratings are 1–5), got 61 for 12'],
  ['a response total without samples', j => { j.providers[0].response = { count: 0, totalMs: 10 } }, 'providers[0].response.totalMs: must be 0 when count is 0'],
  ['attributes in the wrong unit', j => { j.providers[0].attributes.gpu = 1.5 }, 'providers[0].attributes.gpu: expected an integer, got number 1.5'],
  ['a tier out of range', j => { j.providers[0].history.tier = 8 }, 'providers[0].history.tier: must be between 1 and 7, got 8'],
  ['a promotion streak that should have promoted', j => { j.providers[0].history.promoteStreak = 3 }, 'providers[0].history.promoteStreak: must be between 0 and 2, got 3'],
  ['a negative workload fee', j => { j.providers[3].workloads[0].feePerHour = '-1' }, 'providers[3].workloads[0].feePerHour: expected a decimal integer string'],
  ['a provider twice', j => { j.providers.push(j.providers[0]) }, 'providers[5].address: 0x1a00000000000000000000000000000000000001 is listed twice'],
  ['a delegator twice', j => { j.providers[2].delegations.push(j.providers[2].delegations[0]) }, 'providers[2].delegations[2].delegator: 0xf1200000000000000000000000000000000000a1 is listed twice'],
  ['a provider delegating to itself', j => { j.providers[2].delegations[0].delegator = j.providers[2].address }, 'providers[2].delegations[0].delegator: is the provider itself; count its own stake in stake'],
  ['hours that do not divide the era', j => { j.params.hourSeconds = 7000 }, 'params.hourSeconds: must divide params.eraSeconds (86400) into whole hours'],
  ['stake thresholds that rise', j => { j.params.stakeThresholds = ['500', '400', '300', '200', '150', '100', '200'] }, 'params.stakeThresholds[6]: X7 must not exceed X6'],
  ['six stake thresholds', j => { j.params.stakeThresholds = ['6', '5', '4', '3', '2', '1'] }, 'params.stakeThresholds: expected 7 amounts (X1…X7), got 6'],
  ['a delegate share over 100 %', j => { j.params.slarkDelegateBps = 10_001 }, 'params.slarkDelegateBps: must be between 0 and 10000, got 10001'],
  ['a slark agreeing more than it voted', j => { j.slarks[0].agreed = 121 }, 'slarks[0].agreed: cannot exceed challenges (120)'],
  ['a slark tier out of range', j => { j.slarks[1].history.tier = 7 }, 'slarks[1].history.tier: must be between 1 and 6, got 7'],
  ['a slark without a provider to delegate to', j => { delete j.slarks[1].delegateTo }, 'slarks[1].delegateTo: expected a 20-byte 0x address'],
  ['providers not a list', j => { j.providers = {} }, 'providers: expected a list, got an object'],
  ['an era number as a string', j => { j.era = '12' }, 'era: expected an integer, got string "12"']
]

for (const [what, edit, expected] of cases) {
  test(`invalid: ${what}`, () => {
    assert.is(errorOf(edit), expected)
  })
}

test('computeEra holds inputs built in code to the same rules', () => {
  assert.throws(() => computeEra(input([provider(1), provider(2), provider(1)])), (e: Error) => e.message === `providers[2].address: ${addr(1)} is listed twice`)
  assert.throws(() => computeEra(input([provider(1, { address: addr(1).replace('0x', '0X') as any })])), /providers\[0\]\.address: expected a lowercase 20-byte 0x address/)
  assert.throws(() => computeEra(input([provider(1, { offline: [{ from: 10, to: 5 }] })])), /providers\[0\]\.offline\[0\]\.to: must be after from \(10\)/)
  assert.throws(() => computeEra(input([provider(1)], [], { hourSeconds: 0 })), /params\.hourSeconds/)
})

test.run()
