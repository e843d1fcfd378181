/**
 * Benchmark of model mode: the 100k-provider scenario (scenarios/model-scale-100k.yaml:
 * 100,000 compute nodes, 500 slarks, 30 eras of 24 one-hour slots) against SPEC.md's target of
 * under 60 s. Also the time per era and what the run did (challenges, orders), to see where the
 * time goes when the figure moves.
 */
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { parseScenario } from '../src/scenario/parse.js'
import { runSimulation } from '../src/run.js'

export interface BenchResult {
  name: string
  params: Record<string, unknown>
  results: Record<string, number>
  target?: Record<string, string>
  pass?: boolean
  note?: string
}

const SCENARIO = fileURLToPath(new URL('../../scenarios/model-scale-100k.yaml', import.meta.url))

export async function run (): Promise<BenchResult[]> {
  const scenario = parseScenario(readFileSync(SCENARIO, 'utf8'), SCENARIO)
  const eraStarts: number[] = []
  const started = performance.now()
  const cpu = process.cpuUsage()
  const r = await runSimulation(scenario, {
    onProgress: (done) => { if (done % scenario.timing.eraSlots === 0) eraStarts.push(performance.now()) }
  })
  const wallS = (performance.now() - started) / 1000
  const used = process.cpuUsage(cpu)
  const perEra = eraStarts.slice(1).map((t, i) => t - eraStarts[i])
  const compute = scenario.nodes.providers + scenario.nodes.gateways + scenario.nodes.fizz
  return [{
    name: 'model-mode simulation, 100k providers × 30 eras',
    params: { computeNodes: compute, slarks: scenario.nodes.slarks, eras: r.eras?.length ?? 0, slotsPerEra: scenario.timing.eraSlots, seed: scenario.seed },
    results: {
      wall_s: Number(wallS.toFixed(2)),
      // CPU time of this process (the model's thread and V8's GC helpers): what the run costs when others share the cores
      cpu_s: Number(((used.user + used.system) / 1e6).toFixed(2)),
      era_p50_ms: Math.round(perEra.sort((a, b) => a - b)[Math.floor(perEra.length / 2)] ?? 0),
      challenges: r.detection?.challenges ?? 0,
      orders: r.matching?.orders ?? 0,
      heap_used_mb_at_end: Math.round(process.memoryUsage().heapUsed / 2 ** 20)
    },
    target: { wall_s: '< 60' },
    pass: wallS < 60,
    note: 'one process; a slot\'s challenges, every order\'s selectWinner over 24 sampled bidders, computeEra each era. Wall time depends on what else the machine runs.'
  }]
}
