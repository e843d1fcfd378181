import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { runEmulation } from '../src/emulation/index.js'
import { emulationScenario } from './emulation-scenario.js'

test('with a chain, orders become leases on anvil that run on the providers\' simulated runtime', async () => {
  const base = emulationScenario()
  const r = await runEmulation(emulationScenario({ chain: true, durationMs: 15_000, nodes: { ...base.nodes, providers: 6, users: 1 } }))
  const explain = JSON.stringify(r.notes, null, 1)
  assert.ok(r.leases !== undefined, explain)
  assert.ok(r.leases.attempted >= 1, explain)
  assert.is(r.leases.failed, 0, explain)
  assert.is(r.leases.running, r.leases.attempted, explain)
  assert.ok(r.leases.deployMs !== undefined && r.leases.deployMs.count === r.leases.running && r.leases.deployMs.p50 > 0, explain)
  assert.ok(r.matching !== undefined && r.matching.matched === r.matching.orders, explain)
  assert.ok(r.delivery !== undefined && r.delivery.ratio === 1, explain)
  assert.ok(r.notes.some(n => n.startsWith('chain: anvil settles')), explain)
})

test.run()
