/**
 * A slark's challenge loop (SPEC.md, Slark). Every slot: make sure the slot is opened on chain
 * (its seed), work out which providers the slot challenges, and for each one whose committee
 * this slark sits on:
 *
 * 1. the first member of the committee (the leader) draws a secret puzzle, commits its hash and
 *    the spec's on chain, and reveals the puzzle on `dcn/1/attestations`; when nothing is
 *    committed a little later (the leader is offline), the next member leads, and so on down
 *    the committee (the contract takes the first commitment);
 * 2. every member checks the reveal against the commitment and against the spec it derives
 *    itself, asks the provider over `/dcn/challenge/1.0.0`, judges the answer, BLS-signs the
 *    verdict and publishes its vote. Fizz nodes are asked through their gateway, all of one
 *    gateway's in the slot in one `/dcn/challenge/subnet/1.0.0` request (the reveals are
 *    gathered for a few seconds); the gateway's sealed aggregate is checked and split, and every
 *    fizz node's proof judged on its own;
 * 3. every member tallies the votes; once a strict majority agrees, members submit the aggregate
 *    in committee order, a few seconds apart, unless the result is on chain already.
 *
 * Members time each other: how long after this member's own vote on a challenge another
 * member's vote on it arrived (`SlarkLag`; 0 when it came first). Both had the provider's answer
 * at the same moment and do the same work on it, so this is the other's delay beyond a peer's,
 * measured by the peer and not claimed by the slark itself. The observations ride in this
 * member's next vote, so every slark sees the same ones, and become the slarks' response times
 * in the era reports.
 *
 * The chain, the network and the signing keys come in through `SlarkEnv`, so the loop runs the
 * same over real libp2p and anvil (the `dcn` node) or anything else that provides them.
 */
import { randomBytes } from 'node:crypto'
import {
  MAX_SEEN_LAGS, MAX_SUBNET_BATCH, blsSign, challengeDeadlineMs, puzzleHashOf, specHash, verifySubnetAnswer, type Address, type Capacity, type ChallengeAnswer,
  type ChallengeRequest, type ChallengeReveal, type ChallengeSpec, type ChallengeVote, type Hex, type SlarkLag, type SubnetChallengeAnswer,
  type SubnetChallengeRequest, type SubnetEntry, type SubnetOutcome, verifySubnetEntry
} from '@dcn/protocol'
import { challengeSpec } from './challenge-spec.js'
import { epochOf, firstSlotOf, newcomers, slotAt, slotProviders, slotStart, type ScheduledProvider, type SlotClock } from './schedule.js'
import { Tally, type Member, type Quorum } from './tally.js'
import { ballotOf, judge, type Verdict } from './verdict.js'

export interface RegisteredProvider extends ScheduledProvider {
  /** Registered capacity (what the challenge draws from). */
  capacity: Capacity
  /** A fizz node's gateway (it is asked through it); absent for a provider. */
  gateway?: Address
}

export interface ChallengeState {
  resulted: boolean
  committer: Address
  puzzleHash: Hex
  specHash: Hex
}

export interface SlarkChain {
  clock: SlotClock
  /** The slot's seed, null while it is not opened. */
  slotSeed: (slot: number) => Promise<Hex | null>
  /** Opens the current slot; fails harmlessly when another slark was first. */
  openSlot: () => Promise<void>
  /** The seed the epoch's plan is drawn from: its first opened slot's. */
  epochSeed: (epoch: number) => Promise<Hex | null>
  /** Registered providers; `reports` counts users' reports up to `asOf` (unix seconds; default: now). */
  providers: (asOf?: number) => Promise<RegisteredProvider[]>
  /** One registered provider as the chain has it now (a list read a moment ago may predate a newcomer); undefined when unknown. */
  provider: (address: Address) => Promise<RegisteredProvider | undefined>
  /** What the provider's active leases hold of its capacity. */
  inUse: (provider: Address) => Promise<Capacity>
  /** The slot's committee for the provider (bitmap order), with their BLS keys. */
  committee: (slot: number, provider: Address) => Promise<Member[]>
  challenge: (slot: number, provider: Address) => Promise<ChallengeState>
  commit: (slot: number, provider: Address, puzzleHash: Hex, specHash: Hex) => Promise<void>
  submit: (slot: number, provider: Address, passed: boolean, answerHash: Hex, q: Quorum) => Promise<void>
}

export interface SlarkNet {
  /**
   * Sends the request to the provider (or its gateway) and returns its answer, calling
   * `onAccepted` when the provider acknowledges it; throws with the reason otherwise.
   */
  ask: (provider: Address, req: ChallengeRequest, timeoutMs: number, onAccepted: () => void) => Promise<ChallengeAnswer>
  /**
   * Sends one request for several fizz nodes to their gateway and returns its sealed aggregate
   * (unverified), calling `onAccepted` when the gateway acknowledges and `onEntry` with each
   * entry as it arrives; throws with the reason otherwise.
   */
  askSubnet: (gateway: Address, req: SubnetChallengeRequest, timeoutMs: number, onAccepted: () => void, onEntry: (e: SubnetEntry) => void) => Promise<SubnetChallengeAnswer>
  answerSigner: (answer: ChallengeAnswer) => Promise<Address | null>
  publishReveal: (body: ChallengeReveal) => Promise<void>
  publishVote: (body: ChallengeVote) => Promise<void>
}

export interface SlarkEnv {
  me: Address
  chainId: number
  /** The Challenges contract (part of the signed message). */
  challenges: Address
  blsSecret: Uint8Array
  signRequest: (r: Omit<ChallengeRequest, 'sig'>) => Promise<ChallengeRequest>
  chain: SlarkChain
  net: SlarkNet
  /** The fixed part of every challenge's deadline (see challengeDeadlineMs). */
  deadlineMs: number
  /** How long reveals for one gateway's fizz nodes are gathered at most (default SUBNET_GATHER_MS). */
  subnetGatherMs?: number
  /** Devnet only: vote against what it verified. */
  lie?: boolean
  now?: () => number
  log: { info: (m: string, f?: Record<string, unknown>) => void, warn: (m: string, f?: Record<string, unknown>) => void, debug: (m: string, f?: Record<string, unknown>) => void }
  /** Counts, for the node's metrics. */
  onVote?: (v: Verdict) => void
  onResult?: (slot: number, provider: Address, passed: boolean, submittedByMe: boolean) => void
  onResponse?: (ms: number) => void
}

/** What this slark knows of one challenge (slot, provider) it sits on. */
interface Seat {
  slot: number
  provider: Address
  committee: Member[]
  tally: Tally
  /** The spec this slark derives; null until computed. */
  spec?: ChallengeSpec
  revealed: boolean
  voted: boolean
  submitted: boolean
  /** Whether other members' votes on this challenge are timed (see `SlarkLag`). */
  timed: boolean
  /** When this member voted: other members' votes are timed from it. */
  votedAt?: number
  /** Other members' votes on this challenge: when each arrived. */
  arrivals: Map<Address, number>
}

/** What asking a provider (directly or through its gateway) came to. */
interface Asked {
  answer: ChallengeAnswer | null
  failure?: string
  /** Request → the provider's acknowledgement (-1: none came). */
  ackMs: number
  /** Request → answer (or failure). */
  responseMs: number
}

/** Fizz nodes of one gateway this member asks in one slot, gathered into one request. */
interface Batch {
  slot: number
  gateway: Address
  items: Array<{ provider: Address, puzzle: Hex, spec: ChallengeSpec, deadlineMs: number, done: (a: Asked) => void }>
  timer?: NodeJS.Timeout
}

/**
 * How long committee member k waits (k × this) before leading a challenge nobody committed to:
 * long enough for the leader's commitment to be mined, short enough that the k-th backup still
 * commits within the first half of the slot.
 */
export function backupLeadDelayMs (slotSeconds: number, committeeSize: number): number {
  return Math.min(5_000, Math.max(1_500, slotSeconds * 1000 / (2 * committeeSize)))
}

/** How far apart members submit a quorum, in committee order (the first one usually suffices). */
const SUBMIT_STAGGER_MS = 2_000
const MESSAGE_TTL_S = 120
/** A member waits this much past a provider's deadline for its answer to travel. */
const ANSWER_SLACK_MS = 5_000
/**
 * How long a member gathers the reveals of one gateway's fizz nodes before asking it (less when
 * all it expects came): leaders commit one at a time, about a block apart.
 */
export const SUBNET_GATHER_MS = 4_000

export class Slark {
  private readonly seats = new Map<string, Promise<Seat | null>>()
  private timer?: NodeJS.Timeout
  private lastSlot = -1
  private readonly now: () => number
  /** Open batches by `slot:gateway`. */
  private readonly batches = new Map<string, Batch>()
  /** Per slot, the fizz nodes of each gateway this member sits on the committee of. */
  private readonly expected = new Map<number, Map<Address, Set<Address>>>()
  /** Per slot, the gateways whose fizz nodes due in it all have one committee: every member asks for the same batch. */
  private readonly sameBatches = new Map<number, Set<Address>>()
  /** Other members' vote lags measured since this member's last vote. */
  private observed: SlarkLag[] = []
  /** `subnetRequests`: requests to gateways, `subnetFizz`: fizz nodes they covered. */
  readonly stats = { slots: 0, led: 0, votes: 0, submitted: 0, providerRequests: 0, subnetRequests: 0, subnetFizz: 0 }

  constructor (private readonly env: SlarkEnv) {
    this.now = env.now ?? Date.now
  }

  start (): void {
    this.timer = setInterval(() => { this.tick() }, 1000)
    this.tick()
  }

  stop (): void {
    clearInterval(this.timer)
  }

  private tick (): void {
    const slot = slotAt(this.env.chain.clock, this.now() / 1000)
    if (slot === this.lastSlot) return
    this.lastSlot = slot
    this.runSlot(slot).catch(err => { this.env.log.warn('slot failed', { slot, error: (err as Error).message }) })
    // Forget seats of long-past slots.
    for (const key of this.seats.keys()) if (Number(key.split(':')[0]) < slot - 8) this.seats.delete(key)
    for (const s of this.expected.keys()) if (s < slot - 8) this.expected.delete(s)
    for (const s of this.sameBatches.keys()) if (s < slot - 8) this.sameBatches.delete(s)
  }

  private async runSlot (slot: number): Promise<void> {
    const { chain, log, me } = this.env
    let seed = await chain.slotSeed(slot)
    // The chain's clock may lag this one by a block: try for a few seconds.
    for (let attempt = 0; seed === null && attempt < 5 && slotAt(chain.clock, this.now() / 1000) === slot; attempt++) {
      await chain.openSlot().catch((err: Error) => { log.debug('open slot', { slot, error: err.message }) })
      seed = await chain.slotSeed(slot)
      if (seed === null) await new Promise(resolve => setTimeout(resolve, 700))
    }
    if (seed === null) { log.warn('slot not opened', { slot }); return }
    this.stats.slots++
    const epochSeed = await chain.epochSeed(epochOf(slot))
    if (epochSeed === null) return
    // Reports count up to the epoch's start, so the plan is the same all epoch and for every slark.
    const providers = await chain.providers(slotStart(chain.clock, firstSlotOf(epochOf(slot))))
    // A newcomer is challenged in the first slot after its registration that commits to it.
    const challenged = new Set<string>()
    await Promise.all(newcomers(chain.clock, slot, providers).map(async p => {
      for (let s = firstSlotOf(epochOf(slot)); s < slot; s++) {
        if (BigInt((await chain.challenge(s, p)).committer) !== 0n) { challenged.add(p.toLowerCase()); return }
      }
    }))
    const due = slotProviders(chain.clock, slot, epochSeed, providers, challenged)
    if (due.length > 0) log.debug('slot', { slot, providers: due.length })
    const seats = await Promise.all(due.map(async provider => await this.seat(slot, provider)))
    // The fizz nodes this member will ask each gateway about: a batch is complete once all came.
    const expected = new Map<Address, Set<Address>>()
    for (const seat of seats) {
      const gateway = seat === null ? undefined : providers.find(p => p.address.toLowerCase() === seat.provider.toLowerCase())?.gateway
      if (seat === null || gateway === undefined) continue
      const g = gateway.toLowerCase() as Address
      expected.set(g, (expected.get(g) ?? new Set()).add(seat.provider.toLowerCase() as Address))
    }
    this.expected.set(slot, expected)
    this.sameBatches.set(slot, await this.gatewaysWithOneCommittee(slot, due, providers))
    for (const b of this.batches.values()) if (b.slot === slot) this.fireWhenComplete(b)
    await Promise.all(seats.map(async seat => {
      if (seat === null) return
      const provider = seat.provider
      const rank = seat.committee.findIndex(m => m.address.toLowerCase() === me.toLowerCase())
      if (rank > 0) {
        await new Promise(resolve => setTimeout(resolve, rank * backupLeadDelayMs(chain.clock.slotSeconds, seat.committee.length)))
        if (seat.revealed || slotAt(chain.clock, this.now() / 1000) !== slot) return
        if (BigInt((await chain.challenge(slot, provider)).committer) !== 0n) return
        log.info('leading in place of an absent leader', { slot, provider, rank })
      }
      await this.lead(seat, seed, providers.find(p => p.address.toLowerCase() === provider.toLowerCase())!)
        .catch((err: Error) => { log.warn('challenge not led', { slot, provider, error: err.message }) })
    }))
  }

  /**
   * Gateways whose fizz nodes due in the slot all have the same committee: every member's batch
   * for it is the same, so their answers arrive together and their votes can be timed against
   * each other (otherwise one member's batch may wait for a fizz node another's does not hold).
   */
  private async gatewaysWithOneCommittee (slot: number, due: Address[], providers: RegisteredProvider[]): Promise<Set<Address>> {
    const byGateway = new Map<Address, Address[]>()
    for (const p of due) {
      const g = providers.find(x => x.address.toLowerCase() === p.toLowerCase())?.gateway?.toLowerCase() as Address | undefined
      if (g !== undefined) byGateway.set(g, [...(byGateway.get(g) ?? []), p])
    }
    const same = new Set<Address>()
    await Promise.all([...byGateway].map(async ([g, fizz]) => {
      const committees = await Promise.all(fizz.map(async f => (await this.env.chain.committee(slot, f)).map(m => m.address.toLowerCase()).sort().join()))
      if (committees.every(c => c === committees[0])) same.add(g)
    }))
    return same
  }

  /** This slark's seat on the challenge, or null when it is not on the committee. */
  private async seat (slot: number, provider: Address): Promise<Seat | null> {
    const key = `${slot}:${provider.toLowerCase()}`
    let s = this.seats.get(key)
    if (s === undefined) {
      s = this.env.chain.committee(slot, provider).then(committee =>
        committee.some(m => m.address.toLowerCase() === this.env.me.toLowerCase())
          ? { slot, provider, committee, tally: new Tally(committee), revealed: false, voted: false, submitted: false, timed: false, arrivals: new Map() }
          : null)
      s.catch(() => { this.seats.delete(key) })
      this.seats.set(key, s)
    }
    return await s
  }

  /** The spec every member derives for the provider in this slot. */
  private async specFor (seat: Seat, seed: Hex, provider: RegisteredProvider): Promise<ChallengeSpec> {
    seat.spec ??= challengeSpec(seed, provider.address, provider.capacity, await this.env.chain.inUse(provider.address))
    return seat.spec
  }

  private async lead (seat: Seat, seed: Hex, provider: RegisteredProvider): Promise<void> {
    const { chain, net, log, me } = this.env
    const puzzle: Hex = `0x${randomBytes(32).toString('hex')}`
    const spec = await this.specFor(seat, seed, provider)
    try {
      await chain.commit(seat.slot, seat.provider, puzzleHashOf(puzzle), specHash(spec))
    } catch (err) {
      // A member before it committed after all (its transaction was still pending): its reveal leads.
      if (BigInt((await chain.challenge(seat.slot, seat.provider)).committer) !== 0n) return
      throw err
    }
    this.stats.led++
    const now = this.now()
    const reveal: ChallengeReveal = { slot: seat.slot, provider: seat.provider, puzzle, specHash: specHash(spec), leader: me, createdMs: now, expiry: Math.floor(now / 1000) + MESSAGE_TTL_S }
    log.info('challenge committed', { slot: seat.slot, provider: seat.provider, spec })
    await net.publishReveal(reveal).catch((err: Error) => { log.warn('reveal not published', { error: err.message }) })
    await this.onReveal(reveal)
  }

  /** A leader's reveal (ours or from gossip): check it, ask the provider, vote. */
  async onReveal (r: ChallengeReveal): Promise<void> {
    const { chain, net, log } = this.env
    const seat = await this.seat(r.slot, r.provider).catch(() => null)
    if (seat === null || seat.revealed) return
    seat.revealed = true
    const [seed, committed, provider] = await Promise.all([chain.slotSeed(r.slot), chain.challenge(r.slot, r.provider), chain.provider(r.provider)])
    if (seed === null || provider === undefined) { log.warn('reveal for an unknown slot or provider', { slot: r.slot, provider: r.provider }); return }
    const spec = await this.specFor(seat, seed, provider)
    // A reveal that does not match the chain, or a spec this slark does not derive, is no challenge: abstain.
    if (committed.committer.toLowerCase() !== r.leader.toLowerCase() || committed.puzzleHash !== puzzleHashOf(r.puzzle) ||
      committed.specHash !== r.specHash || specHash(spec) !== r.specHash) {
      log.warn('reveal does not match the commitment; abstaining', { slot: r.slot, provider: r.provider, leader: r.leader })
      return
    }
    const deadlineMs = challengeDeadlineMs(spec, this.env.deadlineMs)
    const asked = provider.gateway === undefined
      ? await this.askProvider(r, spec, deadlineMs)
      : await this.askThroughGateway(r.slot, provider.gateway, r.provider, r.puzzle, spec, deadlineMs)
    // Members' answers through a gateway wait for the rest of their batch: votes on them are
    // timed against each other only when every member's batch is the same.
    seat.timed = provider.gateway === undefined || this.sameBatches.get(r.slot)?.has(provider.gateway.toLowerCase() as Address) === true
    if (asked.ackMs >= 0) this.env.onResponse?.(asked.ackMs)
    const signer = asked.answer === null ? null : await net.answerSigner(asked.answer)
    const verdict = judge({
      slot: r.slot, provider: r.provider, puzzle: r.puzzle, spec, answer: asked.answer, signer, responseMs: asked.responseMs, deadlineMs: deadlineMs + ANSWER_SLACK_MS, failure: asked.failure
    })
    await this.vote(seat, verdict, asked.ackMs >= 0 ? asked.ackMs : asked.responseMs)
  }

  private async askProvider (r: ChallengeReveal, spec: ChallengeSpec, deadlineMs: number): Promise<Asked> {
    const req = await this.env.signRequest({ slot: r.slot, provider: r.provider, puzzle: r.puzzle, spec, time: Math.floor(this.now() / 1000) })
    const started = this.now()
    let ackMs = -1
    this.stats.providerRequests++
    try {
      // A little longer than the provider's own deadline, for the answer to travel.
      const answer = await this.env.net.ask(r.provider, req, deadlineMs + ANSWER_SLACK_MS, () => { ackMs = this.now() - started })
      return { answer, ackMs, responseMs: this.now() - started }
    } catch (err) {
      return { answer: null, failure: (err as Error).message, ackMs, responseMs: this.now() - started }
    }
  }

  /** Joins this fizz node to the member's batch for its gateway in the slot; resolves once the gateway's aggregate is in. */
  private async askThroughGateway (slot: number, gateway: Address, provider: Address, puzzle: Hex, spec: ChallengeSpec, deadlineMs: number): Promise<Asked> {
    const g = gateway.toLowerCase() as Address
    const key = `${slot}:${g}`
    let batch = this.batches.get(key)
    if (batch === undefined) {
      const b: Batch = batch = { slot, gateway: g, items: [] }
      this.batches.set(key, b)
      b.timer = setTimeout(() => { this.fire(b) }, this.env.subnetGatherMs ?? SUBNET_GATHER_MS)
    }
    return await new Promise<Asked>(resolve => {
      batch.items.push({ provider: provider.toLowerCase() as Address, puzzle, spec, deadlineMs, done: resolve })
      this.fireWhenComplete(batch)
    })
  }

  /** Asks at once when the batch is full or holds every fizz node this member expects in the slot. */
  private fireWhenComplete (b: Batch): void {
    const want = this.expected.get(b.slot)?.get(b.gateway)
    const complete = want !== undefined && [...want].every(p => b.items.some(i => i.provider === p))
    if (complete || b.items.length >= MAX_SUBNET_BATCH) this.fire(b)
  }

  private fire (b: Batch): void {
    const key = `${b.slot}:${b.gateway}`
    if (this.batches.get(key) !== b) return
    this.batches.delete(key)
    clearTimeout(b.timer)
    this.askSubnet(b).catch((err: Error) => {
      for (const i of b.items) i.done({ answer: null, failure: err.message, ackMs: -1, responseMs: 0 })
    })
  }

  private async askSubnet (b: Batch): Promise<void> {
    const { env } = this
    const time = Math.floor(this.now() / 1000)
    const requests = await Promise.all(b.items.map(async i => await env.signRequest({ slot: b.slot, provider: i.provider, puzzle: i.puzzle, spec: i.spec, time })))
    const waitMs = Math.max(...b.items.map(i => i.deadlineMs)) + ANSWER_SLACK_MS
    const req: SubnetChallengeRequest = { gateway: b.gateway, requests, waitMs }
    const started = this.now()
    let ackMs = -1
    this.stats.subnetRequests++
    this.stats.subnetFizz += requests.length
    env.log.debug('asking a gateway', { slot: b.slot, gateway: b.gateway, fizz: requests.length })
    // Each fizz node is judged as soon as its entry checks out; the rest when the seal (or a failure) comes.
    const pending = new Map(b.items.map(i => [i.provider, i]))
    const settle = (o: SubnetOutcome): void => {
      const i = pending.get(o.provider)
      if (i === undefined) return
      pending.delete(o.provider)
      const elapsed = this.now() - started
      // The gateway's timings of this fizz node, after its own acknowledgement.
      i.done({
        answer: o.answer,
        failure: o.failure,
        ackMs: ackMs >= 0 && o.ackMs !== null && o.ackMs > 0 ? ackMs + o.ackMs : -1,
        responseMs: ackMs >= 0 && o.tookMs !== null ? Math.min(elapsed, ackMs + o.tookMs) : elapsed
      })
    }
    let checking = Promise.resolve()
    try {
      const aggregate = await env.net.askSubnet(b.gateway, req, waitMs, () => { ackMs = this.now() - started }, (e) => {
        checking = checking.then(async () => { const o = await verifySubnetEntry(env.chainId, req, e); if (o !== null) settle(o) })
      })
      await checking
      for (const o of await verifySubnetAnswer(env.chainId, req, aggregate)) settle(o)
    } catch (err) {
      await checking.catch(() => {})
      const failure = `through its gateway: ${(err as Error).message}`
      for (const i of pending.values()) settle({ provider: i.provider, answer: null, failure, ackMs: null, tookMs: null })
    }
  }

  /** This member voted: time the other members' votes from now (the ones already in came first). */
  private ready (seat: Seat, at: number): void {
    if (!seat.timed) return
    seat.votedAt = at
    for (const [slark, arrived] of seat.arrivals) this.observe(seat, slark, arrived)
  }

  private observe (seat: Seat, slark: Address, arrivedAt: number): void {
    this.observed.push({ slot: seat.slot, provider: seat.provider.toLowerCase() as Address, slark, ms: Math.min(2 ** 32 - 1, Math.max(0, Math.round(arrivedAt - seat.votedAt!))) })
    // A member that stopped voting should not grow this without bound: keep the newest.
    if (this.observed.length > 8 * MAX_SEEN_LAGS) this.observed.splice(0, this.observed.length - 8 * MAX_SEEN_LAGS)
  }

  /** `responseMs`: how long the provider took to acknowledge (to answer, when it never did). */
  private async vote (seat: Seat, honest: Verdict, responseMs: number): Promise<void> {
    const { env } = this
    if (seat.voted) return
    seat.voted = true
    const v: Verdict = env.lie === true
      ? { passed: !honest.passed, answerHash: honest.answerHash, reason: `lying about: ${honest.reason}` }
      : honest
    const ballot = ballotOf(env.chainId, env.challenges, seat.slot, seat.provider, v.passed, v.answerHash)
    const blsSig = blsSign(env.blsSecret, ballot.message)
    const now = this.now()
    const body: ChallengeVote = {
      slot: seat.slot, provider: seat.provider, passed: v.passed, answerHash: v.answerHash, slark: env.me, blsSig,
      responseMs: Math.min(responseMs, 2 ** 32 - 1), reason: v.reason.slice(0, 200), seen: this.observed.splice(0, MAX_SEEN_LAGS),
      createdMs: now, expiry: Math.floor(now / 1000) + MESSAGE_TTL_S
    }
    this.stats.votes++
    env.onVote?.(v)
    this.ready(seat, now)
    env.log.info('voted', { slot: seat.slot, provider: seat.provider, passed: v.passed, reason: v.reason })
    await env.net.publishVote(body).catch((err: Error) => { env.log.warn('vote not published', { error: err.message }) })
    await this.onVote(body)
  }

  /** A committee member's vote (ours or from gossip). */
  async onVote (v: ChallengeVote): Promise<void> {
    const arrivedAt = this.now()
    const seat = await this.seat(v.slot, v.provider).catch(() => null)
    if (seat === null) return
    const ballot = ballotOf(this.env.chainId, this.env.challenges, v.slot, v.provider, v.passed, v.answerHash)
    const outcome = seat.tally.add(v.slark, ballot, v.blsSig)
    if (outcome !== 'added') {
      if (outcome !== 'duplicate') this.env.log.warn('vote refused', { slot: v.slot, provider: v.provider, slark: v.slark, outcome })
      return
    }
    const voter = v.slark.toLowerCase() as Address
    if (voter !== this.env.me.toLowerCase() && !seat.arrivals.has(voter)) {
      seat.arrivals.set(voter, arrivedAt)
      if (seat.votedAt !== undefined) this.observe(seat, voter, arrivedAt)
    }
    const q = seat.tally.quorum()
    if (q !== null && !seat.submitted) {
      seat.submitted = true
      await this.submit(seat, q)
    }
  }

  /** Members submit in committee order, each waiting for the ones before it. */
  private async submit (seat: Seat, q: Quorum): Promise<void> {
    const { env } = this
    const rank = seat.committee.findIndex(m => m.address.toLowerCase() === env.me.toLowerCase())
    if (rank > 0) await new Promise(resolve => setTimeout(resolve, rank * SUBMIT_STAGGER_MS))
    const passed = q.ballot.key !== 'fail'
    const answerHash = passed ? q.ballot.key.slice('pass:'.length) as Hex : `0x${'00'.repeat(32)}` as Hex
    const state = await env.chain.challenge(seat.slot, seat.provider)
    if (state.resulted) { env.onResult?.(seat.slot, seat.provider, passed, false); return }
    try {
      await env.chain.submit(seat.slot, seat.provider, passed, answerHash, q)
      this.stats.submitted++
      env.log.info('result on chain', { slot: seat.slot, provider: seat.provider, passed, signers: q.signers.length, of: seat.committee.length })
      env.onResult?.(seat.slot, seat.provider, passed, true)
    } catch (err) {
      // Another member's submission landed first, most likely.
      env.log.debug('result not submitted', { slot: seat.slot, provider: seat.provider, error: (err as Error).message })
    }
  }
}
