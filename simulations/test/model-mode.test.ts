import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseScenario } from '../src/scenario/parse.js'
import { runSimulation } from '../src/run.js'
import { writeResults } from '../src/results/write.js'
import type { Scenario } from '../src/scenario/types.js'

/** 60 providers, one of them registering 4× its capacity; 16 minutes = 48 slots of 20 s = 8 eras. */
const SMALL = `# Is the one spoofer among 60 providers caught, with no honest provider failed?
mode: model
seed: 5
duration: 16m
nodes: { providers: 60, slarks: 6, users: 10 }
latency: { kind: uniform, min: 5ms, max: 40ms }
adversaries: { spoofers: { fraction: 0.0167, factor: 4 } }
workloads: { perMinute: 30, duration: { min: 1m, max: 10m } }
timing: { slot: 20s, eraSlots: 6, bidWindow: 1s, heartbeat: 5s }
`
const scenario = (seed?: number): Scenario => {
  const s = parseScenario(SMALL, 'small.yaml')
  return seed === undefined ? s : { ...s, seed }
}

const dirs: string[] = []
const tmp = (): string => { const d = mkdtempSync(join(tmpdir(), 'dcn-model-')); dirs.push(d); return d }
test.after(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }) })

test('a small model run has the results structure and plausible values', async () => {
  const progress: number[] = []
  const r = await runSimulation(scenario(), { onProgress: (done, total) => progress.push(done / total) })
  assert.is(r.mode, 'model')
  assert.is(r.simulatedMs, 16 * 60_000)
  assert.ok(r.wallMs >= 0)
  assert.is(progress[progress.length - 1], 1)
  assert.is(r.nodes.started, 60 + 6 + 1 + 10)

  const m = r.matching!
  assert.ok(m.orders > 300 && m.orders < 700, `~480 orders expected, got ${m.orders}`)
  assert.ok(m.matched > 0.9 * m.orders, `${m.matched} of ${m.orders} matched`)
  assert.is(m.latencyMs.count, m.matched)
  // 3 gossip hops (77 nodes: ⌈log₆ 77⌉) of 5–40 ms each
  assert.ok(m.latencyMs.p50 > 30 && m.latencyMs.p50 < 105 && m.latencyMs.max <= 120, `p50 ${m.latencyMs.p50}, max ${m.latencyMs.max}`)
  assert.is(m.latencyMs.cdf[m.latencyMs.cdf.length - 1][1], 1)
  assert.ok(m.matchesPerSecond.points.length > 10)

  const d = r.detection!
  assert.is(d.spoofers, 1)
  assert.is(d.spoofersDetected, 1, 'the spoofer is caught')
  assert.is(d.detectionRate, 1)
  assert.is(d.falsePositiveRate, 0, 'no honest provider failed')
  assert.ok(d.challenges >= 60, `every provider challenged at least once: ${d.challenges}`)
  assert.ok(d.erasToDetect!.max <= 8)

  const eras = r.eras!
  assert.equal(eras.map(e => e.era), [0, 1, 2, 3, 4, 5, 6, 7])
  for (const e of eras) {
    assert.is(e.tiers.length, 7)
    assert.is(e.tiers.reduce((a, b) => a + b, 0), 60, `era ${e.era}: every provider has a tier`)
    assert.ok(e.rewards.providers > 0, `era ${e.era}: providers earned`)
    assert.ok(e.rewards.slarks > 0, `era ${e.era}: slarks earned`)
    assert.is(e.rewards.fizz, 0)
  }
  assert.ok(eras.some(e => e.slashed > 0), 'the spoofer\'s failed challenge slashes it')
  assert.is(r.rewards!.count, 60)
  assert.ok(r.rewards!.max > 0)
  assert.is(r.delivery, undefined, 'model mode does not measure gossip delivery')
  assert.ok(r.series.some(s => s.name === 'active-leases' && s.points.some(p => p[1] > 0)))
  assert.ok(r.notes.some(n => n.includes('sampled')))
})

test('the same seed gives byte-identical results.json; another seed differs', async () => {
  const [a, b, c] = [tmp(), tmp(), tmp()]
  writeResults(await runSimulation(scenario()), a)
  writeResults(await runSimulation(scenario()), b)
  writeResults(await runSimulation(scenario(6)), c)
  const read = (dir: string, f: string): string => readFileSync(join(dir, f), 'utf8')
  assert.ok(read(a, 'results.json') === read(b, 'results.json'), 'same seed, same bytes')
  assert.ok(read(a, 'eras.csv') === read(b, 'eras.csv'))
  assert.ok(read(a, 'report.html') === read(b, 'report.html'))
  assert.ok(read(a, 'results.json') !== read(c, 'results.json'), 'another seed, other results')
  assert.not.match(read(a, 'results.json'), /wallMs/)
  assert.match(read(a, 'run.json'), /"wallMs": \d+/)
})

test.run()
