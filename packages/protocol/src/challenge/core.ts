/**
 * Proof of capacity: the block table, its Merkle tree and the queries, shared by the prover (run
 * inside the challenge container, see prover.ts) and the verifier (puzzle.ts). This file and
 * prover.ts are inlined into one script for the container (prover-script.ts), so both import
 * nothing but `node:` builtins (and erased types), and their top-level names must not clash.
 *
 * The table: `blocks = memoryBlocks + diskBlocks` blocks of BLOCK_BYTES, the first memoryBlocks
 * in RAM, the rest in a file. Block i belongs to lane `i % lanes` (lanes = CPU cores of the spec,
 * filled in parallel). Each lane is a chain of its own blocks:
 *   - its first block is AES-128-CTR keystream keyed by sha256(domain ‖ puzzle ‖ spec ‖ lane);
 *   - block i (not first) = E(x) ⊕ x with x = block[i − lanes] ⊕ block[j] and
 *     E = AES-128-CBC(key = leaf[i − lanes][0..16], iv = i), where leaf[k] = sha256(block[k]) and
 *     j = a uniform earlier block of the same lane, chosen by leaf[i − lanes][16..23].
 * Why this and not `block[i] = AES-CTR(key_i, block[j])`: CTR makes the table linear — every
 * block is the lane's first block XOR the keystreams along its reference chain (about ln i
 * links, each keyed by a 32-byte leaf) — so a prover keeping only the leaves (0.4% of the table)
 * regenerates any block with ~11 cheap keystreams. Here a block needs two whole earlier blocks
 * through a non-linear step (CBC chains every 16 bytes into the next), so regenerating a dropped
 * block means regenerating its predecessors back to a kept one, each needing its own random
 * reference: the Argon2d-style penalty that grows fast as less is kept. The feed-forward `⊕ x`
 * (Argon2's G has it too) makes the step one-way: without it any two of (block, predecessor,
 * reference) would give the third by decrypting, a second way to rebuild dropped blocks. The
 * table depends on the puzzle through the first blocks, so it cannot be computed in advance.
 *
 * Commitment: a binary Merkle tree over leaf[0..blocks), nodes sha256(0x01 ‖ left ‖ right), a
 * missing right child is 32 zero bytes. Queries (Fiat–Shamir): h = sha256(root ‖ puzzle) hashed
 * QUERY_WORK more times, query k = lanes + (sha256(h ‖ k) mod (blocks − lanes)). The extra hashing
 * makes grinding (re-rolling the root, e.g. by changing the last block, until the queries miss
 * the blocks a cheater got wrong) cost ~40 ms per try instead of one Merkle path. Soundness: a
 * table with a fraction f of wrong blocks passes one try with (1 − f)^QUERIES — f = 25%: 0.1%,
 * f = 50%: 6e-8 — so small shortfalls (a few %) go unnoticed, large ones cannot answer in time.
 *
 * What the proof does not show: that the bytes were in RAM rather than on disk (or the reverse) —
 * the container's memory limit enforces that on an honest engine, not the proof; the CPU share
 * (lanes give parallel work to do, but a prover may run them on fewer cores if it still meets the
 * deadline — the deadline is the CPU check); GPUs.
 */
import { createCipheriv, createHash } from 'node:crypto'
import type { Hex } from '../types.js'

export const CAPACITY_PROOF_VERSION = 1
/** 8 KiB: per-block call overhead is ~14% of the fill at this size, and a proof carries 2 blocks per query. */
export const CAPACITY_BLOCK_BYTES = 8192
export const CAPACITY_QUERIES = 24
export const CAPACITY_MAX_LANES = 64
/** Extra sha256 iterations before the queries are drawn (about 40 ms): the cost of one grinding try. */
export const CAPACITY_QUERY_WORK = 1 << 15
/** Block indices stay below 2^32 (16 TiB of memory + disk). */
export const CAPACITY_MAX_BLOCKS = 2 ** 31

/** What a challenge asks for. */
export interface CapacitySpec {
  /** CPU in milli-units (1000 = one core). */
  cpu: number
  /** Memory in bytes. */
  memory: number
  /** Disk in bytes. */
  disk: number
  /** GPUs (requested from the engine; not shown by the proof). */
  gpu: number
}

/** The table a spec asks for. */
export interface CapacityLayout {
  memoryBlocks: number
  diskBlocks: number
  blocks: number
  lanes: number
  /** Merkle path length: ceil(log2(blocks)). */
  depth: number
}

/** One query: block `index` is recomputed from its predecessor in the lane and its reference. */
export interface CapacityOpening {
  index: number
  /** Block index − lanes, whose leaf keys block index and chooses its reference. */
  prev: Hex
  prevPath: Hex[]
  /** The referenced block j(index). */
  ref: Hex
  refPath: Hex[]
  /** Merkle path of block index itself (the verifier recomputes the block). */
  path: Hex[]
}

/** A prover's answer. Hex strings are 0x-prefixed lower case; paths list siblings leaf-up. */
export interface CapacityProof {
  version: number
  blocks: number
  lanes: number
  root: Hex
  /** Merkle path of each lane's first block (index = lane). */
  starts: Hex[][]
  openings: CapacityOpening[]
  /** As the prover reports them: informative only, not covered by the proof hash. */
  timings: { fillMs: number, proveMs: number }
}

const DOMAIN = Buffer.from('dcn/capacity/1')
const NODE_PREFIX = Buffer.from([1])
const ZERO_HASH = new Uint8Array(32)
const ZERO_IV = new Uint8Array(16)
const ZERO_BLOCK = new Uint8Array(CAPACITY_BLOCK_BYTES)

/** Why a spec cannot be challenged, or null. */
export function capacitySpecError (spec: CapacitySpec): string | null {
  for (const k of ['cpu', 'memory', 'disk', 'gpu'] as const) {
    const v = (spec as unknown as Record<string, unknown>)?.[k]
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) return `spec.${k} must be a whole number ≥ 0, got ${String(v)}`
  }
  if (spec.cpu > 0xffffffff || spec.gpu > 0xffffffff) return 'spec.cpu and spec.gpu must fit in 32 bits'
  if (capacityLayout(spec).blocks > CAPACITY_MAX_BLOCKS) return `memory + disk over ${CAPACITY_MAX_BLOCKS} blocks of ${CAPACITY_BLOCK_BYTES} bytes`
  return null
}

export function capacityLayout (spec: CapacitySpec): CapacityLayout {
  const lanes = Math.min(CAPACITY_MAX_LANES, Math.max(1, Math.ceil(spec.cpu / 1000)))
  // Every lane has at least its first block, in RAM.
  const memoryBlocks = Math.max(lanes, Math.ceil(spec.memory / CAPACITY_BLOCK_BYTES))
  const diskBlocks = Math.ceil(spec.disk / CAPACITY_BLOCK_BYTES)
  const blocks = memoryBlocks + diskBlocks
  return { memoryBlocks, diskBlocks, blocks, lanes, depth: merkleDepth(blocks) }
}

/** ceil(log2(leaves)): the length of every Merkle path. */
export function merkleDepth (leaves: number): number {
  let depth = 0
  while (2 ** depth < leaves) depth++
  return depth
}

export function sha256 (...parts: Uint8Array[]): Buffer {
  const h = createHash('sha256')
  for (const p of parts) h.update(p)
  return h.digest()
}

function u32 (n: number): Buffer {
  const b = Buffer.alloc(4)
  b.writeUInt32BE(n)
  return b
}

function u64 (n: number): Buffer {
  const b = Buffer.alloc(8)
  b.writeBigUInt64BE(BigInt(n))
  return b
}

/** 53 bits of `b` at `o`, big-endian: an index source with negligible modulo bias. */
function uint53 (b: Uint8Array, o: number): number {
  const hi = b[o] * 2 ** 24 + b[o + 1] * 2 ** 16 + b[o + 2] * 2 ** 8 + b[o + 3]
  const lo = (b[o + 4] << 13) | (b[o + 5] << 5) | (b[o + 6] >>> 3)
  return hi * 2 ** 21 + lo
}

export function leafOf (block: Uint8Array): Buffer {
  return sha256(block)
}

/** The first block of a lane: keystream from the puzzle and the whole spec, so a spec change changes every block. */
export function startBlock (puzzle: Uint8Array, spec: CapacitySpec, lane: number): Buffer {
  const seed = sha256(DOMAIN, puzzle, u32(spec.cpu), u64(spec.memory), u64(spec.disk), u32(spec.gpu), u32(lane))
  return createCipheriv('aes-128-ctr', seed.subarray(0, 16), ZERO_IV).update(ZERO_BLOCK)
}

/** j(index): a uniform earlier block of index's lane, chosen by the leaf of its predecessor. */
export function refIndex (prevLeaf: Uint8Array, index: number, lanes: number): number {
  const position = Math.floor(index / lanes)
  return (uint53(prevLeaf, 16) % position) * lanes + (index % lanes)
}

function xorInto (out: Uint8Array, a: Uint8Array, b: Uint8Array): void {
  if ((out.byteOffset | a.byteOffset | b.byteOffset) % 4 === 0) {
    const o = new Int32Array(out.buffer, out.byteOffset, out.length >>> 2)
    const x = new Int32Array(a.buffer, a.byteOffset, out.length >>> 2)
    const y = new Int32Array(b.buffer, b.byteOffset, out.length >>> 2)
    for (let k = 0; k < o.length; k++) o[k] = x[k] ^ y[k]
  } else {
    for (let k = 0; k < out.length; k++) out[k] = a[k] ^ b[k]
  }
}

/** Block `index` from its predecessor in the lane (and that one's leaf) and its reference. */
export function nextBlock (prevLeaf: Uint8Array, prev: Uint8Array, ref: Uint8Array, index: number): Buffer {
  const mixed = Buffer.alloc(CAPACITY_BLOCK_BYTES)
  xorInto(mixed, prev, ref)
  const iv = Buffer.alloc(16)
  iv.writeUInt32BE(index, 12)
  const cipher = createCipheriv('aes-128-cbc', prevLeaf.subarray(0, 16), iv)
  cipher.setAutoPadding(false)
  const block = cipher.update(mixed)
  xorInto(block, block, mixed)
  return block
}

function nodeHash (left: Uint8Array, right: Uint8Array): Buffer {
  return sha256(NODE_PREFIX, left, right)
}

/** Every level of the tree over `count` leaves packed in `leaves` (32 bytes each); the last level is the root. */
export function merkleLevels (leaves: Uint8Array, count: number): Uint8Array[] {
  let level = leaves.subarray(0, count * 32)
  let n = count
  const levels = [level]
  while (n > 1) {
    const m = Math.ceil(n / 2)
    const next = new Uint8Array(m * 32)
    for (let k = 0; k < m; k++) {
      const right = 2 * k + 1 < n ? level.subarray((2 * k + 1) * 32, (2 * k + 2) * 32) : ZERO_HASH
      next.set(nodeHash(level.subarray(2 * k * 32, (2 * k + 1) * 32), right), k * 32)
    }
    levels.push(next)
    level = next
    n = m
  }
  return levels
}

export function merklePath (levels: Uint8Array[], index: number): Uint8Array[] {
  const path: Uint8Array[] = []
  for (let d = 0; d < levels.length - 1; d++) {
    const sibling = index ^ 1
    path.push(sibling * 32 < levels[d].length ? levels[d].subarray(sibling * 32, sibling * 32 + 32) : ZERO_HASH)
    index = Math.floor(index / 2)
  }
  return path
}

export function rootFromPath (leaf: Uint8Array, index: number, path: Uint8Array[]): Buffer {
  let h: Buffer = Buffer.from(leaf)
  for (const sibling of path) {
    h = index % 2 === 0 ? nodeHash(h, sibling) : nodeHash(sibling, h)
    index = Math.floor(index / 2)
  }
  return h
}

/** The blocks a root must open (Fiat–Shamir); none when every block is a lane's first. */
export function capacityQueries (root: Uint8Array, puzzle: Uint8Array, layout: CapacityLayout): number[] {
  if (layout.blocks <= layout.lanes) return []
  let h = sha256(root, puzzle)
  for (let t = 0; t < CAPACITY_QUERY_WORK; t++) h = sha256(h)
  const queries: number[] = []
  for (let k = 0; k < CAPACITY_QUERIES; k++) queries.push(layout.lanes + uint53(sha256(h, u32(k)), 0) % (layout.blocks - layout.lanes))
  return queries
}

export function toHex (bytes: Uint8Array): Hex {
  return `0x${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('hex')}`
}

export function fromHex (hex: string): Buffer {
  return Buffer.from(hex.startsWith('0x') ? hex.slice(2) : hex, 'hex')
}

/** The canonical text of a proof: fixed key order, no spaces (what the prover prints). */
export function encodeCapacityProof (p: CapacityProof): string {
  return JSON.stringify({
    version: p.version,
    blocks: p.blocks,
    lanes: p.lanes,
    root: p.root,
    starts: p.starts,
    openings: p.openings.map(o => ({ index: o.index, prev: o.prev, prevPath: o.prevPath, ref: o.ref, refPath: o.refPath, path: o.path })),
    timings: { fillMs: p.timings.fillMs, proveMs: p.timings.proveMs }
  })
}
