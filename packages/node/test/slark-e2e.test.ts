/**
 * Slarks on a devnet, end to end over real libp2p, anvil and Docker: three slarks (one of them
 * lying), an honest provider, a provider that registered four times its real capacity, and three
 * fizz nodes behind a gateway. Each provider is challenged in the slot after it registered: the
 * committee commits the puzzle, asks the provider (the fizz nodes through their gateway, all
 * of a slot's in one request per member), judges the proof, votes on
 * dcn/1/attestations, and one aggregate BLS signature puts the result on chain, where the
 * Challenges contract verifies it. Eras of six 8-second slots: every slark
 * computes the same era report, and a quorum settles it in the Rewards contract, which pays the
 * providers, slashes the spoofer for its failed challenge and delegates the slarks' rewards.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { privateKeyToAccount } from 'viem/accounts'
import { readFileSync } from 'node:fs'
import {
  StakingAbi, challengeCommittee, challengeResults, decodeCapacity, eraRecord, nextEra, nodeRecord, parseAmount, read, settlementClients, slarkVotes, slotRecord,
  type Address, type ChallengeResultEvent, type SettlementClients
} from '@dcn/protocol'
import { challengeSpec } from '@dcn/slark'
import { startDevnet, type Devnet } from '../src/devnet/devnet.js'
import { silent } from '../src/log.js'
import { proverHeadroom } from '../src/runtime/challenge-runner.js'
import { testDocker } from './helpers/docker.js'
import { waitFor } from './helpers/cluster.js'
import { firstDifference } from './helpers/first-difference.js'

const MiB = 2 ** 20
/** Providers this small keep the test's challenges light. */
const SMALL = { cpu: '1', memory: '512Mi', storage: '256Mi' }
const TINY = { cpu: '1', memory: '256Mi', storage: '128Mi' }
/** Three fizz nodes registering at once, spread over at most two slots: two of them share their first. */
const FIZZ = ['fizz-1', 'fizz-2', 'fizz-3']
const dir = mkdtempSync(join(tmpdir(), 'dcn-slark-'))
let devnet: Devnet
let c: SettlementClients
let results: ChallengeResultEvent[] = []

const wallet = (name: string): Address => devnet.info.nodes.find(n => n.name === name)!.wallet.toLowerCase() as Address

test.before(async () => {
  await testDocker()
  devnet = await startDevnet({
    dataDir: dir, providers: 2, fizz: 3, matchers: 1, slarks: 3, slotSeconds: 8, eraSlots: 6, log: silent,
    // provider-1 starts where a new provider does, at tier 7 (no liveness reward), to be promoted
    providerOverrides: [{ tier: 7, capacity: SMALL }, { spoofCapacity: 4, capacity: SMALL, attributes: { storage: 'ssd', connectivity: 'high' } }], slarkOverrides: [undefined, undefined, { lie: true }],
    // fizz nodes are challenged with the providers in the first slots: lighter proofs keep the machine from missing deadlines
    fizzOverrides: [{ capacity: TINY }, { capacity: TINY }, { capacity: TINY }]
  })
  const { chain } = devnet.info
  c = settlementClients(chain!.rpcUrl, chain!.chainId, privateKeyToAccount(`0x${'11'.repeat(32)}`))
})

test.after(async () => {
  await devnet?.stop()
  rmSync(dir, { recursive: true, force: true })
})

test('every provider and fizz node gets a committee result on chain in its first slots', async () => {
  const d = devnet.info.chain!.deployment
  const targets = ['provider-1', 'provider-2', ...FIZZ].map(wallet)
  await waitFor(async () => {
    results = await challengeResults(c, d)
    return targets.every(t => results.some(r => r.provider === t))
  }, 200_000, 'a result for every provider').catch(async (err: Error) => {
    const missing = targets.filter(t => !results.some(r => r.provider === t))
    // What the slarks warned about, to say why.
    const warnings = devnet.info.nodes.filter(n => n.name.startsWith('slark')).flatMap(n =>
      readFileSync(n.log, 'utf8').split('\n').filter(l => /warn|error/i.test(l)).slice(-8).map(l => `${n.name}: ${l.slice(0, 300)}`))
    throw new Error(`${err.message}; none for ${missing.join(', ')}\n${warnings.join('\n')}`)
  })
  for (const r of results) assert.ok(r.signers !== 0n)
})

test('the honest provider and the fizz node pass; the spoofer passes only a challenge within its real memory', async () => {
  const d = devnet.info.chain!.deployment
  const first = (who: Address): ChallengeResultEvent => results.find(r => r.provider === who)!
  assert.ok(first(wallet('provider-1')).passed, 'honest provider passed')
  for (const f of FIZZ) assert.ok(first(wallet(f)).passed, `${f} passed through its gateway`)
  const spoofer = wallet('provider-2')
  const r = first(spoofer)
  const registered = decodeCapacity((await nodeRecord(c, d, spoofer)).attributes)
  assert.is(registered.memory, 4 * 512 * MiB, 'registered four times its 512 MiB')
  // The spec the committee drew, from the slot's seed: the prover needs it plus its headroom.
  const seed = (await slotRecord(c, d, r.slot)).seed
  const spec = challengeSpec(seed, spoofer, registered, { cpu: 0, memory: 0, storage: 0, gpuUnits: 0 })
  const fits = spec.memory + proverHeadroom(spec) <= 512 * MiB
  assert.is(r.passed, fits, `spec asked ${Math.round(spec.memory / MiB)} MiB of a real 512 MiB; result ${String(r.passed)}`)
})

interface SubnetLog { slot: number, slark: string, fizz: number, answered: number }
interface SlarkStats { providerRequests: number, subnetRequests: number, subnetFizz: number }

test('fizz nodes challenged in one slot: each member sends their gateway one request, answered by one sealed aggregate', async () => {
  const slotOf = (who: Address): bigint => results.find(r => r.provider === who)!.slot
  const bySlot = new Map<number, number>()
  for (const f of FIZZ) bySlot.set(Number(slotOf(wallet(f))), (bySlot.get(Number(slotOf(wallet(f)))) ?? 0) + 1)
  const shared = [...bySlot].find(([, n]) => n >= 2)
  assert.ok(shared !== undefined, `first challenged in slots ${JSON.stringify([...bySlot])}: no two fizz nodes shared one`)
  const [slot, fizz] = shared
  const gw = devnet.info.nodes.find(n => n.name === 'gateway-1')!
  const served = ((await (await fetch(`${gw.api}/status`)).json()) as { subnet: { challenges: SubnetLog[] } }).subnet.challenges.filter(r => r.slot === slot)
  const members = new Set(served.map(r => r.slark))
  // Slark→gateway requests in the slot: one per committee member (the liar asks too), each for all the slot's
  // fizz nodes; asked one at a time, as before, they were one per member and fizz node.
  assert.is(served.length, members.size, `one request per member: ${JSON.stringify(served)}`)
  assert.ok(members.size >= 2, 'a majority of the committee asked')
  for (const r of served) assert.equal([r.fizz, r.answered], [fizz, fizz], `${r.slark} asked for the ${fizz} fizz nodes and got all their answers`)
  console.log(`slot ${slot}: ${served.length} slark→gateway requests for ${fizz} fizz nodes (${fizz * members.size} asked one by one)`)
  for (const s of ['slark-1', 'slark-2', 'slark-3']) {
    const node = devnet.info.nodes.find(n => n.name === s)!
    const stats = ((await (await fetch(`${node.api}/status`)).json()) as { slark: SlarkStats }).slark
    assert.ok(stats.subnetFizz > stats.subnetRequests, `${s}: ${stats.subnetRequests} gateway requests covered ${stats.subnetFizz} fizz challenges`)
  }
})

test('the lying slark is outvoted: it is never in a majority, the honest ones always are', async () => {
  const d = devnet.info.chain!.deployment
  const liar = wallet('slark-3')
  for (const r of results) {
    const committee = (await challengeCommittee(c, d, r.slot, r.provider)).map(a => a.toLowerCase())
    const signers = committee.filter((_, i) => (r.signers >> BigInt(i)) & 1n)
    assert.ok(signers.length * 2 > committee.length, 'a strict majority signed')
    assert.not.ok(signers.includes(liar), `the liar signed the result of slot ${r.slot}`)
  }
  const lv = await slarkVotes(c, d, liar)
  assert.ok(lv.seated > 0n)
  assert.is(lv.inMajority, 0n)
  for (const honest of ['slark-1', 'slark-2'].map(wallet)) {
    const v = await slarkVotes(c, d, honest)
    assert.is(v.inMajority, v.seated, `${honest} agreed with every result it sat on`)
  }
})


interface SavedReport { hash: string, input: unknown, report: { payouts: { rewards: Array<{ account: string, amount: string }>, slashes: Array<{ account: string, amount: string }>, delegations: Array<{ slark: string, provider: string, amount: string }> } } }
const savedReport = (slark: string, era: number): SavedReport =>
  JSON.parse(readFileSync(join(devnet.info.nodes.find(n => n.name === slark)!.dataDir, 'eras', `${era}.json`), 'utf8')) as SavedReport

/** A quorum settles an era once two slarks have their reports: the third may be a moment behind. */
async function everyReport (eras: number): Promise<void> {
  const has = (s: string, e: number): boolean => existsSync(join(devnet.info.nodes.find(n => n.name === s)!.dataDir, 'eras', `${e}.json`))
  await waitFor(async () => ['slark-1', 'slark-2', 'slark-3'].every(s => Array.from({ length: eras }, (_, e) => e).every(e => has(s, e))), 30_000, `every slark's reports of eras 0–${eras - 1}`)
}

test('eras settle in order: the three slarks computed the same reports, and those are the ones on chain', async () => {
  const d = devnet.info.chain!.deployment
  await waitFor(async () => await nextEra(c, d) >= 2n, 240_000, 'two eras settled')
  await everyReport(2)
  for (const era of [0, 1]) {
    const onChain = (await eraRecord(c, d, BigInt(era))).reportHash
    // The quorum may settle before the last slark's 2-second tick has computed the era.
    const file = (s: string): string => join(devnet.info.nodes.find(n => n.name === s)!.dataDir, 'eras', `${era}.json`)
    await waitFor(async () => ['slark-1', 'slark-2', 'slark-3'].every(s => existsSync(file(s))), 30_000, `every slark's report of era ${era}`)
    const reports = ['slark-1', 'slark-2', 'slark-3'].map(s => savedReport(s, era))
    for (const [i, r] of reports.entries()) {
      const other = reports.find(x => x.hash === onChain)
      assert.is(r.hash, onChain, `slark-${i + 1}'s report of era ${era} differs: ${other === undefined ? 'none matches the chain' : firstDifference(other.input, r.input) ?? 'same input'}`)
    }
  }
})

test('the spoofer is slashed from its stake for each failed challenge and paid for its other hours; slarks\' rewards are delegated in their name', async () => {
  const d = devnet.info.chain!.deployment
  const settled = Number(await nextEra(c, d))
  await everyReport(settled)
  const reports = Array.from({ length: settled }, (_, e) => savedReport('slark-1', e).report.payouts)
  const sum = (xs: Array<{ amount: string }>): bigint => xs.reduce((a, x) => a + BigInt(x.amount), 0n)
  const spoofer = wallet('provider-2')
  const slashed = sum(reports.flatMap(r => r.slashes.filter(x => x.account === spoofer)))
  const failed = results.filter(r => r.provider === spoofer && !r.passed && Number(r.slot) < settled * 6)
  assert.is(slashed > 0n, failed.length > 0, `${failed.length} failed challenges, ${slashed} wei slashed`)
  const stake = await read<bigint>(c, 'stake', { address: d.staking, abi: StakingAbi, functionName: 'selfStake', args: [spoofer] })
  assert.is(stake, parseAmount('100') - slashed, 'the slash left the spoofer\'s own stake')
  // The spoofer (tier 4) still earns its other hours; the honest provider-1 holds tier 7, which earns nothing.
  assert.ok(sum(reports.flatMap(r => r.rewards.filter(x => x.account === spoofer))) > 0n, 'the spoofer earned its other hours')
  // Its declared attributes (SSD storage, high-speed connectivity) add 500 + 500 bps to its trust multiplier.
  for (let e = 0; e < settled; e++) {
    const p = (savedReport('slark-1', e).report as unknown as { providers: Array<{ address: string, rewardTier: number, trustBps: number, attributeBps: number, multiplierBps: number }> }).providers.find(x => x.address === spoofer)!
    assert.is(p.attributeBps, 1_000, `era ${e}: attribute bps`)
    assert.is(p.multiplierBps, p.rewardTier === 7 ? 0 : p.trustBps + 1_000, `era ${e}: multiplier`)
  }
  assert.is(sum(reports.flatMap(r => r.rewards.filter(x => x.account === wallet('provider-1')))), 0n)
  assert.is(sum(reports.flatMap(r => r.slashes.filter(x => x.account === wallet('provider-1')))), 0n)
  // A slark earns for the committees it sat on in an era's roster (one that registered after the
  // era's first slot opened sits out that era): at least one did, and each got exactly its share.
  const delegatedBy = (s: string): bigint => sum(reports.flatMap(r => r.delegations.filter(x => x.slark === wallet(s))))
  assert.ok(['slark-1', 'slark-2', 'slark-3'].some(s => delegatedBy(s) > 0n), 'slarks earned era rewards')
  for (const s of ['slark-1', 'slark-2', 'slark-3']) {
    const onChain = await read<bigint>(c, 'delegation', { address: d.staking, abi: StakingAbi, functionName: 'delegation', args: [wallet(s), wallet('provider-1')] })
    assert.is(onChain, delegatedBy(s), `${s}'s 80 % delegated to provider-1 in its name`)
  }
})

test('the honest provider is promoted 7 → 6 exactly when it has met tier 6 three eras in a row', async () => {
  const d = devnet.info.chain!.deployment
  interface P { address: string, tierBefore: number, tierAfter: number, bestTierMet: number | null }
  const p1 = (e: number): P => (savedReport('slark-1', e).report as unknown as { providers: P[] }).providers.find(p => p.address === wallet('provider-1'))!
  /** The era that completes three in a row meeting tier 6 (a loaded machine can make an era miss, e.g. on response time). */
  const due = (settled: number): number | null => {
    let streak = 0
    for (let e = 0; e < settled; e++) {
      streak = p1(e).bestTierMet !== null && p1(e).bestTierMet! <= 6 ? streak + 1 : 0
      if (streak === 3) return e
    }
    return null
  }
  await waitFor(async () => { const n = Number(await nextEra(c, d)); return n >= 3 && (due(n) !== null || n >= 6) }, 400_000, 'three eras in a row meeting tier 6')
  const settled = Number(await nextEra(c, d))
  await everyReport(settled)
  const promotedAt = due(settled)
  assert.ok(promotedAt !== null, `tiers met: ${Array.from({ length: settled }, (_, e) => String(p1(e).bestTierMet)).join(', ')}`)
  for (let e = 0; e < settled; e++) {
    const expected = e < promotedAt! ? [7, 7] : e === promotedAt ? [7, 6] : [6, p1(e).tierAfter]
    assert.equal([p1(e).tierBefore, p1(e).tierAfter], expected, `era ${e}`)
  }
  assert.is((await nodeRecord(c, d, wallet('provider-1'))).tier, p1(settled - 1).tierAfter, 'the Rewards contract set the tier')
  // Fizz nodes publish no heartbeats: their gateway's, listing the fizz nodes its polls found online, keep them up.
  for (const e of [1, 2]) {
    for (const name of FIZZ) {
      const fizz = (savedReport('slark-1', e).report as unknown as { providers: Array<{ address: string, uptimePpm: number }> }).providers.find(p => p.address === wallet(name))!
      assert.is(fizz.uptimePpm, 1_000_000, `${name} up all of era ${e}`)
    }
  }
})

test('slarks time each other: the settled eras\' inputs carry the slarks\' response times as their peers measured them, the same at every slark', async () => {
  const settled = Number(await nextEra(c, devnet.info.chain!.deployment))
  await everyReport(settled)
  interface SlarkIn { address: string, response: { count: number, totalMs: number } }
  interface SlarkOut { address: string, meanResponseMs: number | null, missed: string[] }
  let measured = 0
  for (let e = 0; e < settled; e++) {
    const reports = ['slark-1', 'slark-2', 'slark-3'].map(s => savedReport(s, e) as unknown as { input: { slarks: SlarkIn[] }, report: { slarks: SlarkOut[] } })
    for (const r of reports) assert.equal(r.input.slarks, reports[0].input.slarks, `era ${e}: the same slark inputs at every slark`)
    for (const s of reports[0].input.slarks.filter(x => x.response.count > 0)) {
      measured++
      const out = reports[0].report.slarks.find(x => x.address === s.address)!
      assert.is(out.meanResponseMs, s.response.totalMs / s.response.count)
      console.log(`era ${e}: ${s.address} mean response ${Math.round(out.meanResponseMs!)} ms over ${s.response.count} challenges; missed: ${out.missed.join(', ') || 'nothing'}`)
    }
  }
  // Devnet eras are a quarter of an epoch: most challenges are the newcomers' of the first slots.
  assert.ok(measured > 0, 'a slark\'s response time was measured by its peers in some era')
})

test('slarks report their work on /status and in metrics', async () => {
  const s = devnet.info.nodes.find(n => n.name === 'slark-1')!
  await waitFor(async () => ((await (await fetch(`${s.api}/status`)).json()) as { slark: { eras: { settled: number } } }).slark.eras.settled >= 3, 10_000, 'slark-1 to carry three eras')
  const status = await (await fetch(`${s.api}/status`)).json() as { slark: { slots: number, votes: number, eras: { settled: number } }, bls: string }
  assert.ok(status.slark.slots > 0)
  assert.ok(status.slark.votes > 0)
  assert.ok(status.slark.eras.settled >= 3)
  assert.is(status.bls, 'blst-native')
  const metrics = await (await fetch(`${s.api}/metrics`)).text()
  assert.match(metrics, /dcn_challenge_votes_total\{verdict="pass"\} [1-9]/)
})

test.run()
