/**
 * The challenge loop over a scripted chain and network (pure unit test): fizz nodes of one
 * gateway revealed in a slot go out in one request and each is judged on its own part of the
 * sealed aggregate; members time each other's votes and carry the timings in their next vote.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { keccak256, toHex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import {
  assembleSubnetAnswer, blsSign, challengeAnswerSigner, generateBlsKey, puzzleHashOf, refusalEntry, answerEntry, signChallengeAnswer,
  signChallengeRequest, signSubnetEntry, signSubnetSeal, specHash, type Address, type ChallengeAnswer, type ChallengeReveal, type ChallengeVote, type Hex,
  type SubnetChallengeRequest
} from '@dcn/protocol'
import { challengeSpec } from '../src/challenge-spec.js'
import { Slark, type RegisteredProvider, type SlarkEnv } from '../src/slark.js'
import { ballotOf } from '../src/verdict.js'

const CHAIN = 31337
const CHALLENGES: Address = `0x${'cc'.repeat(20)}`
const key = (n: number): Hex => `0x${n.toString(16).padStart(64, '0')}`
const me = privateKeyToAccount(key(1))
const peer = privateKeyToAccount(key(2))
const gateway = privateKeyToAccount(key(3))
const [fizz1, fizz2, direct] = [privateKeyToAccount(key(4)), privateKeyToAccount(key(5)), privateKeyToAccount(key(6))]
const lower = (a: string): Address => a.toLowerCase() as Address
const [ME, PEER, GW, F1, F2, P] = [me, peer, gateway, fizz1, fizz2, direct].map(a => lower(a.address))
const myBls = generateBlsKey()
const peerBls = generateBlsKey()
const SEED = keccak256(toHex('seed'))
const SLOT = 5
const capacity = { cpu: 2000, memory: 2 ** 30, storage: 2 ** 30, gpuUnits: 0 }
const none = { cpu: 0, memory: 0, storage: 0, gpuUnits: 0 }
const puzzleOf = (p: Address): Hex => keccak256(toHex(`puzzle of ${p}`))
const providers: RegisteredProvider[] = [
  { address: F1, registeredAt: 0, reports: 0, capacity, gateway: GW },
  { address: F2, registeredAt: 0, reports: 0, capacity, gateway: GW },
  { address: P, registeredAt: 0, reports: 0, capacity }
]
const reveal = (p: Address): ChallengeReveal =>
  ({ slot: SLOT, provider: p, puzzle: puzzleOf(p), specHash: specHash(challengeSpec(SEED, p, capacity, none)), leader: ME, createdMs: Date.now(), expiry: Math.floor(Date.now() / 1000) + 60 })

interface Script {
  env: SlarkEnv
  slowFizzMs: number
  subnetAsks: SubnetChallengeRequest[]
  directAsks: Address[]
  votes: ChallengeVote[]
}

/** A committee of this slark and one peer; the gateway answers fizz-1 with a signed error and marks fizz-2 offline. */
function script (): Script {
  const s: Script = { subnetAsks: [], directAsks: [], votes: [], slowFizzMs: 0, env: undefined as unknown as SlarkEnv }
  const log = { info: () => {}, warn: () => {}, debug: () => {} }
  s.env = {
    me: ME,
    chainId: CHAIN,
    challenges: CHALLENGES,
    blsSecret: myBls.secretKey,
    signRequest: async (r) => await signChallengeRequest(me, CHAIN, r),
    deadlineMs: 1000,
    subnetGatherMs: 300,
    log,
    chain: {
      clock: { genesis: 0, slotSeconds: 10 },
      slotSeed: async () => SEED,
      openSlot: async () => {},
      epochSeed: async () => SEED,
      providers: async () => providers,
      provider: async a => providers.find(p => p.address.toLowerCase() === a.toLowerCase()),
      inUse: async () => none,
      committee: async () => [{ address: ME, blsKey: myBls.publicKey }, { address: PEER, blsKey: peerBls.publicKey }],
      challenge: async (_slot, p) => ({ resulted: false, committer: ME, puzzleHash: puzzleHashOf(puzzleOf(p)), specHash: specHash(challengeSpec(SEED, p, capacity, none)) }),
      commit: async () => {},
      submit: async () => {}
    },
    net: {
      ask: async (p, req, _timeoutMs, onAccepted): Promise<ChallengeAnswer> => {
        s.directAsks.push(p)
        onAccepted()
        return await signChallengeAnswer(direct, CHAIN, { slot: req.slot, provider: P, puzzleHash: puzzleHashOf(req.puzzle), proofHash: `0x${'00'.repeat(32)}`, error: 'out of memory', tookMs: 5 })
      },
      askSubnet: async (_g, req, _timeoutMs, onAccepted, onEntry) => {
        s.subnetAsks.push(req)
        onAccepted()
        const entries = await Promise.all(req.requests.map(async r => await signSubnetEntry(gateway, CHAIN, r.slot, r.provider === F1
          ? answerEntry(r, await signChallengeAnswer(fizz1, CHAIN, { slot: r.slot, provider: F1, puzzleHash: puzzleHashOf(r.puzzle), proofHash: `0x${'00'.repeat(32)}`, error: 'killed: out of memory', tookMs: 9 }), 3, 40)
          : refusalEntry(r, `fizz node ${r.provider} is offline`, 0, 1))))
        // fizz-2's entry arrives only after the seal would be due: fizz-1 is judged without waiting for it
        onEntry(entries.find(e => e.provider === F1)!)
        await new Promise(resolve => setTimeout(resolve, s.slowFizzMs))
        onEntry(entries.find(e => e.provider === F2)!)
        return assembleSubnetAnswer(entries, await signSubnetSeal(gateway, CHAIN, req.requests[0].slot, entries))
      },
      answerSigner: async (a) => await challengeAnswerSigner(CHAIN, a),
      publishReveal: async () => {},
      publishVote: async (v) => { s.votes.push(v) }
    }
  }
  return s
}

test('two fizz nodes of one gateway in a slot: one request, each judged on its own entry', async () => {
  const s = script()
  const slark = new Slark(s.env)
  await Promise.all([slark.onReveal(reveal(F1)), slark.onReveal(reveal(F2))])
  assert.is(s.subnetAsks.length, 1, 'one request to the gateway')
  assert.equal(s.subnetAsks[0].requests.map(r => r.provider).sort(), [F1, F2].sort())
  assert.is(s.subnetAsks[0].gateway, GW)
  assert.equal(slark.stats.subnetRequests, 1)
  assert.equal(slark.stats.subnetFizz, 2)
  const byProvider = new Map(s.votes.map(v => [v.provider, v]))
  assert.match(byProvider.get(F1)!.reason, /could not prove it: killed: out of memory/, 'fizz-1 judged on its own signed answer')
  assert.match(byProvider.get(F2)!.reason, /no answer through its gateway: fizz node .* is offline/, 'fizz-2 fails alone')
  assert.is(s.directAsks.length, 0)
})

test('a slow fizz node delays no other: each is voted on when its entry arrives', async () => {
  const s = script()
  s.slowFizzMs = 1500
  const slark = new Slark(s.env)
  const started = Date.now()
  const voted = new Map<Address, number>()
  const publish = s.env.net.publishVote
  s.env.net.publishVote = async (v) => { voted.set(v.provider, Date.now() - started); await publish(v) }
  await Promise.all([slark.onReveal(reveal(F1)), slark.onReveal(reveal(F2))])
  assert.ok(voted.get(F1)! < 1200, `fizz-1 voted after ${voted.get(F1)} ms`)
  assert.ok(voted.get(F2)! >= 1500, `fizz-2 voted after ${voted.get(F2)} ms`)
})

test('a provider is still asked directly, on its own', async () => {
  const s = script()
  const slark = new Slark(s.env)
  await slark.onReveal(reveal(P))
  assert.equal(s.directAsks, [P])
  assert.is(s.subnetAsks.length, 0)
  assert.match(s.votes[0].reason, /out of memory/)
})

test('a member times a peer\'s vote from its own and carries the timing in its next vote', async () => {
  const s = script()
  const slark = new Slark(s.env)
  await slark.onReveal(reveal(P))
  assert.equal(s.votes[0].seen, [], 'nothing measured before')
  // the peer's vote on the same challenge comes 120 ms after ours
  await new Promise(resolve => setTimeout(resolve, 120))
  const ballot = ballotOf(CHAIN, CHALLENGES, SLOT, P, false, `0x${'00'.repeat(32)}`)
  const peerVote: ChallengeVote = { ...s.votes[0], slark: PEER, blsSig: blsSign(peerBls.secretKey, ballot.message), seen: [] }
  await slark.onVote(peerVote)
  await slark.onVote(peerVote) // a duplicate is not timed twice
  // our next vote (fizz nodes of a gateway whose batch is not known to be the same at every member: not timed themselves)
  await Promise.all([slark.onReveal(reveal(F1)), slark.onReveal(reveal(F2))])
  const carried = s.votes.slice(1).flatMap(v => v.seen)
  assert.is(carried.length, 1)
  assert.equal({ ...carried[0], ms: 0 }, { slot: SLOT, provider: P, slark: PEER, ms: 0 })
  assert.ok(carried[0].ms >= 110 && carried[0].ms < 1000, `measured ${carried[0].ms} ms`)
})

test.run()
