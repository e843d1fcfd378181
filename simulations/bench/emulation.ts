/**
 * Benchmark of emulation mode at the SPEC's scale: gossip delivery at 500 in-process nodes on
 * this machine (target: 100% of (message, subscribed node) pairs, p99 < 1 s), with the market
 * running on top — 494 providers, 4 matchers and 2 users publishing orders — on loopback with
 * no injected latency (the implementation's own delay; `scenarios/emulation-500.yaml` adds
 * WAN-like latency and adversaries). Also order → match latency after the bid deadline.
 *
 * `DCN_SIM_BENCH_NODES=N` and `DCN_SIM_BENCH_SECONDS=S` run a smaller or shorter one (a quick look).
 */
import type { BenchResult } from '@dcn/protocol'
import { runEmulation } from '../src/emulation/index.js'
import type { Scenario } from '../src/scenario/types.js'
import { parseScenario } from '../src/scenario/parse.js'


export function scenario500 (nodes = 500, durationMs = 60_000): Scenario {
  const matchers = nodes >= 100 ? 4 : 1
  const users = 2
  // Tiers 1–2 only: about 2 in 7 providers bid, as for an order that asks for trust.
  return parseScenario(`
name: emulation-bench-${nodes}
question: Does gossip reach every subscribed node within 1 s at ${nodes} in-process nodes on 2 cores?
mode: emulation
seed: 500
duration: ${durationMs}ms
nodes: { providers: ${nodes - matchers - users}, matchers: ${matchers}, users: ${users}, slarks: 0 }
latency: { kind: constant, ms: 0ms }
workloads:
  perMinute: 30
  mix: [{ name: web, weight: 1, resources: { cpu: '0.5', memory: 256Mi, storage: 1Gi, gpu: 0 }, mode: any, minTrustTier: 2, maxPricePerHour: '0.5' }]
  duration: { min: 5m, max: 1h }
timing: { slot: 20s, eraSlots: 6, bidWindow: 1s, heartbeat: 10s }
`, `emulation-bench-${nodes}.yaml`)
}

export async function run (): Promise<BenchResult[]> {
  const nodes = Number(process.env.DCN_SIM_BENCH_NODES ?? 500)
  const s = scenario500(nodes, Number(process.env.DCN_SIM_BENCH_SECONDS ?? 60) * 1000)
  const r = await runEmulation(s, { log: (line) => { process.stderr.write(line + '\n') } })
  const d = r.delivery
  const m = r.matching
  const pass = nodes >= 500 && d !== undefined ? d.ratio === 1 && d.latencyMs.p99 < 1000 : undefined
  return [{
    name: 'gossip delivery at in-process nodes (emulation)',
    params: { nodes, providers: s.nodes.providers, matchers: s.nodes.matchers, users: s.nodes.users, simulatedMs: s.durationMs, ordersPerMinute: s.workloads.perMinute, latency: 'loopback, none injected' },
    results: {
      delivery_ratio: d?.ratio ?? NaN,
      delivery_pairs: d?.latencyMs.count ?? 0,
      delivery_p50_ms: d?.latencyMs.p50 ?? NaN,
      delivery_p99_ms: d?.latencyMs.p99 ?? NaN,
      delivery_max_ms: d?.latencyMs.max ?? NaN,
      orders: m?.orders ?? 0,
      matched: m?.matched ?? 0,
      order_to_match_p50_ms: m?.latencyMs.p50 ?? NaN,
      order_to_match_p99_ms: m?.latencyMs.p99 ?? NaN,
      nodes_started: r.nodes.started,
      host_cpu_busy: r.host?.busy ?? NaN,
      host_saturated_seconds: r.host?.saturatedSeconds ?? NaN,
      wall_ms: r.wallMs
    },
    target: nodes >= 500 ? { delivery_ratio: '1 (100%)', delivery_p99_ms: '< 1000' } : undefined,
    pass,
    note: r.notes.join(' | ')
  }]
}
