/**
 * A slark that starts late — after eras settled without it, so it has none of their histories —
 * rejoins era consensus over real libp2p and anvil (no Docker: the provider is a registration on
 * chain that never comes online, so its carried history — an outage going on, growing era after
 * era — is what a slark starting from the registry would get wrong). slark-1 and slark-3 run
 * from the start; slark-2 starts once two eras have settled, fetches the last settled era's
 * histories from them over `/dcn/era/1.0.0` (checked against the hash on chain), and from the
 * first era it observed whole computes the same report. Then slark-3 stops: the roster of three
 * needs two signers, so every later era settles only with slark-2's BLS vote in the bitmap.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { existsSync, mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseAbiItem, parseEther, type Hex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import {
  ChallengesAbi, encodeCapacity, ensureStake, read, eraRecord, nextEra, registerNode, settlementClients, slotRecord, slotRoster,
  type Address, type Deployment, type SettlementClients
} from '@dcn/protocol'
import { startDevnetChain, type DevnetChain } from '../src/devnet/chain.js'
import { loadIdentity } from '../src/identity.js'
import { Cluster, waitFor, type TestNode } from './helpers/cluster.js'
import { firstDifference } from './helpers/first-difference.js'

const SLOT_SECONDS = 5
const ERA_SLOTS = 2
const ERA_SETTLED = parseAbiItem('event EraSettled(uint64 indexed era, bytes32 reportHash, uint256 signers)')

const cluster = new Cluster()
let chain: DevnetChain
let d: Deployment
let c: SettlementClients
let provider: Address
const slarks: Record<string, TestNode> = {}

interface SavedEra { hash: Hex, input?: unknown, fetchedFrom?: string, report?: { providers: Array<{ address: string, history: { offlineSeconds: number } }> } }
const saved = (name: string, era: number): SavedEra | null => {
  const file = join(slarks[name].dir, 'eras', `${era}.json`)
  return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) as SavedEra : null
}
const settledHash = async (era: number): Promise<Hex | null> => {
  const r = await eraRecord(c, d, BigInt(era))
  return r.settledAt === 0n ? null : r.reportHash
}
/** The era's roster (its first opened slot's) and the bitmap it was settled with. */
async function settlement (era: number): Promise<{ roster: string[], signers: string[] }> {
  let slot = era * ERA_SLOTS
  while (!(await slotRecord(c, d, BigInt(slot))).opened) slot++
  const roster = (await slotRoster(c, d, BigInt(slot))).map(m => m.address.toLowerCase())
  const log = (await c.public.getLogs({ address: d.rewards, event: ERA_SETTLED, args: { era: BigInt(era) }, fromBlock: 0n }))[0]
  return { roster, signers: roster.filter((_, i) => ((log.args.signers! >> BigInt(i)) & 1n) === 1n) }
}

async function startSlark (name: string, bootstrap: string[]): Promise<TestNode> {
  const dir = join(cluster.root, name)
  mkdirSync(dir, { recursive: true })
  await chain.fund((await loadIdentity(dir)).wallet.address, 0n)
  // Heartbeats every second: a slark's silence-is-evidence window opens 3 s after it starts.
  const node = await cluster.start(name, 'slark', {
    rpc: chain.anvil.rpcUrl, deployment: join(cluster.root, 'deployment.json'), heartbeat: '1s',
    slark: { stakeThresholds: ['7', '6', '5', '4', '3', '2', '1'] }
  }, bootstrap)
  slarks[name] = node
  return node
}

test.before(async () => {
  chain = await startDevnetChain(join(cluster.root, 'deployment.json'), { slotSeconds: SLOT_SECONDS, eraSlots: ERA_SLOTS })
  d = chain.deployment
  c = settlementClients(chain.anvil.rpcUrl, chain.anvil.chainId, privateKeyToAccount(chain.anvil.keys[1]))
  // The provider: registered and staked, never online.
  const pDir = join(cluster.root, 'provider')
  mkdirSync(pDir, { recursive: true })
  const id = await loadIdentity(pDir)
  const pc = settlementClients(chain.anvil.rpcUrl, chain.anvil.chainId, id.wallet)
  await chain.fund(id.wallet.address, parseEther('1000'))
  await registerNode(pc, d, 'provider', id.peerId, 'eu', undefined, encodeCapacity({ cpu: 1000, memory: 2 ** 28, storage: 2 ** 28, gpuUnits: 0 }))
  await ensureStake(pc, d, parseEther('100'))
  await chain.setTier(id.wallet.address, 7)
  provider = id.wallet.address.toLowerCase() as Address
  const s1 = await startSlark('slark-1', [])
  await startSlark('slark-3', [s1.addr])
})

test.after(async () => {
  await cluster.stop()
  await chain?.anvil.stop()
})

test('a slark starting after two eras settled fetches the histories from the others and computes the same reports', async () => {
  await waitFor(async () => await nextEra(c, d) >= 2n, 150_000, 'two eras settled by slark-1 and slark-3')
  const startedAt = Math.floor(Date.now() / 1000)
  const s2 = await startSlark('slark-2', [slarks['slark-1'].addr, slarks['slark-3'].addr])
  const peers = [slarks['slark-1'].peerId, slarks['slark-3'].peerId]
  // It fetched settled eras (the last one settled when it started, then each it could not have observed whole).
  await waitFor(async () => ((await s2.status()).slark?.eras.fetched ?? 0) >= 1, 60_000, 'slark-2 to fetch a settled era')
  const firstFetched = [...Array(Number(await nextEra(c, d))).keys()].find(e => saved('slark-2', e)?.fetchedFrom !== undefined)
  assert.ok(firstFetched !== undefined && firstFetched >= 1, 'a fetched era on disk')
  const f = saved('slark-2', firstFetched)!
  assert.ok(peers.includes(f.fetchedFrom!), `fetched from ${f.fetchedFrom}`)
  assert.is(f.hash, await settledHash(firstFetched))
  // Then an era it computed itself (not fetched) is the settled one.
  let agreed = -1
  await waitFor(async () => {
    const next = Number(await nextEra(c, d))
    for (let e = firstFetched + 1; e < next; e++) {
      const mine = saved('slark-2', e)
      if (mine !== null && mine.fetchedFrom === undefined && mine.hash === await settledHash(e)) { agreed = e; return true }
    }
    return false
  }, 150_000, 'slark-2 to compute a settled report itself')
  // Its history is the network's: the provider's outage carries over every era, slark-2's too.
  const off = saved('slark-2', agreed)!.report!.providers.find(p => p.address === provider)!.history.offlineSeconds
  const genesis = Number(await read<bigint>(c, 'genesis', { address: d.challenges, abi: ChallengesAbi, functionName: 'genesis' }))
  const eraEnd = genesis + (agreed + 1) * ERA_SLOTS * SLOT_SECONDS
  assert.ok(off > eraEnd - startedAt + SLOT_SECONDS, `the outage carried from before slark-2 started: ${off} s by the end of era ${agreed}, ${eraEnd - startedAt} s after slark-2 started`)
  assert.equal(saved('slark-1', agreed)!.hash, saved('slark-2', agreed)!.hash)
})

test('with slark-3 stopped, the next eras settle only with slark-2\'s vote: it is in the quorum', async () => {
  // Eras whose roster was taken before slark-2 registered need slark-3: stop it once they settled.
  const s2 = slarks['slark-2'].wallet
  const inRoster = async (era: number): Promise<boolean> => {
    for (let slot = era * ERA_SLOTS; slot < (era + 1) * ERA_SLOTS; slot++) {
      if ((await slotRecord(c, d, BigInt(slot))).opened) return (await slotRoster(c, d, BigInt(slot))).some(m => m.address.toLowerCase() === s2)
    }
    return false
  }
  // …and that it observed whole: silence became evidence to it 3 heartbeats after it started
  // listening (before it logged "slark running"), so it cannot agree on an era that began earlier.
  const running = /^(\S+) INFO slark slark running/m.exec(slarks['slark-2'].log())
  assert.ok(running !== null, 'slark-2 logged its start')
  const listening = Date.parse(running[1]) / 1000 + 3
  const genesis = Number(await read<bigint>(c, 'genesis', { address: d.challenges, abi: ChallengesAbi, functionName: 'genesis' }))
  const whole = Math.ceil((listening + 1 - genesis) / (ERA_SLOTS * SLOT_SECONDS))
  await waitFor(async () => {
    const next = Number(await nextEra(c, d))
    return next >= whole && await inRoster(next)
  }, 120_000, `the next era to settle (from ${whole}) to be one slark-2 observed whole, with it in the roster`)
  await slarks['slark-3'].stop()
  const from = Number(await nextEra(c, d))
  await waitFor(async () => await nextEra(c, d) >= BigInt(from + 2), 150_000, 'two more eras settled by slark-1 and slark-2').catch(async (err: Error) => {
    const stuck = Number(await nextEra(c, d))
    const [a, b] = [saved('slark-1', stuck), saved('slark-2', stuck)]
    throw new Error(`${err.message}; era ${stuck}: slark-1 ${String(a?.hash)}, slark-2 ${String(b?.hash)}; first difference ${firstDifference(a?.input, b?.input) ?? 'none in the input'}\n${slarks['slark-2'].log().split('\n').filter(l => /era|warn/i.test(l)).slice(-15).join('\n')}`)
  })
  for (const era of [from, from + 1]) {
    const { roster, signers } = await settlement(era)
    assert.equal([...roster].sort(), Object.values(slarks).map(n => n.wallet).sort())
    assert.ok(signers.includes(s2), `era ${era} settled by ${signers.join(', ')} without slark-2`)
    assert.is(saved('slark-2', era)!.fetchedFrom, undefined)
    assert.is(saved('slark-2', era)!.hash, await settledHash(era))
  }
  const last = await settlement(from + 1)
  assert.ok(last.roster.includes(s2) && last.signers.includes(s2), 'slark-2 signed the last era settled')
  const st = await slarks['slark-2'].status()
  assert.ok((st.slark?.eras.settled ?? 0) > (st.slark?.eras.fetched ?? 0), 'slark-2 carried eras of its own reports')
})

test.run()
