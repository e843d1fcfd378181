/**
 * `/dcn/challenge/1.0.0` on a provider or fizz node: a committee slark asks for a proof of
 * capacity. The request must be fresh, signed by a member of the slot's committee for this
 * node, and name the puzzle and spec the leader committed on chain; anything else is refused
 * in one line. The prover runs once per puzzle (every member asks; all get the same signed
 * answer) in a container with exactly the spec, capped at the capacity this node really has
 * free — a node that registered more than it has fails here, for real. A request that checks out
 * is acknowledged at once (`{ accepted: true }`), the signed answer follows when proved.
 */
import type { PeerId } from '@libp2p/interface'
import type Docker from 'dockerode'
import type { LocalAccount } from 'viem/accounts'
import {
  CHALLENGE_PROTOCOL, Frames, challengeCommittee, challengeDeadlineMs, challengeRequestSigner, encodeCapacityProof, getChallenge,
  parseChallengeRequest, proofHash, puzzleHashOf, signChallengeAnswer, specHash, staleness,
  type Address, type ChallengeAnswer, type ChallengeRequest, type Deployment, type Hex, type Resources, type SettlementClients
} from '@dcn/protocol'
import type { Host } from '../../host.js'
import type { Logger } from '../../log.js'
import type { NodeMetrics } from '../../metrics.js'
import { runChallenge } from '../../runtime/challenge-runner.js'
import { REQUEST_TIMEOUT_MS, refuse } from './request-guard.js'
import { AccessError } from './workloads.js'

const ZERO_HASH: Hex = `0x${'00'.repeat(32)}`
/** Answers are kept this long, for the committee members who ask after the first. */
const ANSWER_TTL_MS = 10 * 60_000

export interface ChallengeServiceOptions {
  host: Host
  c: SettlementClients
  d: Deployment
  /** Signs the answers: the node's wallet (the one registered as this provider). */
  account: LocalAccount
  chainId: number
  docker: Docker
  /** What this node really has free now (not what it registered). */
  free: () => Resources
  /** The fixed part of a challenge's deadline (see challengeDeadlineMs). */
  deadlineMs: number
  /** A fizz node answers its gateway only. */
  onlyFrom?: PeerId
  metrics: NodeMetrics
  log: Logger
}

/**
 * A request checks out against the chain: fresh, signed by a member of the slot's committee for
 * its provider, naming the puzzle and spec the leader committed. Returns the signer; throws an
 * AccessError naming what is wrong. The provider checks its own requests, a gateway its fizz nodes'.
 */
export async function checkChallengeRequest (c: SettlementClients, d: Deployment, chainId: number, req: ChallengeRequest): Promise<Address> {
  const stale = staleness(req.time)
  if (stale !== null) throw new AccessError(stale)
  const signer = await challengeRequestSigner(chainId, req)
  if (signer === null) throw new AccessError('malformed signature')
  const [committee, committed] = await Promise.all([
    challengeCommittee(c, d, BigInt(req.slot), req.provider),
    getChallenge(c, d, BigInt(req.slot), req.provider)
  ])
  if (!committee.some(m => m.toLowerCase() === signer)) throw new AccessError(`${signer} is not on the committee of slot ${req.slot} for ${req.provider}`)
  if (committed.puzzleHash !== puzzleHashOf(req.puzzle)) throw new AccessError(`the puzzle is not the one committed on chain for slot ${req.slot}`)
  if (committed.specHash !== specHash(req.spec)) throw new AccessError(`the spec is not the one committed on chain for slot ${req.slot}`)
  return signer
}

export async function serveChallenges (opts: ChallengeServiceOptions): Promise<() => void> {
  const { host, c, d, chainId, metrics, log } = opts
  const me = c.account.address.toLowerCase() as Address
  const answers = new Map<Hex, { at: number, answer: Promise<ChallengeAnswer> }>()

  const check = async (req: ChallengeRequest): Promise<void> => {
    if (req.provider.toLowerCase() !== me) throw new AccessError(`this node is ${me}, not ${req.provider}`)
    await checkChallengeRequest(c, d, chainId, req)
  }

  const prove = async (req: ChallengeRequest): Promise<ChallengeAnswer> => {
    const started = Date.now()
    const free = opts.free()
    const result = await runChallenge(opts.docker, req.spec, req.puzzle, {
      deadlineMs: challengeDeadlineMs(req.spec, opts.deadlineMs), capacity: { cpu: free.cpu, memory: free.memory }, provider: me, log
    })
    const base = { slot: req.slot, provider: me, puzzleHash: puzzleHashOf(req.puzzle), tookMs: Date.now() - started }
    if ('error' in result) {
      metrics.challengesAnswered.inc({ result: 'error' })
      log.warn('challenge failed', { slot: req.slot, spec: req.spec, error: result.error })
      return await signChallengeAnswer(opts.account, chainId, { ...base, proofHash: ZERO_HASH, error: result.error.slice(0, 500) })
    }
    metrics.challengesAnswered.inc({ result: 'proof' })
    log.info('challenge proved', { slot: req.slot, memory: req.spec.memory, disk: req.spec.disk, ms: base.tookMs })
    return await signChallengeAnswer(opts.account, chainId, { ...base, proof: encodeCapacityProof(result.proof), proofHash: proofHash(result.proof) })
  }

  await host.handle(CHALLENGE_PROTOCOL, async (stream, connection) => {
    const frames = new Frames(stream, 64 * 1024)
    try {
      if (opts.onlyFrom !== undefined && !connection.remotePeer.equals(opts.onlyFrom)) throw new AccessError('this node answers challenges through its gateway only')
      const req = parseChallengeRequest(await frames.readJson(REQUEST_TIMEOUT_MS), 'request')
      await check(req)
      // The committee times this acknowledgement: the provider's responsiveness, apart from the proving.
      await frames.writeJson({ accepted: true })
      const now = Date.now()
      for (const [k, v] of answers) if (v.at < now - ANSWER_TTL_MS) answers.delete(k)
      let entry = answers.get(req.puzzle)
      if (entry === undefined) {
        entry = { at: now, answer: prove(req) }
        answers.set(req.puzzle, entry)
      }
      await frames.writeJson(await entry.answer)
    } catch (err) {
      metrics.challengesAnswered.inc({ result: 'refused' })
      await refuse(frames, err, log, 'challenge')
    } finally {
      await stream.close().catch(() => { stream.abort(new Error('close failed')) })
    }
  }, { maxInboundStreams: 32 })
  return () => { void host.unhandle(CHALLENGE_PROTOCOL).catch(() => {}) }
}
