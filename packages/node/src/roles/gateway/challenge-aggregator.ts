/**
 * A gateway answers for its subnet (paper §4.3.3, "Proof of Capacity"): a committee slark sends
 * one `/dcn/challenge/subnet/1.0.0` request covering the fizz nodes of this gateway it challenges
 * in a slot. The gateway checks every per-fizz request against the chain (as a provider checks
 * its own), acknowledges, asks all the fizz nodes at once over their relayed connections, and
 * streams back each fizz node's signed answer as it comes — or its own marker when a fizz node
 * is offline, refuses, or has not answered by the member's deadline — each entry signed, then
 * seals the lot with its wallet's signature. One late or offline fizz node fails only its own
 * challenge, and delays no other's.
 */
import { peerIdFromString } from '@libp2p/peer-id'
import type { LocalAccount } from 'viem/accounts'
import {
  CHALLENGE_PROTOCOL, Frames, MAX_PROOF_BYTES, SUBNET_CHALLENGE_PROTOCOL, answerEntry, parseChallengeAnswer, parseSubnetChallengeRequest,
  refusalEntry, signSubnetEntry, signSubnetSeal, subnetRequestProblem, type Address, type ChallengeRequest, type Deployment, type SettlementClients,
  type SubnetEntry, type UnsignedEntry
} from '@dcn/protocol'
import type { Host } from '../../host.js'
import type { Logger } from '../../log.js'
import { checkChallengeRequest } from '../provider/challenge-service.js'
import { REQUEST_TIMEOUT_MS, refuse } from '../provider/request-guard.js'
import { AccessError } from '../provider/workloads.js'
import type { FizzDirectory } from './directory.js'

/** Kept back from the member's wait for the seal to travel. */
const SEAL_MARGIN_MS = 2_000

export interface SubnetChallengeLog {
  slot: number
  slark: Address
  fizz: number
  answered: number
  at: number
}

export interface AggregatorOptions {
  host: Host
  c: SettlementClients
  d: Deployment
  /** Seals the aggregates: the gateway's registered wallet. */
  account: LocalAccount
  chainId: number
  directory: FizzDirectory
  log: Logger
  /** Each request served (for /status and the tests: how many requests a slot took). */
  onRequest?: (r: SubnetChallengeLog) => void
}

export async function aggregateChallenges (o: AggregatorOptions): Promise<() => void> {
  const { host, directory, log } = o
  const me = o.account.address.toLowerCase() as Address

  /** Asks one fizz node; resolves to its entry, never throws. */
  const askFizz = async (req: ChallengeRequest, received: number, cutoff: AbortSignal): Promise<UnsignedEntry> => {
    const target = directory.list().find(f => f.record.wallet.toLowerCase() === req.provider.toLowerCase())
    if (target === undefined) return refusalEntry(req, `${req.provider} is not a fizz node of this gateway`, 0, Date.now() - received)
    const peer = peerIdFromString(target.record.peerId)
    if (!host.getConnections().some(c => c.remotePeer.equals(peer))) return refusalEntry(req, `fizz node ${req.provider} is offline`, 0, Date.now() - received)
    let fizz: Frames | undefined
    let ackMs = 0
    const dialed = Date.now()
    try {
      const out = await host.dialProtocol(peer, CHALLENGE_PROTOCOL, { signal: AbortSignal.any([cutoff, AbortSignal.timeout(10_000)]) })
      fizz = new Frames(out, MAX_PROOF_BYTES + 64 * 1024)
      const stop = (): void => { out.abort(new Error('the member\'s deadline passed')) }
      if (cutoff.aborted) stop()
      cutoff.addEventListener('abort', stop, { once: true })
      try {
        await fizz.writeJson(req)
        const ack = await fizz.readJson() as { accepted?: boolean, error?: string }
        ackMs = Date.now() - dialed
        if (ack.accepted !== true) return refusalEntry(req, `refused: ${ack.error ?? 'no reason given'}`, ackMs, Date.now() - received)
        const raw = await fizz.readJson() as { ok?: boolean, error?: string }
        if (raw.ok === false) return refusalEntry(req, `refused: ${raw.error ?? 'no reason given'}`, ackMs, Date.now() - received)
        return answerEntry(req, parseChallengeAnswer(raw, 'answer'), ackMs, Date.now() - received)
      } finally {
        cutoff.removeEventListener('abort', stop)
      }
    } catch (err) {
      const why = cutoff.aborted ? `no answer within ${Date.now() - received} ms` : (err as Error).message.split('\n')[0]
      return refusalEntry(req, why, ackMs, Date.now() - received)
    } finally {
      await fizz?.close().catch(() => {})
    }
  }

  await host.handle(SUBNET_CHALLENGE_PROTOCOL, async (stream) => {
    const frames = new Frames(stream, 64 * 1024)
    try {
      const req = parseSubnetChallengeRequest(await frames.readJson(REQUEST_TIMEOUT_MS), 'request')
      const received = Date.now()
      const problem = subnetRequestProblem(req, me)
      if (problem !== null) throw new AccessError(problem)
      // Every request checks out against the chain, and all come from one committee member.
      const signers = await Promise.all(req.requests.map(async r => await checkChallengeRequest(o.c, o.d, o.chainId, r)))
      if (new Set(signers).size !== 1) throw new AccessError('the requests are signed by different slarks')
      await frames.writeJson({ accepted: true })
      const slot = req.requests[0].slot
      const cutoff = AbortSignal.timeout(Math.max(1, req.waitMs - SEAL_MARGIN_MS))
      // Entries go out as they come, in that order, one write at a time; the seal follows.
      const sent: SubnetEntry[] = []
      let writing = Promise.resolve()
      await Promise.all(req.requests.map(async r => {
        const entry = await signSubnetEntry(o.account, o.chainId, slot, await askFizz(r, received, cutoff))
        writing = writing.then(async () => { sent.push(entry); await frames.writeJson(entry) })
        await writing
      }))
      await frames.writeJson(await signSubnetSeal(o.account, o.chainId, slot, sent))
      const answered = sent.filter(e => e.answer !== undefined).length
      log.info('subnet challenge answered', { slot, slark: signers[0], fizz: sent.length, answered })
      o.onRequest?.({ slot, slark: signers[0], fizz: sent.length, answered, at: received })
    } catch (err) {
      await refuse(frames, err, log, 'subnet challenge')
    } finally {
      await stream.close().catch(() => { stream.abort(new Error('close failed')) })
    }
  }, { maxInboundStreams: 32 })
  return () => { void host.unhandle(SUBNET_CHALLENGE_PROTOCOL).catch(() => {}) }
}
