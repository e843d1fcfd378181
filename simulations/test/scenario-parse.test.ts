import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { join } from 'node:path'
import { ScenarioError, parseScenario } from '../src/scenario/parse.js'

const SCENARIOS = fileURLToPath(new URL('../../scenarios/', import.meta.url))

const MINIMAL = `# How many matches does a small network make?
nodes: { providers: 10 }
duration: 10m
`

function error (yaml: string): string {
  try {
    parseScenario(yaml, 'busy.yaml')
  } catch (err) {
    assert.instance(err, ScenarioError)
    const msg = (err as Error).message
    assert.not.match(msg, /\n/, 'one line')
    assert.ok(msg.startsWith('busy.yaml: '), msg)
    return msg
  }
  assert.unreachable(`accepted: ${yaml}`)
  return ''
}

test('a minimal scenario gets every default, its name from the file and its question from the opening comment', () => {
  const s = parseScenario(MINIMAL, 'dir/small-net.yaml')
  assert.is(s.name, 'small-net')
  assert.is(s.question, 'How many matches does a small network make?')
  assert.is(s.mode, 'model')
  assert.is(s.seed, 1)
  assert.is(s.durationMs, 600_000)
  assert.equal(s.nodes, { providers: 10, gateways: 0, fizz: 0, slarks: 3, matchers: 1, users: 1 })
  assert.is(s.natFraction, 0)
  assert.equal(s.latency, { kind: 'constant', ms: 0 })
  assert.equal(s.timing, { slotMs: 3_600_000, eraSlots: 24, bidWindowMs: 2000, heartbeatMs: 10_000 })
  assert.is(s.adversaries.spoofers.fraction, 0)
  assert.is(s.workloads.mix.length, 1)
  assert.is(s.chain, false)
})

test('durations, units, latency kinds and nat are read as the YAML keys say', () => {
  const s = parseScenario(`# q
mode: emulation
seed: 42
duration: 2h
nodes: { providers: 70, gateways: 5, slarks: 4 }
nat: 0.25
latency: { kind: lognormal, median: 20ms, p99: 200ms }
churn: { joinsPerHour: 3, leavesPerHour: 1, fizzDisconnectsPerHour: 0.5, fizzDowntime: 30s }
adversaries: { spoofers: { fraction: 0.1, factor: 3 }, lazySlarks: { fraction: 0.25 }, priceDumpers: { fraction: 0.05, factor: 0.2 }, spammers: { count: 2, perSecond: 50 } }
workloads:
  perMinute: 6
  mix:
    - { name: web, weight: 2, resources: { cpu: '0.5', memory: 256Mi, storage: 1Gi, gpu: 0 }, mode: fizz, minTrustTier: 5, maxPricePerHour: '0.5' }
    - { name: gpu, resources: { cpu: 500m, memory: 1G, gpu: 2 } }
  duration: { min: 5m, max: 1h30m }
timing: { slot: 20s, eraSlots: 6, bidWindow: 500ms, heartbeat: 10s }
chain: true
`, 'x.yaml')
  assert.is(s.mode, 'emulation')
  assert.is(s.durationMs, 7_200_000)
  assert.is(s.nodes.fizz, 25) // 0.25 = 25 / (70 + 5 + 25)
  assert.is(s.natFraction, 0.25)
  assert.equal(s.latency, { kind: 'lognormal', medianMs: 20, p99Ms: 200 })
  assert.equal(s.churn, { joinsPerHour: 3, leavesPerHour: 1, fizzDisconnectsPerHour: 0.5, fizzDowntimeMs: 30_000 })
  assert.equal(s.adversaries.spoofers, { fraction: 0.1, factor: 3 })
  assert.equal(s.adversaries.spammers, { count: 2, perSecond: 50 })
  assert.equal(s.adversaries.forgers, { count: 0, perSecond: 10 })
  assert.equal(s.workloads.mix[0], { name: 'web', weight: 2, resources: { cpu: 500, memory: 256 * 2 ** 20, storage: 2 ** 30, gpu: 0 }, mode: 'fizz', minTrustTier: 5, maxPricePerHour: 0.5 })
  assert.equal(s.workloads.mix[1].resources, { cpu: 500, memory: 1e9, storage: 2 ** 30, gpu: 2 })
  assert.equal(s.workloads.durationMs, { minMs: 300_000, maxMs: 5_400_000 })
  assert.equal(s.timing, { slotMs: 20_000, eraSlots: 6, bidWindowMs: 500, heartbeatMs: 10_000 })
  assert.is(s.chain, true)
})

test('invalid scenarios: one line naming the file and the field', () => {
  assert.is(error(`${MINIMAL}adversaries: { spoofers: { fraction: 1.5 } }\n`), 'busy.yaml: adversaries.spoofers.fraction must be a number in [0, 1] (got 1.5)')
  assert.match(error(`${MINIMAL}adversaries: { spooferz: { fraction: 0.1 } }\n`), 'adversaries.spooferz is not a known field')
  assert.match(error(`${MINIMAL}colour: blue\n`), 'busy.yaml: colour is not a known field')
  assert.match(error(MINIMAL.replace('10m', 'ten minutes')), 'busy.yaml: duration must be a duration like 500ms, 20s, 10m or 2h (got "ten minutes")')
  assert.match(error(MINIMAL.replace('duration: 10m\n', '')), 'busy.yaml: duration is required')
  assert.match(error('# q\nduration: 1m\nnodes: { gateways: 1 }\n'), 'busy.yaml: nodes.providers is required')
  assert.match(error(MINIMAL.replace('providers: 10', 'providers: 10.5')), 'nodes.providers must be a whole number')
  assert.match(error(`${MINIMAL.replace('providers: 10', 'providers: 10, gateways: 2, fizz: 3')}nat: 0.5\n`), 'busy.yaml: nat (0.5) and nodes.fizz (3) disagree')
  assert.match(error(`${MINIMAL}nat: 0.3\n`), 'busy.yaml: nodes.gateways must be at least 1')
  assert.match(error(`${MINIMAL}latency: { kind: pareto, ms: 5ms }\n`), 'busy.yaml: latency.kind must be one of constant, uniform, normal, lognormal (got "pareto")')
  assert.match(error(`${MINIMAL}latency: { kind: uniform, min: 20ms, max: 5ms }\n`), 'busy.yaml: latency.max must not be below latency.min')
  assert.match(error(`${MINIMAL}latency: { kind: constant, ms: 5ms, jitter: 1ms }\n`), 'busy.yaml: latency.jitter is not a known field')
  assert.match(error(`${MINIMAL}workloads: { mix: [ { resources: { cpu: lots } } ] }\n`), 'busy.yaml: workloads.mix[0].resources.cpu is invalid: expected CPU units')
  assert.match(error(`${MINIMAL}workloads: { mix: [ { resources: { memory: 12 potatoes } } ] }\n`), 'workloads.mix[0].resources.memory is invalid')
  assert.match(error(`${MINIMAL}workloads: { mix: [ { mode: cloud } ] }\n`), 'workloads.mix[0].mode must be one of provider, fizz, any')
  assert.match(error(`${MINIMAL}workloads: { mix: [ { maxPricePerHour: 'cheap' } ] }\n`), 'workloads.mix[0].maxPricePerHour is invalid')
  assert.match(error(`${MINIMAL}timing: { slot: 1500ms }\n`), 'busy.yaml: timing.slot must be whole seconds')
  assert.match(error(`${MINIMAL}mode: simulate\n`), 'busy.yaml: mode must be one of model, emulation')
  assert.match(error(MINIMAL.replace('# How many matches does a small network make?\n', '')), 'busy.yaml: question is missing')
  assert.match(error(`${MINIMAL}nodes: { providers: 3 }\n`), 'busy.yaml: is not valid YAML (line 4)')
  assert.match(error('# q\n[1, 2]\n'), 'busy.yaml: must be a mapping')
})

test('every example scenario parses and opens with its question', () => {
  const files = readdirSync(SCENARIOS).filter(f => f.endsWith('.yaml'))
  assert.ok(files.filter(f => f.startsWith('model-')).length >= 4, files.join())
  for (const f of files) {
    const text = readFileSync(join(SCENARIOS, f), 'utf8')
    assert.ok(text.startsWith('#'), `${f} opens with a comment`)
    const s = parseScenario(text, f)
    assert.ok(s.question.length > 20, `${f}: ${s.question}`)
  }
})

test.run()
