/**
 * Proof of capacity on the local engine: the challenge image build (removed first, so it is
 * measured), then challenges of 256 MiB and 1 GiB of memory (+ half as much disk) with 1 and 2
 * lanes — the prover's own fill and prove times, the whole run (container create → removed),
 * the verify time and the proof's size. No target in SPEC.md: reported only.
 */
import { randomBytes } from 'node:crypto'
import { capacityLayout, encodeCapacityProof, verifyCapacityProof, type CapacitySpec, type Hex } from '@dcn/protocol'
import { ensureChallengeImage } from '../src/runtime/challenge-image.js'
import { runChallenge } from '../src/runtime/challenge-runner.js'
import { connectDocker, isNotFound } from '../src/runtime/docker.js'
import type { BenchResult } from '@dcn/protocol'

const MiB = 2 ** 20

export async function run (): Promise<BenchResult[]> {
  const docker = await connectDocker()
  const results: BenchResult[] = []

  const tag = await ensureChallengeImage(docker)
  await docker.getImage(tag).remove().catch((err: unknown) => { if (!isNotFound(err)) throw err })
  let started = performance.now()
  await ensureChallengeImage(docker)
  const buildMs = performance.now() - started
  const size = (await docker.getImage(tag).inspect()).Size
  results.push({ name: 'challenge image build', params: { image: tag }, results: { buildMs: Math.round(buildMs), sizeMB: Math.round(size / 1e6) } })

  for (const memory of [256 * MiB, 1024 * MiB]) {
    for (const cpu of [1000, 2000]) {
      const spec: CapacitySpec = { cpu, memory, disk: memory / 2, gpu: 0 }
      const puzzle: Hex = `0x${randomBytes(32).toString('hex')}`
      started = performance.now()
      const r = await runChallenge(docker, spec, puzzle, { deadlineMs: 300_000 })
      const totalMs = performance.now() - started
      if ('error' in r) throw new Error(`challenge ${JSON.stringify(spec)}: ${r.error}`)
      started = performance.now()
      const verdict = verifyCapacityProof(puzzle, spec, r.proof)
      const verifyMs = performance.now() - started
      if (!verdict.ok) throw new Error(`challenge ${JSON.stringify(spec)}: the proof does not verify: ${verdict.reason}`)
      results.push({
        name: 'capacity challenge',
        params: { memoryMiB: memory / MiB, diskMiB: memory / 2 / MiB, cpu, blocks: capacityLayout(spec).blocks },
        results: {
          fillMs: r.proof.timings.fillMs,
          proveMs: r.proof.timings.proveMs,
          containerMs: r.ms,
          totalMs: Math.round(totalMs),
          verifyMs: Math.round(verifyMs * 10) / 10,
          proofBytes: encodeCapacityProof(r.proof).length
        }
      })
    }
  }
  return results
}
