/**
 * Who leads a challenge: the committee's first member, or — when it is absent — the next one
 * after a short wait. The slarks here run their real loop over an in-memory chain and network
 * (first commitment wins, as in the contract); the provider is unreachable, so they agree it failed.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { generateBlsKey, type Address, type Hex } from '@dcn/protocol'
import { Slark, backupLeadDelayMs, type ChallengeState, type SlarkChain, type SlarkEnv } from '../src/slark.js'
import type { Member } from '../src/tally.js'

const addr = (i: number): Address => `0x${i.toString(16).padStart(40, '0')}`
const SEED: Hex = `0x${'ab'.repeat(32)}`
const ZERO: Address = addr(0)
const quiet = { info: () => {}, warn: () => {}, debug: () => {} }

interface World {
  commits: Array<{ slot: number, provider: Address, committer: Address }>
  results: Array<{ slot: number, provider: Address, passed: boolean, signers: number }>
  slarks: Slark[]
}

/** Three committee members; those in `present` run. Slots of 6 s starting now. */
function world (present: number[]): World {
  const keys = [0, 1, 2].map(() => generateBlsKey())
  const members: Member[] = keys.map((k, i) => ({ address: addr(100 + i), blsKey: k.publicKey }))
  const clock = { genesis: Math.floor(Date.now() / 1000), slotSeconds: 6 }
  // 24 providers registered long ago: the epoch's plan challenges one in every slot.
  const providers = Array.from({ length: 24 }, (_, i) => ({
    address: addr(1 + i), registeredAt: clock.genesis - 100_000, reports: 0, capacity: { cpu: 1000, memory: 2 ** 30, storage: 2 ** 30, gpuUnits: 0 }
  }))
  const states = new Map<string, ChallengeState>()
  const state = (slot: number, provider: Address): ChallengeState => {
    const key = `${slot}:${provider.toLowerCase()}`
    if (!states.has(key)) states.set(key, { resulted: false, committer: ZERO, puzzleHash: `0x${'00'.repeat(32)}`, specHash: `0x${'00'.repeat(32)}` })
    return states.get(key)!
  }
  const w: World = { commits: [], results: [], slarks: [] }
  for (const i of present) {
    const me = members[i].address
    const chain: SlarkChain = {
      clock,
      slotSeed: async () => SEED,
      openSlot: async () => {},
      epochSeed: async () => SEED,
      providers: async () => providers,
      provider: async a => providers.find(p => p.address.toLowerCase() === a.toLowerCase()),
      inUse: async () => ({ cpu: 0, memory: 0, storage: 0, gpuUnits: 0 }),
      committee: async () => members,
      challenge: async (slot, provider) => ({ ...state(slot, provider) }),
      commit: async (slot, provider, puzzleHash, specHash) => {
        await new Promise(resolve => setTimeout(resolve, 300)) // mined a little later
        const s = state(slot, provider)
        if (s.committer !== ZERO) throw new Error('Challenges: already committed for this slot and provider')
        Object.assign(s, { committer: me, puzzleHash, specHash })
        w.commits.push({ slot, provider, committer: me })
      },
      submit: async (slot, provider, passed, _answerHash, q) => {
        const s = state(slot, provider)
        if (s.resulted) throw new Error('Challenges: a result is already recorded')
        s.resulted = true
        w.results.push({ slot, provider, passed, signers: q.signers.length })
      }
    }
    const env: SlarkEnv = {
      me,
      chainId: 31337,
      challenges: addr(999),
      blsSecret: keys[i].secretKey,
      signRequest: async r => ({ ...r, sig: '0x' }),
      chain,
      net: {
        ask: async () => { throw new Error('provider unreachable') },
        askSubnet: async () => { throw new Error('gateway unreachable') },
        answerSigner: async () => null,
        publishReveal: async r => { for (const s of w.slarks) if (s !== slark) void s.onReveal(r) },
        publishVote: async v => { for (const s of w.slarks) if (s !== slark) void s.onVote(v) }
      },
      deadlineMs: 1_000,
      log: quiet
    }
    const slark: Slark = new Slark(env)
    w.slarks.push(slark)
  }
  return w
}

async function runFor (w: World, ms: number): Promise<void> {
  for (const s of w.slarks) s.start()
  await new Promise(resolve => setTimeout(resolve, ms))
  for (const s of w.slarks) s.stop()
}

test('the backup delay fits the slot: within its first half for the whole committee, at least 1.5 s', () => {
  assert.is(backupLeadDelayMs(8, 3), 1_500)
  assert.is(backupLeadDelayMs(20, 3), 20_000 / 6)
  assert.is(backupLeadDelayMs(3600, 3), 5_000)
  for (const [slot, size] of [[8, 3], [20, 3], [60, 5], [600, 21]]) {
    assert.ok((size - 1) * backupLeadDelayMs(slot, size) <= slot * 1000 / 2 || backupLeadDelayMs(slot, size) === 1_500)
  }
})

test('the first member leads; the others never commit', async () => {
  const w = world([0, 1, 2])
  await runFor(w, 5_000)
  assert.ok(w.commits.length >= 1, 'a challenge was committed')
  assert.ok(w.commits.every(c => c.committer === addr(100)), `committers ${w.commits.map(c => c.committer).join(', ')}`)
  assert.ok(w.results.length >= 1 && w.results.every(r => !r.passed && r.signers >= 2), JSON.stringify(w.results))
})

test('the leader absent: the second member leads after its wait, the third does not, and the result lands', async () => {
  const w = world([1, 2])
  await runFor(w, 5_500)
  assert.ok(w.commits.length >= 1, 'a challenge was committed')
  assert.ok(w.commits.every(c => c.committer === addr(101)), `committers ${w.commits.map(c => c.committer).join(', ')}`)
  assert.ok(w.results.length >= 1 && w.results.every(r => !r.passed && r.signers === 2), JSON.stringify(w.results))
})

test('only the third member present: it leads, and a lone vote is no quorum', async () => {
  const w = world([2])
  await runFor(w, 5_500)
  assert.ok(w.commits.length >= 1 && w.commits.every(c => c.committer === addr(102)))
  assert.is(w.results.length, 0)
})

test.run()
