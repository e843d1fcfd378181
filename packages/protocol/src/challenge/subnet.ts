/**
 * `/dcn/challenge/subnet/1.0.0`: a committee slark challenges several fizz nodes of one gateway
 * in one request, and the gateway answers with their proofs aggregated (paper §4.3.3, "Proof of
 * Capacity": the gateway asks its fizz nodes for their proofs and submits them together).
 *
 * The request is the member's signed per-fizz `ChallengeRequest`s (one slot, one signer), so
 * each fizz node still checks its own against the chain. The gateway fans them out, and sends
 * back one entry per fizz node as soon as it has it — the fizz node's own signed answer, or the
 * gateway's marker of why there is none (offline, refused, late), each signed by the gateway —
 * then a seal: its wallet's EIP-712 signature over the slot and the entries' hashes in order.
 * The member checks each entry as it comes (the gateway's signature, the request it answers, the
 * fizz node's own signature on its answer to its puzzle) and judges that proof at once, so a slow
 * fizz node delays no other; the seal then closes the set: a fizz node asked without an entry
 * was dropped. A fizz node without a valid answer fails alone, and a gateway that swaps, alters
 * or drops an answer is caught here.
 *
 * On the stream: request → `{ accepted: true }` (or a refusal) → entry frames as the answers
 * come in → the seal.
 */
import { encodeAbiParameters, hashTypedData, keccak256, zeroHash } from 'viem'
import type { LocalAccount } from 'viem/accounts'
import { domain } from '../eip712.js'
import { recoverDigestSigner } from '../secp256k1.js'
import { SchemaError, address, arr, hex, obj, oneOf, str, uint, type Parser } from '../schema.js'
import type { Address, Hex } from '../types.js'
import { challengeAnswerSigner, parseChallengeAnswer, parseChallengeRequest, puzzleHashOf, type ChallengeAnswer, type ChallengeRequest } from './wire.js'

export const SUBNET_CHALLENGE_PROTOCOL = '/dcn/challenge/subnet/1.0.0'
/** Fizz nodes one request may cover; a member splits a bigger subnet's slot into several. */
export const MAX_SUBNET_BATCH = 8
/** The longest a member may ask the gateway to wait for its fizz nodes. */
export const MAX_SUBNET_WAIT_MS = 10 * 60_000

export interface SubnetChallengeRequest {
  gateway: Address
  /** The member's signed requests, one per fizz node: same slot, same signer. */
  requests: ChallengeRequest[]
  /** How long the member waits for the seal; the gateway cuts late fizz nodes off before. */
  waitMs: number
}

/** One fizz node's part of the aggregate: its own signed answer, or why the gateway has none. */
export interface SubnetEntry {
  kind: 'entry'
  provider: Address
  /** keccak256 of the puzzle the member sent it (what the gateway vouches it asked). */
  puzzleHash: Hex
  /** Gateway → fizz node: dial and acknowledgement, ms (0 when it never acknowledged). */
  ackMs: number
  /** Gateway's receipt of the request → the fizz node's answer (or the marker), ms. */
  tookMs: number
  answer?: ChallengeAnswer
  /** The gateway's reason for having no answer: offline, the fizz node's refusal, late. */
  refusal?: string
  /** The gateway's signature of the entry (`subnetEntryHash`) for its slot. */
  sig: Hex
}

/** The gateway's signature over the slot and the entries' hashes, in the order sent. */
export interface SubnetSeal {
  kind: 'seal'
  slot: number
  gateway: Address
  entries: number
  sig: Hex
}

export interface SubnetChallengeAnswer {
  slot: number
  gateway: Address
  entries: SubnetEntry[]
  sig: Hex
}

const TYPES = {
  SubnetEntry: [
    { name: 'slot', type: 'uint64' },
    { name: 'gateway', type: 'address' },
    { name: 'entry', type: 'bytes32' }
  ],
  SubnetChallengeAnswer: [
    { name: 'slot', type: 'uint64' },
    { name: 'gateway', type: 'address' },
    { name: 'entries', type: 'bytes32[]' }
  ]
} as const

const nonEmpty = <T>(p: Parser<T[]>): Parser<T[]> => (v, path) => {
  const xs = p(v, path)
  if (xs.length === 0) throw new SchemaError(path, 'must list at least one request')
  return xs
}

export const parseSubnetChallengeRequest: Parser<SubnetChallengeRequest> = obj({
  gateway: address,
  requests: nonEmpty(arr(parseChallengeRequest, MAX_SUBNET_BATCH)),
  waitMs: uint(MAX_SUBNET_WAIT_MS, 1)
})

/** An entry frame; its answer (when there is one) is parsed like a provider's. */
export const parseSubnetEntry: Parser<SubnetEntry> = (v, path) => {
  const raw = (typeof v === 'object' && v !== null ? v : {}) as Record<string, unknown>
  const { answer, refusal, ...rest } = raw
  const base = obj({ kind: oneOf('entry'), provider: address, puzzleHash: hex(32), ackMs: uint(2 ** 32 - 1), tookMs: uint(2 ** 32 - 1), sig: hex(65) })(
    typeof v === 'object' && v !== null ? rest : v, path)
  const entry: SubnetEntry = { ...base }
  if (answer !== undefined) entry.answer = parseChallengeAnswer(answer, `${path}.answer`)
  if (refusal !== undefined) entry.refusal = str({ max: 500 })(refusal, `${path}.refusal`)
  return entry
}

export const parseSubnetSeal: Parser<SubnetSeal> = obj({ kind: oneOf('seal'), slot: uint(), gateway: address, entries: uint(MAX_SUBNET_BATCH), sig: hex(65) })

/**
 * What the seal commits to for one entry: the fizz node, the puzzle, the gateway's timings, and
 * the fizz node's signed answer (its signature covers slot, puzzle, proof hash and error) or the
 * gateway's refusal.
 */
export function subnetEntryHash (e: UnsignedEntry): Hex {
  return keccak256(encodeAbiParameters(
    [{ type: 'address' }, { type: 'bytes32' }, { type: 'uint32' }, { type: 'uint32' }, { type: 'bytes' }, { type: 'bytes32' }, { type: 'string' }],
    [e.provider, e.puzzleHash, e.ackMs, e.tookMs, e.answer?.sig ?? '0x', e.answer?.proofHash ?? zeroHash, e.refusal ?? '']))
}

/** An entry before the gateway signs it. */
export type UnsignedEntry = Omit<SubnetEntry, 'sig'>

const entryDigest = (chainId: number, slot: number, gateway: Address, e: UnsignedEntry): Hex =>
  hashTypedData({ domain: domain(chainId), types: TYPES, primaryType: 'SubnetEntry', message: { slot: BigInt(slot), gateway, entry: subnetEntryHash(e) } })

export async function signSubnetEntry (account: LocalAccount, chainId: number, slot: number, e: UnsignedEntry): Promise<SubnetEntry> {
  const gateway = account.address.toLowerCase() as Address
  return { ...e, sig: await account.signTypedData({ domain: domain(chainId), types: TYPES, primaryType: 'SubnetEntry', message: { slot: BigInt(slot), gateway, entry: subnetEntryHash(e) } }) }
}

const sealDigest = (chainId: number, slot: number, gateway: Address, entries: readonly SubnetEntry[]): Hex =>
  hashTypedData({ domain: domain(chainId), types: TYPES, primaryType: 'SubnetChallengeAnswer', message: { slot: BigInt(slot), gateway, entries: entries.map(subnetEntryHash) } })

export async function signSubnetSeal (account: LocalAccount, chainId: number, slot: number, entries: readonly SubnetEntry[]): Promise<SubnetSeal> {
  const gateway = account.address.toLowerCase() as Address
  const sig = await account.signTypedData({ domain: domain(chainId), types: TYPES, primaryType: 'SubnetChallengeAnswer', message: { slot: BigInt(slot), gateway, entries: entries.map(subnetEntryHash) } })
  return { kind: 'seal', slot, gateway, entries: entries.length, sig }
}

/** What one fizz node's challenge comes to, out of an aggregate. */
export interface SubnetOutcome {
  provider: Address
  /** Its own signed answer, for the member to judge; null when there is none to judge. */
  answer: ChallengeAnswer | null
  /** Why there is no answer (the gateway's marker, or what the aggregate got wrong). */
  failure?: string
  /** Gateway → fizz acknowledgement and request → answer, as the gateway measured them (null when the aggregate is not the gateway's). */
  ackMs: number | null
  tookMs: number | null
}

const lower = (a: string): Address => a.toLowerCase() as Address

/**
 * One entry as it arrives: what it says of the fizz node it names, or null when it is no entry of
 * this request (not the gateway's signature, or a fizz node not asked). An entry for another
 * puzzle, or whose answer is not the fizz node's own signed answer to its puzzle, fails that fizz
 * node's challenge and names the gateway's fault.
 */
export async function verifySubnetEntry (chainId: number, req: SubnetChallengeRequest, e: SubnetEntry): Promise<SubnetOutcome | null> {
  const r = req.requests.find(x => lower(x.provider) === lower(e.provider))
  if (r === undefined) return null
  const slot = r.slot
  const signer = await recoverDigestSigner(entryDigest(chainId, slot, lower(req.gateway), e), e.sig)
  if (signer === null || lower(signer) !== lower(req.gateway)) return null
  const provider = lower(r.provider)
  const fail = (failure: string): SubnetOutcome => ({ provider, answer: null, failure, ackMs: e.ackMs, tookMs: e.tookMs })
  if (e.puzzleHash !== puzzleHashOf(r.puzzle)) return fail('the gateway\'s entry is for another puzzle')
  if (e.answer === undefined) return fail(`no answer through its gateway: ${e.refusal ?? 'no reason given'}`)
  const answerSigner = await challengeAnswerSigner(chainId, e.answer)
  if (answerSigner === null || lower(answerSigner) !== provider || lower(e.answer.provider) !== provider ||
    e.answer.slot !== slot || e.answer.puzzleHash !== e.puzzleHash) {
    return fail('the gateway\'s entry carries an answer that is not its own to this puzzle')
  }
  return { provider, answer: e.answer, ackMs: e.ackMs, tookMs: e.tookMs }
}

/**
 * Checks a whole aggregate against the request it answers and splits it per fizz node. A seal
 * that is not the gateway's, or for another slot, discredits the aggregate (every fizz node asked
 * gets no answer); otherwise each fizz node asked gets what its one entry says (see
 * `verifySubnetEntry`), and fails when it has none (dropped) or two.
 */
export async function verifySubnetAnswer (chainId: number, req: SubnetChallengeRequest, a: SubnetChallengeAnswer): Promise<SubnetOutcome[]> {
  const slot = req.requests[0].slot
  const none = (reason: string): SubnetOutcome[] => req.requests.map(r => ({ provider: lower(r.provider), answer: null, failure: reason, ackMs: null, tookMs: null }))
  if (a.slot !== slot || lower(a.gateway) !== lower(req.gateway)) return none(`the gateway's aggregate is for slot ${a.slot} of ${a.gateway}, not slot ${slot} of ${req.gateway}`)
  const signer = await recoverDigestSigner(sealDigest(chainId, a.slot, lower(a.gateway), a.entries), a.sig)
  if (signer === null || lower(signer) !== lower(req.gateway)) return none('the aggregate is not sealed by the gateway')
  return await Promise.all(req.requests.map(async (r): Promise<SubnetOutcome> => {
    const provider = lower(r.provider)
    const mine = a.entries.filter(e => lower(e.provider) === provider)
    if (mine.length !== 1) {
      return { provider, answer: null, failure: mine.length === 0 ? 'the gateway\'s aggregate dropped its answer' : 'the gateway\'s aggregate lists it twice', ackMs: null, tookMs: null }
    }
    return await verifySubnetEntry(chainId, req, mine[0]) ??
      { provider, answer: null, failure: 'the gateway\'s entry for it is not signed by the gateway', ackMs: null, tookMs: null }
  }))
}

/** Reads the aggregate's entry frames and seal into one answer (the caller verifies it). */
export function assembleSubnetAnswer (entries: SubnetEntry[], seal: SubnetSeal): SubnetChallengeAnswer {
  if (seal.entries !== entries.length) throw new Error(`the gateway's seal counts ${seal.entries} entries, ${entries.length} came`)
  return { slot: seal.slot, gateway: seal.gateway, entries, sig: seal.sig }
}

/** A gateway's refusal marker for a fizz node it could not get an answer from (to be signed). */
export function refusalEntry (r: ChallengeRequest, reason: string, ackMs: number, tookMs: number): UnsignedEntry {
  return { kind: 'entry', provider: lower(r.provider), puzzleHash: puzzleHashOf(r.puzzle), ackMs: clampU32(ackMs), tookMs: clampU32(tookMs), refusal: reason.slice(0, 500) }
}

export function answerEntry (r: ChallengeRequest, answer: ChallengeAnswer, ackMs: number, tookMs: number): UnsignedEntry {
  return { kind: 'entry', provider: lower(r.provider), puzzleHash: puzzleHashOf(r.puzzle), ackMs: clampU32(ackMs), tookMs: clampU32(tookMs), answer }
}

const clampU32 = (ms: number): number => Math.max(0, Math.min(2 ** 32 - 1, Math.round(ms)))

/** A member's request is well formed for one gateway: one slot, distinct fizz nodes; the signer is checked against the chain by the gateway. */
export function subnetRequestProblem (req: SubnetChallengeRequest, me: Address): string | null {
  if (lower(req.gateway) !== lower(me)) return `this gateway is ${me}, not ${req.gateway}`
  const slot = req.requests[0].slot
  if (req.requests.some(r => r.slot !== slot)) return 'the requests are for different slots'
  if (new Set(req.requests.map(r => lower(r.provider))).size !== req.requests.length) return 'a fizz node is asked twice'
  return null
}
