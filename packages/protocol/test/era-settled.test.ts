/**
 * The settled era slarks hand each other (`/dcn/era/1.0.0`): the hashed part of a report survives
 * JSON and the schema with the report's own hash, so a receiver can check it against the chain;
 * anything tampered changes the hash or fails the schema.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import {
  MAX_SETTLED_ERA_NODES, carryHistory, computeEra, eraReportHash, parseSettledEra, settledEraOf, toJson, type EraReport
} from '../src/index.js'
import { DAY, HOUR, SPON, addr, history, input, provider, slark, slarkHistory } from './era-fixtures.js'

/** A report with histories worth carrying: streaks, an outage going on, slashes, delegations. */
function report (): EraReport {
  return computeEra(input([
    provider(1, { history: history(3, { promoteStreak: 1 }) }),
    provider(2, { stake: 200n * SPON, offline: [{ from: DAY - 2 * HOUR, to: DAY }], workloads: [{ from: 0, to: DAY, feePerHour: SPON }], history: history(5) }),
    provider(3, { delegations: [{ delegator: addr(0xd1), amount: 5n * SPON }] })
  ], [slark(1, { delegateTo: addr(1), history: slarkHistory(2, { promoteStreak: 1 }) }), slark(2, { challenges: 10, agreed: 5, history: slarkHistory(3) })]))
}

/** Through JSON as it travels. */
const wire = (x: unknown): unknown => JSON.parse(toJson(x))

test('a settled era survives the wire with the report\'s own hash, and carries the same histories', () => {
  const r = report()
  const s = parseSettledEra(wire(settledEraOf(r)))
  assert.is(eraReportHash(s), eraReportHash(r))
  assert.equal(carryHistory(s), carryHistory(r))
  assert.ok(s.providers.find(p => p.address === addr(2))!.history.offlineSeconds > 0, 'an outage going on is carried')
  assert.ok(r.payouts.slashes.length > 0 && r.payouts.delegations.length > 0)
})

test('a tampered settled era no longer has the settled hash', () => {
  const r = report()
  const hash = eraReportHash(r)
  const tamper = (f: (s: ReturnType<typeof settledEraOf>) => void): string => {
    const s = parseSettledEra(wire(settledEraOf(r)))
    f(s)
    return eraReportHash(s)
  }
  assert.is.not(tamper(s => { s.providers[0].history.tier = 1 }), hash)
  assert.is.not(tamper(s => { s.providers[1].history.offlineSeconds = 0 }), hash)
  assert.is.not(tamper(s => { s.slarks[0].history.promoteStreak++ }), hash)
  assert.is.not(tamper(s => { s.payouts.rewards[0].amount += 1n }), hash)
  assert.is.not(tamper(s => { s.providers.pop() }), hash)
  assert.is.not(tamper(s => { s.era++ }), hash)
})

test('the schema refuses what a report cannot hold, naming the field', () => {
  const good = wire(settledEraOf(report())) as { providers: Array<Record<string, unknown>>, slarks: unknown[], payouts: Record<string, unknown>, [k: string]: unknown }
  const bad = (f: (s: typeof good) => void, message: RegExp): void => {
    const s = structuredClone(good)
    f(s)
    assert.throws(() => parseSettledEra(s), message)
  }
  bad(s => { (s.providers[0].history as Record<string, unknown>).tier = 8 }, /settled\.providers\[0\]\.history\.tier: must be between 1 and 7/)
  bad(s => { (s.providers[0].history as Record<string, unknown>).offlineSeconds = -1 }, /offlineSeconds/)
  bad(s => { s.providers[0].address = 'not an address' }, /settled\.providers\[0\]\.address/)
  bad(s => { s.providers.reverse() }, /settled\.providers\[1\]\.address: must be sorted by address, each once/)
  bad(s => { s.providers[1] = s.providers[0] }, /must be sorted by address, each once/)
  bad(s => { (s.payouts.rewards as Array<Record<string, unknown>>)[0].amount = 5 }, /settled\.payouts\.rewards\[0\]\.amount: expected a decimal integer string/)
  bad(s => { s.extra = 1 }, /settled\.extra: unknown field/)
  bad(s => { s.slarks = Array.from({ length: MAX_SETTLED_ERA_NODES + 1 }, () => null) }, new RegExp(`settled\\.slarks: must have at most ${MAX_SETTLED_ERA_NODES} items`))
  assert.throws(() => parseSettledEra('x'), /settled: expected an object/)
  assert.throws(() => parseSettledEra(null), /settled: expected an object/)
})

test.run()
