/**
 * The capacity prover: the program a challenge container runs (inlined with core.ts into one
 * script by prover-script.ts; never imported). It fills the table of core.ts — memoryBlocks in
 * one shared RAM buffer (every page touched before the fill, so a container short of memory dies
 * at once), diskBlocks in files — with one lane per CPU core of the spec (worker threads), then
 * prints the canonical proof JSON on stdout.
 *
 * Usage: node prover.mjs PUZZLE_HEX SPEC_JSON [DIR]
 *    or: DCN_PUZZLE=… DCN_SPEC='{"cpu":1000,"memory":…,"disk":…,"gpu":0}' [DCN_DIR=…] node prover.mjs
 * DIR (default /tmp) holds the disk file while the prover runs.
 */
import { closeSync, openSync, readSync, unlinkSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Worker, isMainThread, workerData } from 'node:worker_threads'
import {
  CAPACITY_BLOCK_BYTES, CAPACITY_PROOF_VERSION, capacityLayout, capacityQueries, capacitySpecError, encodeCapacityProof,
  fromHex, leafOf, merkleLevels, merklePath, nextBlock, refIndex, startBlock, toHex,
  type CapacityLayout, type CapacityProof, type CapacitySpec
} from './core.js'
import type { Hex } from '../types.js'

/** What a lane needs; SharedArrayBuffers are shared with worker threads, not copied. */
interface LaneJob {
  puzzle: string
  spec: CapacitySpec
  lane: number
  /** The disk files' path without `-LANE.bin`. */
  file: string
  memory: SharedArrayBuffer[]
  leaves: SharedArrayBuffer
}

/** RAM is split in 1 GiB buffers (a single ArrayBuffer is capped at 4 GiB in Node 20). */
const CHUNK_BLOCKS = 2 ** 30 / CAPACITY_BLOCK_BYTES
const PAGE = 4096

/**
 * Block storage: RAM views for the first memoryBlocks, then one file per lane (DIR/BASE-LANE.bin,
 * each lane's disk blocks in order) — writers to one shared file serialize on its inode lock,
 * which took the parallelism out of the disk part.
 */
class ProverTable {
  private readonly views: Uint8Array[]
  private readonly layout: CapacityLayout
  private readonly fds = new Map<number, number>()

  constructor (private readonly job: LaneJob) {
    this.views = job.memory.map(m => new Uint8Array(m))
    this.layout = capacityLayout(job.spec)
  }

  /** Block i: a view into RAM, or read from its lane's file into `scratch`. */
  read (i: number, scratch: Uint8Array): Uint8Array {
    if (i < this.layout.memoryBlocks) {
      const at = (i % CHUNK_BLOCKS) * CAPACITY_BLOCK_BYTES
      return this.views[Math.floor(i / CHUNK_BLOCKS)].subarray(at, at + CAPACITY_BLOCK_BYTES)
    }
    const n = readSync(this.fd(i), scratch, 0, CAPACITY_BLOCK_BYTES, this.offset(i))
    if (n !== CAPACITY_BLOCK_BYTES) throw new Error(`short read of block ${i} from the disk file (${n} bytes)`)
    return scratch
  }

  write (i: number, block: Uint8Array): void {
    if (i < this.layout.memoryBlocks) {
      this.views[Math.floor(i / CHUNK_BLOCKS)].set(block, (i % CHUNK_BLOCKS) * CAPACITY_BLOCK_BYTES)
      return
    }
    const n = writeSync(this.fd(i), block, 0, CAPACITY_BLOCK_BYTES, this.offset(i))
    if (n !== CAPACITY_BLOCK_BYTES) throw new Error(`short write of block ${i} to the disk file (${n} bytes)`)
  }

  /** Where disk block i sits in its lane's file: its position in the lane after the lane's RAM blocks. */
  private offset (i: number): number {
    const { lanes, memoryBlocks } = this.layout
    const firstOnDisk = Math.ceil((memoryBlocks - (i % lanes)) / lanes)
    return (Math.floor(i / lanes) - firstOnDisk) * CAPACITY_BLOCK_BYTES
  }

  private fd (i: number): number {
    const lane = i % this.layout.lanes
    let fd = this.fds.get(lane)
    if (fd === undefined) {
      fd = openSync(laneFile(this.job.file, lane), 'r+')
      this.fds.set(lane, fd)
    }
    return fd
  }

  close (): void {
    for (const fd of this.fds.values()) closeSync(fd)
  }
}

const laneFile = (base: string, lane: number): string => `${base}-${lane}.bin`

function fillLane (job: LaneJob): void {
  const { lanes, blocks } = capacityLayout(job.spec)
  const table = new ProverTable(job)
  const leaves = new Uint8Array(job.leaves)
  const scratch = new Uint8Array(CAPACITY_BLOCK_BYTES)
  try {
    let prev: Uint8Array = startBlock(fromHex(job.puzzle), job.spec, job.lane)
    table.write(job.lane, prev)
    leaves.set(leafOf(prev), job.lane * 32)
    for (let i = job.lane + lanes; i < blocks; i += lanes) {
      const prevLeaf = leaves.subarray((i - lanes) * 32, (i - lanes + 1) * 32)
      const block = nextBlock(prevLeaf, prev, table.read(refIndex(prevLeaf, i, lanes), scratch), i)
      table.write(i, block)
      leaves.set(leafOf(block), i * 32)
      prev = block
    }
  } finally {
    table.close()
  }
}

function fillLaneInWorker (job: LaneJob): Promise<void> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(fileURLToPath(import.meta.url), { workerData: job })
    worker.on('error', reject)
    worker.on('exit', code => { code === 0 ? resolve() : reject(new Error(`lane ${job.lane} exited with code ${code}`)) })
  })
}

function proverInput (): { puzzle: string, spec: CapacitySpec, dir: string } {
  const [puzzle, specText, dir] = process.argv.length > 2 ? process.argv.slice(2) : [process.env.DCN_PUZZLE, process.env.DCN_SPEC, process.env.DCN_DIR]
  if (puzzle === undefined || !/^(0x)?[0-9a-fA-F]{64}$/.test(puzzle)) throw new Error('the puzzle must be 32 bytes of hex (argument 1 or DCN_PUZZLE)')
  let spec: CapacitySpec
  try {
    spec = JSON.parse(specText ?? '')
  } catch {
    throw new Error('the spec must be JSON like {"cpu":1000,"memory":67108864,"disk":33554432,"gpu":0} (argument 2 or DCN_SPEC)')
  }
  const bad = capacitySpecError(spec)
  if (bad !== null) throw new Error(bad)
  return { puzzle: puzzle.toLowerCase(), spec: { cpu: spec.cpu, memory: spec.memory, disk: spec.disk, gpu: spec.gpu }, dir: dir ?? tmpdir() }
}

/** RAM for the table, every page written now: the claim is resident before any work is done. */
function allocateMemory (bytes: number): SharedArrayBuffer[] {
  const chunks: SharedArrayBuffer[] = []
  for (let left = bytes; left > 0; left -= CHUNK_BLOCKS * CAPACITY_BLOCK_BYTES) {
    const chunk = new SharedArrayBuffer(Math.min(left, CHUNK_BLOCKS * CAPACITY_BLOCK_BYTES))
    const view = new Uint8Array(chunk)
    for (let at = 0; at < view.length; at += PAGE) view[at] = 1
    chunks.push(chunk)
  }
  return chunks
}

async function prove (): Promise<void> {
  const started = performance.now()
  const { puzzle, spec, dir } = proverInput()
  const layout = capacityLayout(spec)
  const file = join(dir, `dcn-capacity-${process.pid}`)
  const memory = allocateMemory(layout.memoryBlocks * CAPACITY_BLOCK_BYTES)
  const leaves = new SharedArrayBuffer(layout.blocks * 32)
  const files = layout.diskBlocks > 0 ? Array.from({ length: layout.lanes }, (_, lane) => laneFile(file, lane)) : []
  for (const f of files) closeSync(openSync(f, 'w'))
  try {
    const job = (lane: number): LaneJob => ({ puzzle, spec, lane, file, memory, leaves })
    const others: Array<Promise<void>> = []
    for (let lane = 1; lane < layout.lanes; lane++) others.push(fillLaneInWorker(job(lane)))
    fillLane(job(0))
    await Promise.all(others)
    const filled = performance.now()

    const leafBytes = new Uint8Array(leaves)
    const levels = merkleLevels(leafBytes, layout.blocks)
    const root = levels[levels.length - 1].subarray(0, 32)
    const pathOf = (i: number): Hex[] => merklePath(levels, i).map(toHex)
    const table = new ProverTable(job(0))
    const scratch = new Uint8Array(CAPACITY_BLOCK_BYTES)
    const proof: CapacityProof = {
      version: CAPACITY_PROOF_VERSION,
      blocks: layout.blocks,
      lanes: layout.lanes,
      root: toHex(root),
      starts: Array.from({ length: layout.lanes }, (_, lane) => pathOf(lane)),
      openings: capacityQueries(root, fromHex(puzzle), layout).map(q => {
        const p = q - layout.lanes
        const j = refIndex(leafBytes.subarray(p * 32, p * 32 + 32), q, layout.lanes)
        const prev = toHex(table.read(p, scratch))
        return { index: q, prev, prevPath: pathOf(p), ref: toHex(table.read(j, scratch)), refPath: pathOf(j), path: pathOf(q) }
      }),
      timings: { fillMs: Math.round(filled - started), proveMs: 0 }
    }
    table.close()
    proof.timings.proveMs = Math.round(performance.now() - filled)
    process.stdout.write(encodeCapacityProof(proof) + '\n')
  } finally {
    for (const f of files) unlinkSync(f)
  }
}

if (isMainThread) {
  prove().catch((err: Error) => {
    process.stderr.write(`capacity prover: ${err.message}\n`)
    // Now, not when the other lanes' workers finish.
    process.exit(1)
  })
} else {
  fillLane(workerData as LaneJob)
}
