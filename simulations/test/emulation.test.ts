import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { Manifest } from '@dcn/protocol'
import { runEmulation, simRuntime } from '../src/emulation/index.js'
import { makePlan, notEmulated } from '../src/emulation/plan.js'
import { emulationScenario } from './emulation-scenario.js'

test('the simulated runtime runs a lease in memory: endpoints, status, logs, exec, teardown', async () => {
  const rt = simRuntime({ startMs: 1, basePort: 41000 })
  const events: string[] = []
  rt.onEvent((_, e) => { events.push(e.kind) })
  const manifest = {
    version: '2.0',
    services: { web: { image: 'busybox:stable', command: [], args: [], env: {}, expose: [{ port: 80, as: 80, proto: 'http', global: true }], pullPolicy: 'if-not-present' } },
    profiles: { compute: {}, placement: {} },
    deployment: { web: { placement: 'p', profile: 'c', count: 2 } },
    duration: 600
  } as unknown as Manifest
  const endpoints = await rt.deploy({ leaseId: 7n, orderId: `0x${'11'.repeat(32)}`, owner: '0xabc' }, manifest)
  assert.equal(endpoints.map(e => e.url), ['http://127.0.0.1:41000', 'http://127.0.0.1:41001'])
  assert.equal((await rt.status(7n))[0].ready, 2)
  assert.equal((await rt.found()).map(f => [f.leaseId, f.containers]), [[7n, 2]])
  const out: string[] = []
  const sink = async (_: 'stdout' | 'stderr', d: Uint8Array): Promise<void> => { out.push(new TextDecoder().decode(d)) }
  await rt.logs(7n, { service: 'web', tail: 1, follow: false }, sink, new AbortController().signal)
  assert.equal(out, ['web[1]: started busybox:stable (simulated)\n'])
  const session = await rt.exec(7n, { service: 'web', replica: 0, cmd: ['echo', 'hi'], tty: false, cols: 80, rows: 24 }, sink)
  assert.is(await session.exit, 0)
  await rt.teardown(7n)
  assert.equal(rt.running(), [])
  assert.ok(await rt.status(7n).then(() => false, (err: Error) => /no workload/.test(err.message)))
  assert.equal(events, ['start', 'start', 'deploy', 'teardown'])
})

test('a small emulation: honest gossip all delivered, every order matched, junk rejected and never accepted', async () => {
  const base = emulationScenario()
  const scenario = emulationScenario({
    durationMs: 12_000,
    nodes: { ...base.nodes, providers: 20, matchers: 1, users: 2 },
    churn: { joinsPerHour: 240, leavesPerHour: 240, fizzDisconnectsPerHour: 0, fizzDowntimeMs: 30_000 },
    adversaries: { ...base.adversaries, spammers: { count: 1, perSecond: 5 }, forgers: { count: 1, perSecond: 5 }, priceDumpers: { fraction: 0.1, factor: 0.1 } }
  })
  const phases = new Set<string>()
  const r = await runEmulation(scenario, { onProgress: (_d, _t, label) => { phases.add(label) } })
  const explain = JSON.stringify(r.notes, null, 1)
  assert.is(r.mode, 'emulation')
  assert.ok(r.simulatedMs >= 12_000 && r.wallMs > r.simulatedMs, explain)
  assert.ok(r.nodes.started >= 25 && r.nodes.peak >= 25, explain)
  assert.ok(phases.has('running') && phases.has('collecting'))

  assert.ok(r.delivery !== undefined, explain)
  // Orders and matches are relayed by every node: all of them arrive. Providers relay neither
  // bids nor heartbeats, so theirs reach a matcher only over a direct link, which a loaded
  // machine sometimes drops for a few seconds (see the notes): almost all of them arrive.
  const byTopic = r.delivery.byTopic ?? {}
  for (const t of ['dcn/1/orders', 'dcn/1/matches']) assert.is(byTopic[t]?.delivered, byTopic[t]?.pairs, `${t}: ${explain}`)
  assert.ok(byTopic['dcn/1/orders'].pairs > 20 && byTopic['dcn/1/matches'].pairs > 20, explain)
  assert.ok(r.delivery.ratio >= 0.95, explain)
  assert.ok(r.delivery.latencyMs.count > 100 && r.delivery.latencyMs.p50 > 0 && r.delivery.latencyMs.p99 < 10_000, explain)
  assert.ok(r.delivery.latencyMs.cdf.length > 0 && r.delivery.latencyMs.cdf.at(-1)![1] === 1)

  assert.ok(r.matching !== undefined, explain)
  assert.ok(r.matching.orders >= 1, explain)
  assert.is(r.matching.matched, r.matching.orders, JSON.stringify(r.matching.unmatched) + explain)
  assert.ok(r.matching.latencyMs.p50 >= 0 && r.matching.latencyMs.p99 < 5000, explain)
  assert.is(r.matching.matchesPerSecond.points.reduce((n, [, v]) => n + v, 0), r.matching.matched)

  assert.ok(r.junk !== undefined, explain)
  assert.ok(r.junk.published > 20, explain)
  assert.ok(r.junk.rejected > 0, explain)
  assert.is(r.junk.acceptedByHonest, 0, explain)

  // The host's cores, sampled each second of simulated time (Linux: /proc/stat).
  assert.equal(r.series.map(s => s.name).sort(), ['host CPU busy', 'matches per second', 'nodes up'])
  assert.ok(r.host !== undefined && r.host.busy > 0 && r.host.busy <= 1, JSON.stringify(r.host))
  assert.ok(r.host.seconds >= r.scenario.durationMs / 1000 - 1 && r.host.saturatedSeconds <= r.host.seconds, JSON.stringify(r.host))
  assert.ok(r.notes.some(n => n.startsWith('host CPU busy')), explain)
  assert.ok(r.notes.some(n => n.startsWith('event-loop delay per worker')), explain)
  assert.ok(r.notes.some(n => n.startsWith('price dumpers')), explain)
  // Absent, not zero: emulation runs no slarks and no chain.
  assert.is(r.detection, undefined)
  assert.is(r.eras, undefined)
})

test('what cannot be emulated is said in the notes, and the plan follows the seed', () => {
  const base = emulationScenario()
  const s = emulationScenario({ nodes: { ...base.nodes, providers: 4, gateways: 1, fizz: 2, slarks: 3, users: 1 }, natFraction: 0.3, chain: true })
  const notes = notEmulated(s)
  assert.ok(notes.some(n => n.startsWith('not emulated: 1 gateways and 2 fizz nodes')), JSON.stringify(notes))
  assert.ok(notes.some(n => n.startsWith('not emulated: slarks')), JSON.stringify(notes))
  assert.ok(notes.some(n => n.startsWith('chain: anvil settles')), JSON.stringify(notes))
  assert.equal(notEmulated(base), [])
  const a = makePlan(base)
  assert.equal(JSON.stringify(makePlan(base).orders), JSON.stringify(a.orders))
  assert.ok(a.orders.length > 0 && a.orders.every(o => o.atMs >= 0 && o.atMs < base.durationMs))
  assert.equal(a.peers.map(p => p.kind).filter(k => k === 'provider').length, 20)
})

test.run()
