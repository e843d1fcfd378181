/**
 * Proof of capacity: proofs from the standalone prover script (the program a challenge container
 * runs, here run as a plain child process) verify with the library for random puzzles and specs;
 * every kind of tampering is rejected with the failure that names it; the encoding is canonical
 * and the hash ignores only the timings.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  CAPACITY_BLOCK_BYTES, CAPACITY_QUERIES, capacityLayout, capacityProverScript, capacityQueries, capacitySpecError,
  decodeCapacityProof, encodeCapacityProof, proofHash, verifyCapacityProof,
  type CapacityFailure, type CapacityProof, type CapacitySpec, type Hex
} from '../src/index.js'
import { fromHex, merkleLevels, merklePath, nextBlock, rootFromPath, sha256 } from '../src/challenge/core.js'
import { prng, randomBytes } from './fixtures.js'

const KiB = 1024
const B = CAPACITY_BLOCK_BYTES
const dir = mkdtempSync(join(tmpdir(), 'dcn-puzzle-test-'))
const script = join(dir, 'prover.mjs')
writeFileSync(script, capacityProverScript())
const rand = prng(20240611)
const puzzleOf = (): Hex => `0x${Buffer.from(randomBytes(rand, 32)).toString('hex')}`

function runProver (args: string[], env: Record<string, string> = {}): { status: number | null, stdout: string, stderr: string } {
  const r = spawnSync(process.execPath, [script, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', ...env }, maxBuffer: 64 * 2 ** 20 })
  return { status: r.status, stdout: r.stdout, stderr: r.stderr }
}

function prove (puzzle: Hex, spec: CapacitySpec): CapacityProof {
  const r = runProver([puzzle, JSON.stringify(spec), dir])
  assert.is(r.status, 0, `prover failed: ${r.stderr}`)
  const d = decodeCapacityProof(r.stdout)
  if (!d.ok) throw new Error(`prover output is not a proof: ${d.reason}`)
  return d.proof
}

/** Three lanes (worker threads), RAM and disk blocks: 96 + 40 blocks. */
const SPEC: CapacitySpec = { cpu: 2500, memory: 96 * B, disk: 40 * B - 100, gpu: 0 }
const PUZZLE = puzzleOf()
const PROOF = prove(PUZZLE, SPEC)

function expectFailure (proof: unknown, failure: CapacityFailure, reason: RegExp, spec = SPEC, puzzle = PUZZLE): void {
  const v = verifyCapacityProof(puzzle, spec, proof as CapacityProof)
  assert.equal(v.ok ? 'ok' : v.failure, failure, v.ok ? 'accepted' : v.reason)
  if (!v.ok) assert.match(v.reason, reason)
}

const copy = (): CapacityProof => structuredClone(PROOF)
/** `hex` with the digit at `at` (counted after 0x) changed. */
function flip (hex: Hex, at = 0): Hex {
  const i = 2 + at
  return `${hex.slice(0, i)}${hex[i] === '0' ? '1' : '0'}${hex.slice(i + 1)}` as Hex
}

test('layout: blocks of memory then disk, one lane per started core (1..64), at least one block per lane', () => {
  assert.equal(capacityLayout({ cpu: 1000, memory: 64 * 2 ** 20, disk: 32 * 2 ** 20, gpu: 0 }), { memoryBlocks: 8192, diskBlocks: 4096, blocks: 12288, lanes: 1, depth: 14 })
  assert.is(capacityLayout({ cpu: 0, memory: 0, disk: 0, gpu: 0 }).blocks, 1)
  assert.is(capacityLayout({ cpu: 1001, memory: 1, disk: 1, gpu: 0 }).lanes, 2)
  assert.is(capacityLayout({ cpu: 1001, memory: 1, disk: 1, gpu: 0 }).memoryBlocks, 2)
  assert.is(capacityLayout({ cpu: 500_000, memory: 0, disk: 0, gpu: 0 }).lanes, 64)
  assert.equal(capacityLayout(SPEC), { memoryBlocks: 96, diskBlocks: 40, blocks: 136, lanes: 3, depth: 8 })
  assert.is(capacitySpecError(SPEC), null)
  assert.match(capacitySpecError({ ...SPEC, memory: -1 }) ?? '', /spec.memory must be a whole number/)
  assert.match(capacitySpecError({ ...SPEC, cpu: 1.5 }) ?? '', /spec.cpu/)
  assert.match(capacitySpecError({ ...SPEC, disk: 2 ** 50 }) ?? '', /blocks/)
})

test('a block depends on its inputs non-linearly: one changed input byte changes every 16-byte chunk', () => {
  const leaf = sha256(Buffer.from('leaf'))
  const prev = Buffer.from(randomBytes(rand, B))
  const ref = Buffer.from(randomBytes(rand, B))
  const block = nextBlock(leaf, prev, ref, 7)
  const chunksChanged = (other: Buffer): number => {
    let n = 0
    for (let c = 0; c < B; c += 16) if (!other.subarray(c, c + 16).equals(block.subarray(c, c + 16))) n++
    return n
  }
  for (const [p, r, what] of [[Buffer.from(prev), ref, 'predecessor'], [prev, Buffer.from(ref), 'reference']] as const) {
    const changed = p === prev ? r : p
    changed[0] ^= 1
    assert.is(chunksChanged(nextBlock(leaf, p, r, 7)), B / 16, what)
  }
  assert.is(chunksChanged(nextBlock(sha256(Buffer.from('other')), prev, ref, 7)), B / 16, 'key')
  assert.is(chunksChanged(nextBlock(leaf, prev, ref, 8)), B / 16, 'index')
  // A stream cipher would be linear: block(prev ⊕ d) = block(prev) ⊕ d.
  const d = Buffer.alloc(B)
  d[100] = 0xff
  const shifted = Buffer.from(prev.map((x, k) => x ^ d[k]))
  const linear = Buffer.from(block.map((x, k) => x ^ d[k]))
  assert.not.ok(nextBlock(leaf, shifted, ref, 7).equals(linear))
})

test('merkle paths of a tree of odd size lead to its root, and only from their own index', () => {
  for (const count of [1, 2, 5, 13]) {
    const leaves = new Uint8Array(count * 32)
    for (let i = 0; i < count; i++) leaves.set(sha256(Buffer.from([i])), i * 32)
    const levels = merkleLevels(leaves, count)
    const root = levels[levels.length - 1]
    assert.is(root.length, 32)
    for (let i = 0; i < count; i++) {
      const path = merklePath(levels, i)
      assert.is(path.length, capacityLayout({ cpu: 0, memory: count * B, disk: 0, gpu: 0 }).depth)
      assert.ok(rootFromPath(leaves.subarray(i * 32, i * 32 + 32), i, path).equals(root), `leaf ${i} of ${count}`)
      if (count > 1) assert.not.ok(rootFromPath(leaves.subarray(i * 32, i * 32 + 32), i ^ 1, path).equals(root), `leaf ${i} of ${count} at its sibling's index`)
    }
  }
})

test('the standalone prover and the library agree: proofs for random puzzles and specs verify', () => {
  assert.equal(verifyCapacityProof(PUZZLE, SPEC, PROOF), { ok: true })
  assert.is(PROOF.openings.length, CAPACITY_QUERIES)
  assert.equal(PROOF.openings.map(o => o.index), capacityQueries(fromHex(PROOF.root), fromHex(PUZZLE), capacityLayout(SPEC)))
  for (let k = 0; k < 4; k++) {
    const spec: CapacitySpec = {
      cpu: 1 + Math.floor(rand() * 2500),
      memory: Math.floor(rand() * 300 * KiB),
      disk: k === 0 ? 0 : Math.floor(rand() * 200 * KiB),
      gpu: Math.floor(rand() * 2)
    }
    const puzzle = puzzleOf()
    const proof = prove(puzzle, spec)
    assert.equal(verifyCapacityProof(puzzle, spec, proof), { ok: true }, JSON.stringify(spec))
    assert.is(proof.blocks, capacityLayout(spec).blocks)
  }
  assert.equal(readdirSync(dir), ['prover.mjs'], 'the prover removed its disk file')
})

test('a spec of one block per lane has no queries and still checks the first blocks', () => {
  const spec: CapacitySpec = { cpu: 2000, memory: 0, disk: 0, gpu: 0 }
  const proof = prove(PUZZLE, spec)
  assert.equal([proof.blocks, proof.openings.length], [2, 0])
  assert.equal(verifyCapacityProof(PUZZLE, spec, proof), { ok: true })
  expectFailure(proof, 'start', /first block of lane 0/, spec, flip(PUZZLE, 10))
})

test('the proof hash: same challenge gives the same hash, timings do not count, anything else does', () => {
  const again = prove(PUZZLE, SPEC)
  assert.is(proofHash(again), proofHash(PROOF))
  assert.is(proofHash({ ...PROOF, timings: { fillMs: 1, proveMs: 2 } }), proofHash(PROOF))
  const other = copy()
  other.openings[3].refPath[2] = flip(other.openings[3].refPath[2])
  assert.is.not(proofHash(other), proofHash(PROOF))
  assert.match(proofHash(PROOF), /^0x[0-9a-f]{64}$/)
})

test('tampered blocks are rejected: predecessor, reference', () => {
  const p = copy()
  p.openings[0].prev = flip(p.openings[0].prev, 2 * B - 1)
  expectFailure(p, 'prev', /opening 0 \(block \d+\): its predecessor, block \d+/)
  const r = copy()
  r.openings[7].ref = flip(r.openings[7].ref, 1000)
  expectFailure(r, 'ref', /opening 7 \(block \d+\): its reference, block \d+/)
})

test('tampered Merkle paths are rejected: a sibling leaf, an inner node, a start path', () => {
  const leaf = copy()
  leaf.openings[2].prevPath[0] = flip(leaf.openings[2].prevPath[0])
  expectFailure(leaf, 'prev', /opening 2/)
  const ref = copy()
  ref.openings[4].refPath[7] = flip(ref.openings[4].refPath[7], 63)
  expectFailure(ref, 'ref', /opening 4/)
  const own = copy()
  own.openings[5].path[3] = flip(own.openings[5].path[3])
  expectFailure(own, 'block', /opening 5 \(block \d+\): the block computed from blocks \d+ and \d+ is not the one under the root/)
  const start = copy()
  start.starts[2][0] = flip(start.starts[2][0])
  expectFailure(start, 'start', /first block of lane 2/)
})

test('a queried block from other inputs is rejected: openings moved to another query', () => {
  const p = copy()
  const [a, b] = [p.openings[0], p.openings[1]]
  p.openings[1] = { ...b, prev: a.prev, prevPath: a.prevPath }
  expectFailure(p, 'prev', /opening 1/)
  const q = copy()
  q.openings[1] = { ...q.openings[0], index: q.openings[1].index }
  assert.is.not(q.openings[0].index, q.openings[1].index)
  expectFailure(q, 'prev', /opening 1/)
})

test('a changed root or query index is rejected', () => {
  const root = copy()
  root.root = flip(root.root)
  expectFailure(root, 'start', /first block of lane 0 is not the one this puzzle and spec give, or its path does not lead to the root/)
  const index = copy()
  index.openings[9].index = (index.openings[9].index + 1) % 136
  expectFailure(index, 'queries', /opening 9 is block \d+, but the root selects block \d+/)
})

test('the proof is bound to its spec and puzzle', () => {
  expectFailure(PROOF, 'spec', /covers 136 blocks in 3 lanes; this spec needs 137 in 3/, { ...SPEC, memory: SPEC.memory + 1 })
  expectFailure(PROOF, 'spec', /this spec needs 136 in 2/, { ...SPEC, cpu: 2000 })
  // Same number of blocks and lanes: the first blocks carry the whole spec.
  expectFailure(PROOF, 'start', /first block of lane 0/, { ...SPEC, cpu: 2600 })
  expectFailure(PROOF, 'start', /first block/, { ...SPEC, memory: SPEC.memory - B, disk: SPEC.disk + B })
  expectFailure(PROOF, 'start', /first block/, { ...SPEC, gpu: 1 })
  expectFailure(PROOF, 'start', /first block/, SPEC, flip(PUZZLE, 63))
  expectFailure(PROOF, 'format', /puzzle is 31 bytes/, SPEC, PUZZLE.slice(0, -2) as Hex)
  expectFailure(PROOF, 'spec', /spec is invalid: spec.disk/, { ...SPEC, disk: -1 })
})

test('malformed proofs are rejected as format, never thrown', () => {
  const cases: Array<[unknown, RegExp]> = [
    [null, /not an object/],
    [[], /not an object/],
    [{ ...copy(), version: 2 }, /version 2/],
    [{ ...copy(), root: PROOF.root.toUpperCase().replace('0X', '0x') }, /root/],
    [{ ...copy(), starts: PROOF.starts.slice(1) }, /starts must hold 3/],
    [{ ...copy(), openings: PROOF.openings.slice(1) }, /openings must hold 24/],
    [{ ...copy(), timings: undefined }, /timings/],
    [{ ...copy(), timings: { fillMs: -1, proveMs: 0 } }, /timings/],
    [{ ...copy(), lanes: 0 }, /lanes/]
  ]
  const short = copy()
  short.openings[3].ref = short.openings[3].ref.slice(0, -2) as Hex
  cases.push([short, /opening 3: prev and ref must be 8192 bytes/])
  const path = copy()
  path.openings[1].path.pop()
  cases.push([path, /opening 1: a path is not 8 hashes/])
  const index = copy()
  index.openings[0].index = 136
  cases.push([index, /opening 0: index is not a block number/])
  for (const [p, reason] of cases) expectFailure(p, 'format', reason)
})

test('decoding: canonical text round-trips, unknown fields are dropped, junk is refused', () => {
  const text = encodeCapacityProof(PROOF)
  const d = decodeCapacityProof(text)
  assert.ok(d.ok)
  if (d.ok) assert.is(encodeCapacityProof(d.proof), text)
  const extra = decodeCapacityProof(JSON.stringify({ extra: 1, ...JSON.parse(text), timings: { ...PROOF.timings, more: 2 } }))
  assert.ok(extra.ok && encodeCapacityProof(extra.proof) === text)
  assert.equal(decodeCapacityProof('{"version":1'), { ok: false, reason: 'not JSON' })
  const bad = decodeCapacityProof(JSON.stringify({ ...PROOF, blocks: 'many' }))
  assert.ok(!bad.ok && /blocks/.test(bad.reason))
})

test('the prover script imports only node: builtins and refuses bad input with one line', () => {
  const text = capacityProverScript()
  const imports = [...text.matchAll(/^import .* from '([^']+)';$/gm)].map(m => m[1])
  assert.ok(imports.length > 0 && imports.every(i => i.startsWith('node:')), imports.join(', '))
  assert.not.match(text, /^export /m)
  const noPuzzle = runProver([])
  assert.equal([noPuzzle.status, noPuzzle.stderr], [1, 'capacity prover: the puzzle must be 32 bytes of hex (argument 1 or DCN_PUZZLE)\n'])
  const badSpec = runProver([], { DCN_PUZZLE: PUZZLE, DCN_SPEC: '{"cpu":1000,"memory":-5,"disk":0,"gpu":0}' })
  assert.equal([badSpec.status, badSpec.stderr], [1, 'capacity prover: spec.memory must be a whole number ≥ 0, got -5\n'])
  // The environment form, as the challenge container passes it.
  const spec: CapacitySpec = { cpu: 1000, memory: 8 * B, disk: 0, gpu: 0 }
  const env = runProver([], { DCN_PUZZLE: PUZZLE, DCN_SPEC: JSON.stringify(spec), DCN_DIR: dir })
  const d = decodeCapacityProof(env.stdout)
  assert.ok(d.ok && verifyCapacityProof(PUZZLE, spec, d.proof).ok, env.stderr)
})

test.after(() => { rmSync(dir, { recursive: true, force: true }) })

test.run()
