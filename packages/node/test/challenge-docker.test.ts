/**
 * Proof-of-capacity challenges on the real engine: the challenge image is built from this host's
 * node and reused; an honest challenge answers with a proof that verifies; a provider with less
 * memory than the spec is OOM-killed and one with too little CPU misses the deadline, and the
 * container is killed and removed; no challenge container is ever left behind.
 *
 * Needs a Docker engine: without one every test here is skipped with a line saying so.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { randomBytes } from 'node:crypto'
import type Docker from 'dockerode'
import { verifyCapacityProof, type CapacitySpec, type Hex } from '@dcn/protocol'
import { CHALLENGE_NODE, CHALLENGE_PROVER, CHALLENGE_REPO, ensureChallengeImage, removeStaleChallengeImages } from '../src/runtime/challenge-image.js'
import { hasImage } from '../src/runtime/images.js'
import { challengeContainerSpec, proverHeadroom, runChallenge } from '../src/runtime/challenge-runner.js'
import { connectDocker } from '../src/runtime/docker.js'
import { LABEL } from '../src/runtime/spec.js'

const MiB = 2 ** 20
/** Two lanes, so the prover's worker threads run in the container too. */
const SPEC: CapacitySpec = { cpu: 1500, memory: 64 * MiB, disk: 32 * MiB, gpu: 0 }
const PROVIDER = `0x${randomBytes(20).toString('hex')}`
const puzzles: Hex[] = []
const newPuzzle = (): Hex => {
  const p: Hex = `0x${randomBytes(32).toString('hex')}`
  puzzles.push(p)
  return p
}

let docker: Docker | undefined
try {
  docker = await connectDocker()
} catch (err) {
  console.log(`challenge-docker: skipped, ${(err as Error).message}`)
}

async function leftovers (d: Docker): Promise<string[]> {
  const all = await d.listContainers({ all: true, filters: { label: [LABEL.challenge] } })
  return all.filter(c => puzzles.includes(c.Labels[LABEL.challenge] as Hex)).map(c => c.Names[0])
}

if (docker !== undefined) {
  const d = docker

  test('the container: exactly the spec\'s CPU, memory + headroom without swap, no network, no capabilities, labelled', () => {
    const puzzle = newPuzzle()
    const s = challengeContainerSpec('dcn-challenge:x', SPEC, puzzle, { provider: PROVIDER.toUpperCase().replace('0X', '0x') })
    const h = s.HostConfig!
    assert.equal([h.NanoCpus, h.Memory, h.MemorySwap], [1.5e9, 64 * MiB + proverHeadroom(SPEC), 64 * MiB + proverHeadroom(SPEC)])
    assert.is(proverHeadroom(SPEC), 64 * MiB + 16 * MiB + 64 * 12288)
    assert.equal([h.NetworkMode, h.CapDrop, h.CapAdd, h.Privileged, h.SecurityOpt, h.PidsLimit], ['none', ['ALL'], undefined, false, ['no-new-privileges'], 128])
    assert.equal(s.Labels, { [LABEL.challenge]: puzzle, [LABEL.provider]: PROVIDER })
    assert.is(s.User, '65534:65534')
    assert.ok(s.Env!.includes(`DCN_PUZZLE=${puzzle}`) && s.Env!.includes(`DCN_SPEC=${JSON.stringify(SPEC)}`))
    // A provider's real capacity caps both; a GPU spec asks the engine for the devices.
    const capped = challengeContainerSpec('x', { ...SPEC, gpu: 2 }, puzzle, { capacity: { cpu: 500, memory: 40 * MiB } }).HostConfig!
    assert.equal([capped.NanoCpus, capped.Memory, capped.MemorySwap], [5e8, 40 * MiB, 40 * MiB])
    assert.equal(capped.DeviceRequests, [{ Count: 2, Capabilities: [['gpu']] }])
  })

  test('the challenge image: this host\'s node and the prover, built once, then reused', async () => {
    const image = await ensureChallengeImage(d)
    assert.match(image, /^dcn-challenge:[0-9a-f]{16}$/)
    const info = await d.getImage(image).inspect()
    assert.equal(info.Config.Entrypoint, [CHALLENGE_NODE, CHALLENGE_PROVER])
    const started = Date.now()
    assert.is(await ensureChallengeImage(d), image)
    assert.ok(Date.now() - started < 2_000, 'the second call finds the tag')
  })

  test('old challenge image tags are removed, the current one stays', async () => {
    const image = await ensureChallengeImage(d)
    const old = `${CHALLENGE_REPO}:00000000deadbeef`
    await d.getImage(image).tag({ repo: CHALLENGE_REPO, tag: '00000000deadbeef' })
    const removed = await removeStaleChallengeImages(d, image)
    assert.ok(removed.includes(old), `removed ${removed.join(', ')}`)
    assert.ok(await hasImage(d, image))
    assert.not.ok(await hasImage(d, old))
  })

  test('an honest 64 MiB + 32 MiB-disk challenge answers with a proof that verifies', async () => {
    const puzzle = newPuzzle()
    const r = await runChallenge(d, SPEC, puzzle, { deadlineMs: 60_000, provider: PROVIDER })
    assert.ok('proof' in r, 'error' in r ? r.error : '')
    if (!('proof' in r)) return
    assert.equal(verifyCapacityProof(puzzle, SPEC, r.proof), { ok: true })
    assert.equal([r.proof.blocks, r.proof.lanes], [12288, 2])
    assert.ok(r.proof.timings.fillMs > 0 && r.ms >= r.proof.timings.fillMs, `timings ${JSON.stringify(r.proof.timings)}, ${r.ms} ms`)
    // Another puzzle, another proof: nothing carries over between challenges.
    assert.not.ok(verifyCapacityProof(newPuzzle(), SPEC, r.proof).ok)
    assert.equal(await leftovers(d), [])
  })

  test('a provider with less memory than the spec claims is OOM-killed: no proof', async () => {
    const r = await runChallenge(d, SPEC, newPuzzle(), { deadlineMs: 60_000, capacity: { memory: 48 * MiB } })
    assert.ok('error' in r)
    if ('error' in r) assert.match(r.error, /^the prover was killed for using more memory than the container's 48.0 MiB/)
    assert.equal(await leftovers(d), [])
  })

  test('a prover past its deadline is killed and removed (a provider with far less CPU than claimed)', async () => {
    const started = Date.now()
    const r = await runChallenge(d, SPEC, newPuzzle(), { deadlineMs: 1_500, capacity: { cpu: 10 } })
    assert.equal(r, { error: 'the prover did not answer within the 1500 ms deadline; killed' })
    assert.ok(Date.now() - started < 15_000, `took ${Date.now() - started} ms`)
    assert.equal(await leftovers(d), [])
  })

  test('a spec the engine cannot grant fails cleanly: no proof, no container', async () => {
    const r = await runChallenge(d, { ...SPEC, memory: 0 }, newPuzzle(), { deadlineMs: 10_000, capacity: { memory: 2 * MiB } })
    assert.ok('error' in r && /^cannot (create|start) the challenge container: .*memory/i.test(r.error), JSON.stringify(r))
    const bad = await runChallenge(d, { ...SPEC, cpu: -1 }, newPuzzle(), { deadlineMs: 10_000 })
    assert.equal(bad, { error: 'invalid challenge spec: spec.cpu must be a whole number ≥ 0, got -1' })
  })

  test('no challenge container is left behind', async () => {
    assert.ok(puzzles.length >= 6)
    assert.equal(await leftovers(d), [])
  })
}

test.run()
