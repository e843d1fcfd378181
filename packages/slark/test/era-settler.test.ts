/**
 * The era settler's way back into consensus, with the chain and the network faked: a slark with
 * no histories (new, or restarted without its data dir) takes the last settled era's from
 * `fetchSettled` instead of recomputing every era, and one whose own report of an era differs
 * from the settled one adopts the settled histories — either way its next report is the
 * network's. Without them it starts from the registry and stays out of agreement.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { DEFAULT_ERA_PARAMS, carryHistory, computeEra, eraReportHash, type Address, type EraReport, type Hex, type ProviderHistory, type SlarkHistory } from '@dcn/protocol'
import { EraSettler, buildEraInput, type EraEnv, type EraFacts } from '../src/index.js'

const clock = { genesis: 1_000_000, slotSeconds: 10 }
const ERA_SLOTS = 2
const P = '0x0000000000000000000000000000000000000001' as Address
type History = { providers: Map<Address, ProviderHistory>, slarks: Map<Address, SlarkHistory> }
const empty = (): History => ({ providers: new Map(), slarks: new Map() })

/** An era's facts: a provider offline all era — unless this slark was not listening yet. */
function facts (era: number, listening: boolean): Omit<EraFacts, 'history'> {
  const { baseRewardPerHour, slarkRewardPerChallenge, slarkDelegateBps, stakeThresholds, slarkTierSlots } = DEFAULT_ERA_PARAMS
  return {
    era, clock, eraSlots: ERA_SLOTS, params: { baseRewardPerHour, slarkRewardPerChallenge, slarkDelegateBps, stakeThresholds, slarkTierSlots },
    providers: [{ address: P, registeredAt: 0, tier: 7, stake: 10n ** 20n, delegations: [], ratings: { count: 0, sum: 0 }, leases: [], attributes: { compute: 0, storage: 0, gpu: 0, connectivity: 0, compliance: 0 } }],
    slarks: [], results: [],
    offline: () => listening ? [{ from: 0, to: ERA_SLOTS * clock.slotSeconds }] : [],
    response: () => ({ count: 0, totalMs: 0 }),
    slarkResponse: () => ({ count: 0, totalMs: 0 })
  }
}

/** The network's reports of eras 0…n−1, each from the previous one's histories. */
function network (n: number): EraReport[] {
  const out: EraReport[] = []
  for (let e = 0; e < n; e++) out.push(computeEra(buildEraInput({ ...facts(e, true), history: e === 0 ? empty() : carryHistory(out[e - 1]) as History }), { explain: false }))
  return out
}

function settler (settledEras: number, listeningFrom: number, fetchSettled?: EraEnv['fetchSettled']): { s: EraSettler, reports: Map<number, Hex>, tick: () => Promise<void> } {
  const net = network(settledEras)
  const reports = new Map<number, Hex>()
  const s = new EraSettler({
    me: '0x00000000000000000000000000000000000000aa',
    blsSecret: new Uint8Array(32),
    clock,
    eraSlots: ERA_SLOTS,
    graceSeconds: 0,
    now: () => (clock.genesis + 10_000) * 1000,
    facts: async (era) => facts(era, era >= listeningFrom),
    committeeSlot: async (era) => era * ERA_SLOTS,
    roster: async () => [],
    nextEra: async () => settledEras,
    settledHash: async (era) => era < settledEras ? eraReportHash(net[era]) : null,
    message: (r) => r,
    submit: async () => {},
    publishVote: async () => {},
    log: { info: () => {}, warn: () => {}, debug: () => {} },
    onReport: (r, hash) => { reports.set(r.era, hash) },
    fetchSettled
  })
  // One pass of the settler's 2-second loop.
  const tick = async (): Promise<void> => { await (s as unknown as { tick: () => Promise<void> }).tick() }
  return { s, reports, tick }
}

const fetchFrom = (calls: number[]): NonNullable<EraEnv['fetchSettled']> => async (era, hash) => {
  calls.push(era)
  const r = network(era + 1)[era]
  assert.is(hash, eraReportHash(r), 'asked for the hash on chain')
  return carryHistory(r) as History
}

test('a slark with no histories, 5 eras settled: it fetches only era 4\'s and its report of era 5 is the network\'s', async () => {
  const calls: number[] = []
  const { s, reports, tick } = settler(5, 5, fetchFrom(calls))
  await tick()
  assert.equal(calls, [4])
  assert.equal([...reports.keys()], [5], 'no old era recomputed')
  assert.is(reports.get(5), eraReportHash(network(6)[5]))
  assert.equal([s.stats.fetched, s.stats.lastEra], [1, 4])
})

test('a slark that computed a different report of era 0 adopts the settled histories and agrees on era 1', async () => {
  const calls: number[] = []
  const { reports, tick } = settler(1, 1, fetchFrom(calls))
  await tick()
  assert.is.not(reports.get(0), eraReportHash(network(1)[0]), 'its own report of era 0 differs (it was not listening)')
  assert.equal(calls, [0])
  assert.is(reports.get(1), eraReportHash(network(2)[1]))
})

test('without a way to fetch, it starts again from the registry and its report differs from the network\'s', async () => {
  const { reports, tick } = settler(1, 1)
  await tick()
  assert.is.not(reports.get(1), eraReportHash(network(2)[1]))
  const nobody = settler(5, 5, async () => null)
  await nobody.tick()
  assert.is.not(nobody.reports.get(5), eraReportHash(network(6)[5]))
})

test.run()
