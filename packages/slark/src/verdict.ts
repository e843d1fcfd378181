/**
 * A committee member's verdict on a provider's answer, and the ballot it signs. Pass only for an
 * answer signed by the provider, for this slot and puzzle, in time, whose capacity proof checks
 * out against the puzzle and the committed spec; anything else fails (a refusal, an error, a
 * timeout, a bad proof). A pass names the proof's hash, so members who saw different proofs
 * cannot be counted together; every fail is the same ballot.
 */
import {
  challengeResultMessage, decodeCapacityProof, proofHash, puzzleHashOf, verifyCapacityProof,
  type Address, type ChallengeAnswer, type ChallengeSpec, type Hex
} from '@dcn/protocol'
import type { Ballot } from './tally.js'

export const ZERO_HASH: Hex = `0x${'00'.repeat(32)}`

export interface Verdict { passed: boolean, answerHash: Hex, reason: string }

export interface Judged {
  slot: number
  provider: Address
  puzzle: Hex
  spec: ChallengeSpec
  /** The answer (null: none came), and the wallet that signed it. */
  answer: ChallengeAnswer | null
  signer: Address | null
  /** Request → answer, as this member measured it. */
  responseMs: number
  deadlineMs: number
  /** Why there is no answer (transport error, refusal). */
  failure?: string
}

const fail = (reason: string): Verdict => ({ passed: false, answerHash: ZERO_HASH, reason })

export function judge (j: Judged): Verdict {
  const a = j.answer
  if (a === null) return fail(j.failure ?? 'no answer')
  if (j.signer === null || j.signer.toLowerCase() !== j.provider.toLowerCase()) return fail('the answer is not signed by the provider')
  if (a.slot !== j.slot || a.provider.toLowerCase() !== j.provider.toLowerCase() || a.puzzleHash !== puzzleHashOf(j.puzzle)) return fail('the answer is for another challenge')
  if (j.responseMs > j.deadlineMs) return fail(`answered after ${j.responseMs} ms (deadline ${j.deadlineMs} ms)`)
  if (a.error !== undefined || a.proof === undefined) return fail(`the provider could not prove it: ${a.error ?? 'no proof'}`)
  const decoded = decodeCapacityProof(a.proof)
  if (!decoded.ok) return fail(decoded.reason)
  if (proofHash(decoded.proof) !== a.proofHash) return fail('the signed proof hash is not the proof\'s')
  const v = verifyCapacityProof(j.puzzle, j.spec, decoded.proof)
  if (!v.ok) return fail(v.reason)
  return { passed: true, answerHash: a.proofHash, reason: `proved in ${j.responseMs} ms` }
}

/** The ballot for a verdict: what the Challenges contract verifies the aggregate against. */
export function ballotOf (chainId: number, challenges: Address, slot: number, provider: Address, passed: boolean, answerHash: Hex): Ballot {
  return {
    key: passed ? `pass:${answerHash}` : 'fail',
    message: challengeResultMessage({ chainId, challenges, slot: BigInt(slot), provider, passed, answerHash })
  }
}
