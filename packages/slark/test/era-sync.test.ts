/**
 * Era sync's serve/fetch/verify logic: a settled era is taken only from a peer whose answer is the
 * era asked for and hashes to what the chain settled; every other answer is skipped and the next
 * peer asked.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { DEFAULT_ERA_PARAMS, computeEra, eraReportHash, settledEraOf, toJson, type Address, type EraReport, type SettledEra } from '@dcn/protocol'
import { answerEraRequest, fetchSettledEra, verifyEraReply, type EraRequest } from '../src/index.js'

const a = (n: number): Address => `0x${n.toString(16).padStart(40, '0')}`

function report (era: number): EraReport {
  const p = (n: number, tier: number): Parameters<typeof computeEra>[0]['providers'][number] => ({
    address: a(n), stake: 10n ** 21n, delegations: [], attributes: { compute: 0, storage: 0, gpu: 0, connectivity: 0, compliance: 0 },
    tasks: { assigned: 1, completed: 1 }, response: { count: 1, totalMs: 50 }, ratings: { count: 0, sum: 0 },
    offline: [{ from: 0, to: 7200 }], workloads: [], failedChallenges: [],
    history: { tier, promoteStreak: 1, demoteStreak: 0, offlineSeconds: 0, offlineSlashed: false, cooldownSeconds: 0 }
  })
  return computeEra({
    era,
    params: DEFAULT_ERA_PARAMS,
    providers: [p(1, 7), p(2, 4)],
    slarks: [{ address: a(11), delegateTo: a(1), challenges: 5, agreed: 5, response: { count: 0, totalMs: 0 }, optIn: false, history: { tier: 2, promoteStreak: 1, demoteStreak: 0 } }]
  })
}

const wire = (x: unknown): unknown => JSON.parse(toJson(x))
const ok = (s: SettledEra): unknown => wire({ ok: true, settled: s })
const quiet = { info: () => {}, warn: () => {} }

test('the first answer that hashes to the chain\'s is taken; refusals, errors, other eras and tampered ones are skipped', async () => {
  const r = report(5)
  const hash = eraReportHash(r)
  const tampered = settledEraOf(r)
  tampered.providers = tampered.providers.map(p => ({ ...p, history: { ...p.history, promoteStreak: 2 } }))
  const answers: Record<string, () => unknown> = {
    down: () => { throw new Error('no route to peer') },
    refuses: () => ({ ok: false, error: 'era 5 is not settled here' }),
    junk: () => 'not json at all',
    shape: () => ({ ok: true, settled: { era: 5 } }),
    otherEra: () => ok(settledEraOf(report(4))),
    tampered: () => ok(tampered),
    honest: () => ok(settledEraOf(r)),
    after: () => { throw new Error('asked after an honest answer') }
  }
  const asked: string[] = []
  const warned: string[] = []
  const got = await fetchSettledEra({
    era: 5,
    reportHash: hash,
    peers: Object.keys(answers),
    ask: async (peer: string, req: EraRequest) => { asked.push(peer); assert.equal(req, { era: 5 }); return answers[peer]() },
    log: { info: () => {}, warn: (_m, f) => { warned.push(`${String(f?.peer)}: ${String(f?.error)}`) } }
  })
  assert.ok(got !== null)
  assert.is(got.peer, 'honest')
  assert.is(eraReportHash(got.settled), hash)
  assert.equal(asked, ['down', 'refuses', 'junk', 'shape', 'otherEra', 'tampered', 'honest'])
  assert.equal(got.history.providers.get(a(2)), r.providers[1].history)
  assert.equal(got.history.slarks.get(a(11)), r.slarks[0].history)
  assert.is(warned.length, 6)
  assert.match(warned[0], /^down: no route to peer/)
  assert.match(warned[1], /^refuses: refused: era 5 is not settled here/)
  assert.match(warned[3], /^shape: reply\.settled\.payouts: expected an object/)
  assert.match(warned[4], /^otherEra: it sent era 4, not era 5/)
  assert.match(warned[5], new RegExp(`^tampered: its report of era 5 hashes to 0x[0-9a-f]{64}, not the ${hash} settled on chain`))
})

test('no peer with a verified answer: null (the settler falls back and tries again next era)', async () => {
  const r = report(5)
  const got = await fetchSettledEra({ era: 5, reportHash: eraReportHash(report(6)), peers: ['a', 'b'], ask: async () => ok(settledEraOf(r)), log: quiet })
  assert.is(got, null)
  assert.is(await fetchSettledEra({ era: 5, reportHash: eraReportHash(r), peers: [], ask: async () => ok(settledEraOf(r)), log: quiet }), null)
})

test('a reply with more than { ok, settled } is refused', () => {
  const r = report(2)
  assert.throws(() => verifyEraReply({ ...(ok(settledEraOf(r)) as object), extra: 1 }, 2, eraReportHash(r)), /reply: expected exactly \{ ok, settled \}/)
  assert.is(eraReportHash(verifyEraReply(ok(settledEraOf(r)), 2, eraReportHash(r))), eraReportHash(r))
})

test('serving: { era } answered from what this slark settled; anything else refused in one line', async () => {
  const settled = settledEraOf(report(3))
  const lookup = async (era: number): Promise<SettledEra | null> => era === 3 ? settled : null
  assert.equal(await answerEraRequest({ era: 3 }, lookup), { ok: true, settled })
  assert.equal(await answerEraRequest({ era: 4 }, lookup), { ok: false, error: 'era 4 is not settled here' })
  assert.equal(await answerEraRequest({ era: -1 }, lookup), { ok: false, error: 'request.era: must be between 0 and 9007199254740991, got -1' })
  assert.equal(await answerEraRequest({ era: 3, more: true }, lookup), { ok: false, error: 'request: expected exactly { era }' })
  assert.equal(await answerEraRequest([3], lookup), { ok: false, error: 'request: expected an object { era }' })
  // what a server sends, the fetcher takes
  const reply = wire(await answerEraRequest({ era: 3 }, lookup))
  assert.is(eraReportHash(verifyEraReply(reply, 3, eraReportHash(report(3)))), eraReportHash(report(3)))
})

test.run()
