/**
 * `/dcn/challenge/1.0.0`: a committee slark asks a provider to prove capacity, the provider
 * answers with the proof. Both sides sign with their wallets (EIP-712), so an answer can be
 * shown to the other committee members and a request cannot be forged to make a provider run
 * containers for a stranger.
 *
 * The provider checks a request against the chain: the Challenges contract holds the leader's
 * commitment to keccak256(puzzle) and to the spec's hash for (slot, provider), and the slark
 * must be on that slot's committee. The same puzzle asked by several members runs once.
 */
import { encodeAbiParameters, hashTypedData, keccak256 } from 'viem'
import type { LocalAccount } from 'viem/accounts'
import { domain } from '../eip712.js'
import { recoverDigestSigner } from '../secp256k1.js'
import { address, hex, obj, str, uint, type Parser } from '../schema.js'
import type { Address, Hex } from '../types.js'
import type { CapacitySpec } from './core.js'

export const CHALLENGE_PROTOCOL = '/dcn/challenge/1.0.0'

/** What a challenge asks for: milli-CPUs, bytes of memory and disk, GPUs. */
export type ChallengeSpec = CapacitySpec

export interface ChallengeRequest {
  slot: number
  provider: Address
  puzzle: Hex
  spec: ChallengeSpec
  /** Unix seconds; refused when stale like any signed request. */
  time: number
  sig: Hex
}

export interface ChallengeAnswer {
  slot: number
  provider: Address
  puzzleHash: Hex
  /** The capacity proof, encoded (`decodeCapacityProof` checks it), absent when `error` says why not. */
  proof?: string
  proofHash: Hex
  error?: string
  /** Provider-side milliseconds from the request to the proof (informative; members time it themselves). */
  tookMs: number
  sig: Hex
}

const TYPES = {
  ChallengeRequest: [
    { name: 'slot', type: 'uint64' },
    { name: 'provider', type: 'address' },
    { name: 'puzzle', type: 'bytes32' },
    { name: 'time', type: 'uint64' }
  ],
  ChallengeAnswer: [
    { name: 'slot', type: 'uint64' },
    { name: 'provider', type: 'address' },
    { name: 'puzzleHash', type: 'bytes32' },
    { name: 'proofHash', type: 'bytes32' },
    { name: 'error', type: 'string' }
  ]
} as const

const MAX_BYTES = 2 ** 53 - 1
/** Largest encoded proof an answer may carry (a proof is about 1 MB). */
export const MAX_PROOF_BYTES = 4 * 2 ** 20
const parseSpec: Parser<ChallengeSpec> = obj({ cpu: uint(1_000_000), memory: uint(MAX_BYTES), disk: uint(MAX_BYTES), gpu: uint(1024) })

export const parseChallengeRequest: Parser<ChallengeRequest> = obj({
  slot: uint(), provider: address, puzzle: hex(32), spec: parseSpec, time: uint(), sig: hex(65)
})

/** The answer's frame; `proof` is passed through and checked by the verifier. */
export const parseChallengeAnswer: Parser<ChallengeAnswer> = (v, path) => {
  const { proof: _p, error: _e, ...rest } = typeof v === 'object' && v !== null ? v as Record<string, unknown> : {}
  const base = obj({ slot: uint(), provider: address, puzzleHash: hex(32), proofHash: hex(32), tookMs: uint(), sig: hex(65) })(
    typeof v === 'object' && v !== null ? rest : v, path)
  const raw = v as { proof?: unknown, error?: unknown }
  const error = raw.error === undefined ? undefined : str({ max: 500 })(raw.error, `${path}.error`)
  const proof = raw.proof === undefined ? undefined : str({ max: MAX_PROOF_BYTES })(raw.proof, `${path}.proof`)
  return { ...base, proof, error }
}

const requestMessage = (r: Omit<ChallengeRequest, 'sig' | 'spec'>) =>
  ({ slot: BigInt(r.slot), provider: r.provider, puzzle: r.puzzle, time: BigInt(r.time) })
const answerMessage = (a: Omit<ChallengeAnswer, 'sig' | 'proof' | 'tookMs'>) =>
  ({ slot: BigInt(a.slot), provider: a.provider, puzzleHash: a.puzzleHash, proofHash: a.proofHash, error: a.error ?? '' })
const requestDigest = (chainId: number, r: Omit<ChallengeRequest, 'sig' | 'spec'>): Hex =>
  hashTypedData({ domain: domain(chainId), types: TYPES, primaryType: 'ChallengeRequest', message: requestMessage(r) })
const answerDigest = (chainId: number, a: Omit<ChallengeAnswer, 'sig' | 'proof' | 'tookMs'>): Hex =>
  hashTypedData({ domain: domain(chainId), types: TYPES, primaryType: 'ChallengeAnswer', message: answerMessage(a) })

export async function signChallengeRequest (account: LocalAccount, chainId: number, r: Omit<ChallengeRequest, 'sig'>): Promise<ChallengeRequest> {
  return { ...r, sig: await account.signTypedData({ domain: domain(chainId), types: TYPES, primaryType: 'ChallengeRequest', message: requestMessage(r) }) }
}

export async function challengeRequestSigner (chainId: number, r: ChallengeRequest): Promise<Address | null> {
  return await recoverDigestSigner(requestDigest(chainId, r), r.sig)
}

export async function signChallengeAnswer (account: LocalAccount, chainId: number, a: Omit<ChallengeAnswer, 'sig'>): Promise<ChallengeAnswer> {
  return { ...a, sig: await account.signTypedData({ domain: domain(chainId), types: TYPES, primaryType: 'ChallengeAnswer', message: answerMessage(a) }) }
}

export async function challengeAnswerSigner (chainId: number, a: ChallengeAnswer): Promise<Address | null> {
  return await recoverDigestSigner(answerDigest(chainId, a), a.sig)
}

export const puzzleHashOf = (puzzle: Hex): Hex => keccak256(puzzle)

/** What the committee leader commits on chain next to the puzzle's hash. */
export function specHash (spec: ChallengeSpec): Hex {
  return keccak256(encodeAbiParameters(
    [{ type: 'uint64' }, { type: 'uint64' }, { type: 'uint64' }, { type: 'uint32' }],
    [BigInt(spec.cpu), BigInt(spec.memory), BigInt(spec.disk), spec.gpu]))
}

/** The least CPU (milli-CPUs) a challenge's prover runs with, and its deadline reckons with. */
export const MIN_CHALLENGE_CPU = 100

/**
 * How long a provider has to answer a challenge: a fixed part (container start, network) plus
 * three times what proving the spec takes at the CPU share it asks for, reckoned at a
 * conservative 100 MB/s of memory and disk per core. Both sides use it: the provider kills its
 * prover then, the committee stops waiting then.
 */
export function challengeDeadlineMs (spec: ChallengeSpec, fixedMs = 10_000): number {
  const cores = Math.max(spec.cpu, MIN_CHALLENGE_CPU) / 1000
  return fixedMs + Math.ceil(3 * (spec.memory + spec.disk) / (100e6 * cores) * 1000)
}
