/**
 * The gossip validator: one pipeline for every topic, run before a message is delivered or
 * forwarded. Order of checks, cheapest first: size → envelope → topic/kind → schema → clock →
 * expiry → duplicate/replay → signature → sender registration. Invalid input is `reject`
 * (gossipsub scores the sender down); stale or duplicate input is `ignore`. Never throws.
 */
import { EXPIRY_GRACE_MS, MAX_CLOCK_SKEW_MS, MAX_MESSAGE_AGE_MS, type Topic } from './constants.js'
import { decode } from './envelope.js'
import { verifySignature } from './eip712.js'
import { TOPIC_KINDS, replayKey, signerOf } from './messages.js'
import type { Address, MessageKind, SignedMessage } from './types.js'

export type Verdict =
  | { result: 'accept', msg: SignedMessage }
  | { result: 'reject' | 'ignore', reason: string }

/**
 * Decides whether a wallet may send a kind of message (on-chain registration, stake).
 * 'unknown' (the chain cannot be read) makes the message ignored rather than rejected, so honest
 * peers are not scored down for our outage.
 */
export type SenderPolicy = (signer: Address, kind: MessageKind) => boolean | 'unknown' | Promise<boolean | 'unknown'>

export interface ValidatorOptions {
  chainId: number
  now?: () => number
  /** Defaults to allowing every signer. */
  senderPolicy?: SenderPolicy
  /** Most entries the seen-cache holds; the oldest go first. */
  maxSeen?: number
}

export class GossipValidator {
  private readonly chainId: number
  private readonly now: () => number
  private readonly senderPolicy: SenderPolicy
  private readonly maxSeen: number
  /** replay key → signature and when it was seen; insertion-ordered, so the oldest come first. */
  private readonly seen = new Map<string, { sig: string, at: number }>()

  constructor (opts: ValidatorOptions) {
    this.chainId = opts.chainId
    this.now = opts.now ?? Date.now
    this.senderPolicy = opts.senderPolicy ?? (() => true)
    this.maxSeen = opts.maxSeen ?? 200_000
  }

  /**
   * `relayed`: the peer handing us the message is not the one that published it. A message that
   * conflicts with one already accepted (same id, other content) is rejected from its publisher,
   * but only ignored from a relay: an honest relay may have accepted the other version first.
   */
  async validate (topic: Topic | string, data: Uint8Array, opts: { relayed?: boolean } = {}): Promise<Verdict> {
    try {
      return await this.check(topic, data, opts.relayed === true)
    } catch (err) {
      return { result: 'reject', reason: `validator error: ${(err as Error).message}` }
    }
  }

  private async check (topic: string, data: Uint8Array, relayed: boolean): Promise<Verdict> {
    const decoded = decode(data)
    if (!decoded.ok) return { result: 'reject', reason: decoded.reason }
    const msg = decoded.msg
    const kinds = TOPIC_KINDS[topic as Topic]
    if (kinds === undefined || !kinds.includes(msg.type)) return { result: 'reject', reason: `wrong topic: ${msg.type} on ${topic}` }

    const now = this.now()
    const { createdMs, expiry } = msg.body
    if (createdMs > now + MAX_CLOCK_SKEW_MS) return { result: 'reject', reason: 'created in the future' }
    if (createdMs < now - MAX_MESSAGE_AGE_MS) return { result: 'reject', reason: 'replayed: older than the replay window' }
    if (expiry * 1000 < now) {
      return expiry * 1000 < now - EXPIRY_GRACE_MS ? { result: 'reject', reason: 'expired' } : { result: 'ignore', reason: 'expired in flight' }
    }
    const semantic = checkSemantics(msg)
    if (semantic !== null) return { result: 'reject', reason: semantic }

    const key = replayKey(msg.type, msg.body)
    const prior = this.replayed(key, msg.sig, now, relayed)
    if (prior !== null) return prior

    if (!await verifySignature(this.chainId, msg)) return { result: 'reject', reason: 'bad signature' }
    const allowed = await this.senderPolicy(signerOf(msg.type, msg.body), msg.type)
    if (allowed === 'unknown') return { result: 'ignore', reason: 'sender registration unknown' }
    if (!allowed) return { result: 'reject', reason: 'sender not registered' }

    // Another message under the same key may have been accepted while this one was being
    // verified (gossipsub validates concurrently): check again, or both would be accepted.
    const raced = this.replayed(key, msg.sig, now, relayed)
    if (raced !== null) return raced
    this.remember(key, msg.sig, now)
    return { result: 'accept', msg }
  }

  /** The verdict for a key already seen inside the replay window, or null. */
  private replayed (key: string, sig: string, now: number, relayed: boolean): Verdict | null {
    const prior = this.seen.get(key)
    if (prior === undefined || prior.at < now - MAX_MESSAGE_AGE_MS) return null
    if (prior.sig === sig) return { result: 'ignore', reason: 'duplicate' }
    return relayed
      ? { result: 'ignore', reason: 'conflicts with an accepted message (relayed)' }
      : { result: 'reject', reason: 'replayed: same id with different content' }
  }

  private remember (key: string, sig: string, now: number): void {
    this.seen.delete(key)
    this.seen.set(key, { sig, at: now })
    for (const [k, v] of this.seen) {
      if (this.seen.size <= this.maxSeen && v.at >= now - MAX_MESSAGE_AGE_MS) break
      this.seen.delete(k)
    }
  }
}

/** Rules a schema cannot express. Returns the problem, or null. */
function checkSemantics (msg: SignedMessage): string | null {
  if (msg.type === 'order') {
    const o = msg.body
    if (o.bidDeadlineMs <= o.createdMs) return 'order: bid deadline before creation'
    if (o.bidDeadlineMs > o.createdMs + 10 * 60_000) return 'order: bid deadline more than 10 minutes out'
    if (o.expiry * 1000 < o.bidDeadlineMs) return 'order: expires before its bid deadline'
    const r = o.resources
    if (r.cpu === 0 && r.memory === 0 && r.storage === 0 && r.gpuUnits === 0) return 'order: asks for no resources'
  }
  if (msg.body.expiry * 1000 > msg.body.createdMs + 7 * 86_400_000) return `${msg.type}: expiry more than 7 days out`
  return null
}
