/** A gateway's sealed aggregate of its fizz nodes' challenge answers: sign, parse, verify, and a gateway that tampers. */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { keccak256, toHex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import {
  answerEntry, assembleSubnetAnswer, parseSubnetChallengeRequest, parseSubnetEntry, parseSubnetSeal, puzzleHashOf, refusalEntry, signChallengeAnswer,
  signChallengeRequest, signSubnetEntry, signSubnetSeal, subnetRequestProblem, verifySubnetAnswer, verifySubnetEntry, type Address, type ChallengeRequest, type Hex,
  type SubnetChallengeAnswer, type SubnetChallengeRequest, type SubnetEntry, type UnsignedEntry
} from '../src/index.js'

const CHAIN = 31337
const key = (n: number): Hex => `0x${n.toString(16).padStart(64, '0')}`
const slark = privateKeyToAccount(key(1))
const gateway = privateKeyToAccount(key(2))
const fizz = [privateKeyToAccount(key(3)), privateKeyToAccount(key(4)), privateKeyToAccount(key(5))]
const lower = (a: string): Address => a.toLowerCase() as Address
const GW = lower(gateway.address)
const SLOT = 42
const spec = { cpu: 500, memory: 64 * 2 ** 20, disk: 16 * 2 ** 20, gpu: 0 }
const puzzle = (i: number): Hex => keccak256(toHex(`puzzle ${i}`))
const now = Math.floor(Date.now() / 1000)
const SIG: Hex = `0x${'00'.repeat(65)}`

async function request (): Promise<SubnetChallengeRequest> {
  const requests: ChallengeRequest[] = await Promise.all(fizz.map(async (f, i) =>
    await signChallengeRequest(slark, CHAIN, { slot: SLOT, provider: lower(f.address), puzzle: puzzle(i), spec, time: now })))
  return { gateway: GW, requests, waitMs: 30_000 }
}

/** Fizz 0 and 1 prove; fizz 2 is offline (the gateway's marker). */
async function entries (req: SubnetChallengeRequest): Promise<SubnetEntry[]> {
  const answers = await Promise.all(fizz.slice(0, 2).map(async (f, i) => await signChallengeAnswer(f, CHAIN, {
    slot: SLOT, provider: lower(f.address), puzzleHash: puzzleHashOf(puzzle(i)), proof: `proof ${i}`, proofHash: keccak256(toHex(`proof ${i}`)), tookMs: 900
  })))
  return await signed([
    answerEntry(req.requests[1], answers[1], 40, 1800),
    answerEntry(req.requests[0], answers[0], 30, 1500),
    refusalEntry(req.requests[2], `fizz node ${fizz[2].address} is offline`, 0, 2)
  ])
}

/** The gateway signs each entry (a tampering gateway signs what it tampered with). */
async function signed (es: UnsignedEntry[], by = gateway): Promise<SubnetEntry[]> {
  return await Promise.all(es.map(async ({ sig: _sig, ...e }: UnsignedEntry & { sig?: Hex }) => await signSubnetEntry(by, CHAIN, SLOT, e)))
}

async function sealed (req: SubnetChallengeRequest, es: SubnetEntry[], by = gateway, slot = SLOT): Promise<SubnetChallengeAnswer> {
  return assembleSubnetAnswer(es, await signSubnetSeal(by, CHAIN, slot, es))
}

test('an honest aggregate: each fizz node gets its own answer, the offline one fails alone', async () => {
  const req = await request()
  const out = await verifySubnetAnswer(CHAIN, req, await sealed(req, await entries(req)))
  assert.equal(out.map(o => o.provider), fizz.map(f => lower(f.address)), 'in the order asked')
  assert.ok(out[0].answer !== null && out[0].answer.proofHash === keccak256(toHex('proof 0')))
  assert.ok(out[1].answer !== null && out[1].answer.proofHash === keccak256(toHex('proof 1')))
  assert.equal([out[0].ackMs, out[0].tookMs, out[1].ackMs, out[1].tookMs], [30, 1500, 40, 1800])
  assert.is(out[2].answer, null)
  assert.match(out[2].failure!, /offline/)
})

test('the frames parse back to the same aggregate, which still verifies', async () => {
  const req = await request()
  const es = await entries(req)
  const seal = await signSubnetSeal(gateway, CHAIN, SLOT, es)
  const wire = (x: unknown): unknown => JSON.parse(JSON.stringify(x))
  const parsedReq = parseSubnetChallengeRequest(wire(req), 'request')
  assert.equal(parsedReq, req)
  const back = assembleSubnetAnswer(es.map((e, i) => parseSubnetEntry(wire(e), `entries[${i}]`)), parseSubnetSeal(wire(seal), 'seal'))
  const out = await verifySubnetAnswer(CHAIN, parsedReq, back)
  assert.equal(out.map(o => o.answer !== null), [true, true, false])
  assert.throws(() => assembleSubnetAnswer(es.slice(1), seal), /counts 3 entries, 2 came/)
})

test('malformed frames are refused with the field named', async () => {
  const req = await request()
  assert.throws(() => parseSubnetChallengeRequest({ gateway: GW, requests: [], waitMs: 1000 }, 'request'), /request.requests: must list at least one/)
  assert.throws(() => parseSubnetChallengeRequest({ ...req, waitMs: 0 }, 'request'), /request.waitMs/)
  assert.throws(() => parseSubnetChallengeRequest({ ...req, requests: Array(9).fill(req.requests[0]) }, 'request'), /request.requests: must have at most 8/)
  assert.throws(() => parseSubnetEntry({ kind: 'entry', provider: GW, puzzleHash: puzzle(0), ackMs: 1, tookMs: 1, sig: SIG, extra: 1 }, 'e'), /e.extra: unknown field/)
  assert.throws(() => parseSubnetEntry({ kind: 'seal', provider: GW, puzzleHash: puzzle(0), ackMs: 1, tookMs: 1, sig: SIG }, 'e'), /e.kind/)
  assert.throws(() => parseSubnetEntry({ kind: 'entry', provider: GW, puzzleHash: puzzle(0), ackMs: 1, tookMs: 1, sig: SIG, answer: { slot: 1 } }, 'e'), /e.answer/)
  assert.throws(() => parseSubnetSeal({ kind: 'seal', slot: 1, gateway: GW, entries: 99, sig: `0x${'00'.repeat(65)}` }, 's'), /s.entries/)
})

test('a request for another gateway, two slots or one fizz node twice is a problem', async () => {
  const req = await request()
  assert.is(subnetRequestProblem(req, GW), null)
  assert.match(subnetRequestProblem(req, lower(fizz[0].address))!, /this gateway is/)
  assert.match(subnetRequestProblem({ ...req, requests: [req.requests[0], { ...req.requests[1], slot: SLOT + 1 }] }, GW)!, /different slots/)
  assert.match(subnetRequestProblem({ ...req, requests: [req.requests[0], req.requests[0]] }, GW)!, /asked twice/)
})

test('a gateway that swaps two fizz nodes\' answers is caught: both fail, the third is untouched', async () => {
  const req = await request()
  const es = await entries(req)
  const swapped = await signed([{ ...es[0], answer: es[1].answer }, { ...es[1], answer: es[0].answer }, es[2]])
  const out = await verifySubnetAnswer(CHAIN, req, await sealed(req, swapped))
  assert.equal(out.map(o => o.answer), [null, null, null])
  assert.match(out[0].failure!, /not its own/)
  assert.match(out[1].failure!, /not its own/)
  assert.match(out[2].failure!, /offline/)
})

test('a gateway that drops an answer, lists one twice or vouches another puzzle is caught for that fizz node only', async () => {
  const req = await request()
  const es = await entries(req)
  let out = await verifySubnetAnswer(CHAIN, req, await sealed(req, [es[0], es[2]]))
  assert.match(out[0].failure!, /dropped its answer/)
  assert.ok(out[1].answer !== null, 'fizz 1 still judged')
  out = await verifySubnetAnswer(CHAIN, req, await sealed(req, [es[0], es[0], es[1], es[2]]))
  assert.match(out[1].failure!, /twice/)
  assert.ok(out[0].answer !== null)
  out = await verifySubnetAnswer(CHAIN, req, await sealed(req, await signed([{ ...es[0], puzzleHash: puzzleHashOf(puzzle(9)) }, es[1], es[2]])))
  assert.match(out[1].failure!, /another puzzle/)
  assert.ok(out[0].answer !== null)
  // an answer the fizz node gave to another puzzle, vouched by the gateway for this one
  const stale = await signChallengeAnswer(fizz[0], CHAIN, { slot: SLOT, provider: lower(fizz[0].address), puzzleHash: puzzleHashOf(puzzle(7)), proofHash: keccak256(toHex('old')), tookMs: 1 })
  out = await verifySubnetAnswer(CHAIN, req, await sealed(req, await signed([es[0], { ...es[1], answer: stale }, es[2]])))
  assert.match(out[0].failure!, /not its own to this puzzle/)
})

test('entries changed after the seal, a seal by someone else or for another slot discredit the whole aggregate', async () => {
  const req = await request()
  const es = await entries(req)
  const good = await sealed(req, es)
  // the gateway (or anyone on the way) turns an honest answer into a refusal after sealing
  const edited = { ...good, entries: [good.entries[0], (await signed([refusalEntry(req.requests[0], 'late', 0, 9)]))[0], good.entries[2]] }
  for (const bad of [edited, { ...await sealed(req, es, fizz[0]), gateway: GW }, { ...good, entries: [...good.entries].reverse() }]) {
    const out = await verifySubnetAnswer(CHAIN, req, bad)
    assert.equal(out.map(o => o.answer), [null, null, null])
    assert.match(out[0].failure!, /not sealed by the gateway/)
  }
  const other = await verifySubnetAnswer(CHAIN, req, await sealed(req, es, gateway, SLOT + 1))
  assert.match(other[0].failure!, /for slot 43/)
  // the same aggregate presented for another gateway's request
  const out = await verifySubnetAnswer(CHAIN, { ...req, gateway: lower(fizz[2].address) }, good)
  assert.match(out[0].failure!, /not slot 42 of/)
})

test('entries are checked one by one as they arrive: the gateway\'s signature, the fizz node asked, its own answer', async () => {
  const req = await request()
  const es = await entries(req)
  const first = await verifySubnetEntry(CHAIN, req, es[0])
  assert.ok(first !== null && first.provider === lower(fizz[1].address) && first.answer !== null, 'fizz 1 judged before the rest arrive')
  assert.match((await verifySubnetEntry(CHAIN, req, es[2]))!.failure!, /offline/)
  // not the gateway's signature, or changed after it signed: no entry of this request
  assert.is(await verifySubnetEntry(CHAIN, req, (await signed([es[0]], fizz[1]))[0]), null)
  assert.is(await verifySubnetEntry(CHAIN, req, { ...es[0], tookMs: 1 }), null)
  // an entry for a fizz node the member did not ask
  assert.is(await verifySubnetEntry(CHAIN, { ...req, requests: req.requests.slice(0, 1) }, es[0]), null)
  // in a sealed aggregate an entry the gateway did not sign fails its fizz node only
  const out = await verifySubnetAnswer(CHAIN, req, await sealed(req, [{ ...es[0], sig: es[1].sig }, es[1], es[2]]))
  assert.match(out[1].failure!, /not signed by the gateway/)
  assert.ok(out[0].answer !== null)
})

test.run()
