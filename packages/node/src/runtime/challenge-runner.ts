/**
 * Runs a proof-of-capacity challenge: the prover (challenge-image.ts) in a container with the
 * spec's limits and a lease's isolation, no network, killed at the deadline and always removed.
 *
 * Limits: NanoCpus = the spec's CPU; memory = the spec's memory + PROVER_HEADROOM, no swap; disk
 * = the container's writable layer (Docker can cap that only on xfs with project quotas, so a
 * provider short of disk fails on its real disk: the prover's write gets ENOSPC). `capacity`
 * emulates a provider with less than it claims: the container gets at most that CPU and memory,
 * so the prover is OOM-killed (or too slow for the deadline) — exactly how a spoofing provider
 * fails. The deadline counts from the container's start (the image is built before).
 */
import { randomBytes } from 'node:crypto'
import type Docker from 'dockerode'
import type { ContainerCreateOptions } from 'dockerode'
import { MIN_CHALLENGE_CPU, capacityLayout, capacitySpecError, decodeCapacityProof, type CapacityProof, type CapacitySpec, type Hex } from '@dcn/protocol'
import type { Logger } from '../log.js'
import { ensureChallengeImage } from './challenge-image.js'
import { Demuxer } from './demux.js'
import { dockerError, isNotFound } from './docker.js'
import { LABEL } from './spec.js'

const MiB = 2 ** 20

/**
 * Memory beyond the spec's: 64 MiB for node itself (its resident code, V8 heap, the proof text
 * of about 1 MB built a few times over), 16 MiB per extra lane (a worker thread's isolate), and
 * 64 bytes per block for the leaves and the Merkle tree (0.8% of the table).
 */
export function proverHeadroom (spec: CapacitySpec): number {
  const { lanes, blocks } = capacityLayout(spec)
  return 64 * MiB + 16 * MiB * (lanes - 1) + 64 * blocks
}

/**
 * A spec asking less CPU gets this much: the deadline (challengeDeadlineMs) reckons with at
 * least this share, so an honest provider given less would miss it.
 */
const MIN_CPU = MIN_CHALLENGE_CPU
/** More output than any proof (a few MB at most) is a broken prover. */
const MAX_OUTPUT = 16 * MiB

export interface ChallengeOptions {
  /** Kill the prover this long after its start. */
  deadlineMs: number
  /** The provider's real free CPU (milli-units) and memory (bytes), when less than the spec. */
  capacity?: { cpu?: number, memory?: number }
  /** Labels the container with its provider, as leases are. */
  provider?: string
  /** Default 128: node runs about a dozen threads, plus one per lane (at most 64). */
  pidsLimit?: number
  log?: Logger
}

export type ChallengeResult = { proof: CapacityProof, ms: number } | { error: string }

/** The container for `spec` (pure, so its limits and isolation are testable without an engine). */
export function challengeContainerSpec (image: string, spec: CapacitySpec, puzzle: Hex, opts: Omit<ChallengeOptions, 'deadlineMs' | 'log'> = {}): ContainerCreateOptions {
  const cpu = Math.max(MIN_CPU, Math.min(spec.cpu, opts.capacity?.cpu ?? Infinity))
  const memory = Math.min(spec.memory + proverHeadroom(spec), opts.capacity?.memory ?? Infinity)
  return {
    name: `dcn-challenge-${puzzle.slice(2, 14)}-${randomBytes(3).toString('hex')}`,
    Image: image,
    Env: [`DCN_PUZZLE=${puzzle}`, `DCN_SPEC=${JSON.stringify({ cpu: spec.cpu, memory: spec.memory, disk: spec.disk, gpu: spec.gpu })}`, 'DCN_DIR=/tmp'],
    User: '65534:65534',
    Labels: {
      [LABEL.challenge]: puzzle,
      ...(opts.provider === undefined ? {} : { [LABEL.provider]: opts.provider.toLowerCase() })
    },
    HostConfig: {
      NanoCpus: cpu * 1_000_000,
      Memory: memory,
      MemorySwap: memory,
      PidsLimit: opts.pidsLimit ?? 128,
      Privileged: false,
      CapDrop: ['ALL'],
      SecurityOpt: ['no-new-privileges'],
      NetworkMode: 'none',
      // stdout is read through attach; nothing is worth keeping once the container is gone.
      LogConfig: { Type: 'none', Config: {} },
      ...(spec.gpu > 0 ? { DeviceRequests: [{ Count: spec.gpu, Capabilities: [['gpu']] }] } : {})
    }
  }
}

/** Runs the challenge to its proof, or says why there is none (OOM, deadline, prover error, bad output). */
export async function runChallenge (docker: Docker, spec: CapacitySpec, puzzle: Hex, opts: ChallengeOptions): Promise<ChallengeResult> {
  const specError = capacitySpecError(spec)
  if (specError !== null) return { error: `invalid challenge spec: ${specError}` }
  if (!/^0x[0-9a-f]{64}$/.test(puzzle)) return { error: 'the puzzle must be 32 bytes of lower-case 0x hex' }
  let container: Docker.Container | undefined
  // Twice: another node version on this engine may remove the image between the check and the create.
  for (let attempt = 0; container === undefined; attempt++) {
    let image: string
    try {
      image = await ensureChallengeImage(docker, opts.log)
    } catch (err) {
      return { error: `cannot build the challenge image: ${dockerError(err)}` }
    }
    try {
      container = await docker.createContainer(challengeContainerSpec(image, spec, puzzle, opts))
    } catch (err) {
      if (attempt === 0 && isNotFound(err)) continue
      return { error: `cannot create the challenge container: ${dockerError(err)}` }
    }
  }
  try {
    return await supervise(container, opts.deadlineMs)
  } catch (err) {
    return { error: `the challenge container failed: ${dockerError(err)}` }
  } finally {
    await container.remove({ force: true }).catch((err: unknown) => {
      if (!isNotFound(err)) opts.log?.warn('cannot remove a challenge container', { id: container.id, error: dockerError(err) })
    })
  }
}

async function supervise (container: Docker.Container, deadlineMs: number): Promise<ChallengeResult> {
  const stdout: Buffer[] = []
  let stderr = ''
  let size = 0
  let overflow = false
  const demux = new Demuxer((s, data) => {
    if (s === 'stderr') stderr = (stderr + data.toString()).slice(-2000)
    else if ((size += data.length) <= MAX_OUTPUT) stdout.push(Buffer.from(data))
    else if (!overflow) { overflow = true; container.kill().catch(() => {}) }
  })
  const stream = await container.attach({ stream: true, stdout: true, stderr: true })
  const drained = new Promise<void>(resolve => {
    stream.on('data', (chunk: Buffer) => { demux.push(chunk) })
    stream.on('end', resolve)
    stream.on('close', resolve)
    stream.on('error', () => { resolve() })
  })
  // 'next-exit' registered before the start: the default condition returns at once for a created container.
  const exited = container.wait({ condition: 'next-exit' }) as Promise<{ StatusCode: number }>
  try {
    await container.start()
  } catch (err) {
    (stream as unknown as { destroy?: () => void }).destroy?.()
    return { error: `cannot start the challenge container: ${dockerError(err)}` }
  }
  const started = Date.now()
  let late = false
  const timer = setTimeout(() => { late = true; container.kill().catch(() => {}) }, deadlineMs)
  let code: number
  try {
    code = (await exited).StatusCode
  } finally {
    clearTimeout(timer)
  }
  const ms = Date.now() - started
  // The attach stream ends right after the exit; do not hang on an engine that keeps it open.
  await Promise.race([drained, new Promise(resolve => setTimeout(resolve, 2_000).unref())])
  const info = await container.inspect()
  const why = stderr.trim().split('\n').pop() ?? ''
  if (info.State.OOMKilled) return { error: `the prover was killed for using more memory than the container's ${((info.HostConfig.Memory ?? 0) / MiB).toFixed(1)} MiB: the provider has less memory than the spec claims` }
  if (late) return { error: `the prover did not answer within the ${deadlineMs} ms deadline; killed` }
  if (overflow) return { error: `the prover wrote more than ${MAX_OUTPUT / MiB} MiB; killed` }
  if (code !== 0) return { error: `the prover exited with code ${code}${why === '' ? '' : `: ${why}`}` }
  const decoded = decodeCapacityProof(Buffer.concat(stdout).toString('utf8'))
  if (!decoded.ok) return { error: `the prover's output is not a proof: ${decoded.reason}` }
  return { proof: decoded.proof, ms }
}
