/**
 * Proof of capacity (SPEC.md, Slark): a slark sends a spec and a random 32-byte puzzle; the
 * provider runs the prover (prover.ts) in a container with exactly that spec and answers with a
 * `CapacityProof`; any slark checks it here in a few tens of milliseconds (most of it the
 * Fiat–Shamir work, CAPACITY_QUERY_WORK). The construction and what it does and does not show
 * are in core.ts.
 *
 * Size: 24 openings of 2 blocks (8 KiB each) and 3 Merkle paths, plus one path per lane —
 * for 1 GiB of memory + 1 GiB of disk (2^18 blocks, paths of 18) about 440 KiB of bytes,
 * about 880 KB as hex JSON; it grows only with log2 of the size.
 */
import type { Hex } from '../types.js'
import {
  CAPACITY_BLOCK_BYTES, CAPACITY_MAX_LANES, CAPACITY_PROOF_VERSION, CAPACITY_QUERIES, capacityLayout, capacityQueries,
  capacitySpecError, encodeCapacityProof, fromHex, leafOf, merkleDepth, nextBlock, refIndex, rootFromPath, sha256, startBlock, toHex,
  type CapacityProof, type CapacitySpec
} from './core.js'

export {
  CAPACITY_BLOCK_BYTES, CAPACITY_MAX_LANES, CAPACITY_PROOF_VERSION, CAPACITY_QUERIES, CAPACITY_QUERY_WORK,
  capacityLayout, capacityQueries, capacitySpecError, encodeCapacityProof,
  type CapacityLayout, type CapacityOpening, type CapacityProof, type CapacitySpec
} from './core.js'
export { capacityProverScript } from './prover-script.js'

/**
 * What failed: `format` the proof is malformed; `spec` it is for another number of blocks or
 * lanes; `start` a lane's first block (from puzzle and spec) is not under the root; `queries`
 * the openings are not the blocks the root selects; `prev` / `ref` an opened block (or its path)
 * is not under the root; `block` the queried block recomputed from them is not under the root.
 */
export type CapacityFailure = 'format' | 'spec' | 'start' | 'queries' | 'prev' | 'ref' | 'block'

export type CapacityVerdict = { ok: true } | { ok: false, failure: CapacityFailure, reason: string }

const fail = (failure: CapacityFailure, reason: string): CapacityVerdict => ({ ok: false, failure, reason })

const HASH_HEX = /^0x[0-9a-f]{64}$/
const BLOCK_HEX = new RegExp(`^0x[0-9a-f]{${2 * CAPACITY_BLOCK_BYTES}}$`)

function isCount (v: unknown, max: number): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 && v <= max
}

function badPath (v: unknown, depth: number): boolean {
  return !Array.isArray(v) || v.length !== depth || !v.every(h => typeof h === 'string' && HASH_HEX.test(h))
}

/** Why `p` (any JSON value) is not a well-formed proof, or null. */
function formatError (p: unknown): string | null {
  const proof = p as Partial<CapacityProof> | null
  if (typeof proof !== 'object' || proof === null || Array.isArray(proof)) return 'not an object'
  if (proof.version !== CAPACITY_PROOF_VERSION) return `version ${String(proof.version)} (expected ${CAPACITY_PROOF_VERSION})`
  if (!isCount(proof.blocks, 2 ** 31) || proof.blocks < 1) return 'blocks is not a positive whole number'
  if (!isCount(proof.lanes, CAPACITY_MAX_LANES) || proof.lanes < 1 || proof.lanes > proof.blocks) return 'lanes is not a whole number in [1, blocks]'
  const d = merkleDepth(proof.blocks)
  if (typeof proof.root !== 'string' || !HASH_HEX.test(proof.root)) return 'root is not 32 bytes of lower-case 0x hex'
  if (!Array.isArray(proof.starts) || proof.starts.length !== proof.lanes) return `starts must hold ${proof.lanes} paths`
  if (proof.starts.some(s => badPath(s, d))) return `a start path is not ${d} hashes`
  const queries = proof.blocks > proof.lanes ? CAPACITY_QUERIES : 0
  if (!Array.isArray(proof.openings) || proof.openings.length !== queries) return `openings must hold ${queries} queries`
  for (const [k, o] of proof.openings.entries()) {
    if (typeof o !== 'object' || o === null) return `opening ${k} is not an object`
    if (!isCount(o.index, proof.blocks - 1)) return `opening ${k}: index is not a block number`
    if (typeof o.prev !== 'string' || !BLOCK_HEX.test(o.prev) || typeof o.ref !== 'string' || !BLOCK_HEX.test(o.ref)) return `opening ${k}: prev and ref must be ${CAPACITY_BLOCK_BYTES} bytes of lower-case 0x hex`
    if (badPath(o.prevPath, d) || badPath(o.refPath, d) || badPath(o.path, d)) return `opening ${k}: a path is not ${d} hashes`
  }
  const t = proof.timings
  if (typeof t !== 'object' || t === null || !isCount(t.fillMs, Number.MAX_SAFE_INTEGER) || !isCount(t.proveMs, Number.MAX_SAFE_INTEGER)) return 'timings must be whole milliseconds'
  return null
}

/** Checks `proof` (as decoded, or any JSON value) against the challenge it answers. Pure and synchronous. */
export function verifyCapacityProof (puzzle: Hex | Uint8Array, spec: CapacitySpec, proof: CapacityProof): CapacityVerdict {
  const seed = typeof puzzle === 'string' ? fromHex(puzzle) : puzzle
  if (seed.length !== 32) return fail('format', `the puzzle is ${seed.length} bytes, not 32`)
  const specError = capacitySpecError(spec)
  if (specError !== null) return fail('spec', `the challenge's spec is invalid: ${specError}`)
  const layout = capacityLayout(spec)
  const malformed = formatError(proof)
  if (malformed !== null) return fail('format', `malformed proof: ${malformed}`)
  if (proof.blocks !== layout.blocks || proof.lanes !== layout.lanes) {
    return fail('spec', `the proof covers ${proof.blocks} blocks in ${proof.lanes} lanes; this spec needs ${layout.blocks} in ${layout.lanes}`)
  }
  const root = fromHex(proof.root)
  const under = (leaf: Uint8Array, index: number, path: Hex[]): boolean => rootFromPath(leaf, index, path.map(fromHex)).equals(root)

  for (let lane = 0; lane < layout.lanes; lane++) {
    if (!under(leafOf(startBlock(seed, spec, lane)), lane, proof.starts[lane])) {
      return fail('start', `the first block of lane ${lane} is not the one this puzzle and spec give, or its path does not lead to the root`)
    }
  }
  const queries = capacityQueries(root, seed, layout)
  const k = queries.findIndex((q, k) => proof.openings[k].index !== q)
  if (k >= 0) return fail('queries', `opening ${k} is block ${proof.openings[k].index}, but the root selects block ${queries[k]}`)

  for (const [k, o] of proof.openings.entries()) {
    const at = `opening ${k} (block ${o.index})`
    const p = o.index - layout.lanes
    const prev = fromHex(o.prev)
    const prevLeaf = leafOf(prev)
    if (!under(prevLeaf, p, o.prevPath)) return fail('prev', `${at}: its predecessor, block ${p}, or its path does not lead to the root`)
    const j = refIndex(prevLeaf, o.index, layout.lanes)
    const ref = fromHex(o.ref)
    if (!under(leafOf(ref), j, o.refPath)) return fail('ref', `${at}: its reference, block ${j}, or its path does not lead to the root`)
    if (!under(leafOf(nextBlock(prevLeaf, prev, ref, o.index)), o.index, o.path)) {
      return fail('block', `${at}: the block computed from blocks ${p} and ${j} is not the one under the root (or its path is wrong)`)
    }
  }
  return { ok: true }
}

/** Parses a prover's output (the canonical JSON) into a proof, or says why it is not one. Never throws. */
export function decodeCapacityProof (text: string): { ok: true, proof: CapacityProof } | { ok: false, reason: string } {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return { ok: false, reason: 'not JSON' }
  }
  const malformed = formatError(value)
  if (malformed !== null) return { ok: false, reason: `malformed proof: ${malformed}` }
  // Re-encoding keeps only the known fields, in canonical order.
  return { ok: true, proof: JSON.parse(encodeCapacityProof(value as CapacityProof)) }
}

/** sha256 of the canonical encoding without the timings (which the prover reports and nothing checks). */
export function proofHash (proof: CapacityProof): Hex {
  return toHex(sha256(Buffer.from(encodeCapacityProof({ ...proof, timings: { fillMs: 0, proveMs: 0 } }))))
}
