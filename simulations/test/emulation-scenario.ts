/**
 * The scenario of the emulation tests, parsed from YAML like a researcher's file (so the
 * parser's defaults apply); tests override fields of the result.
 */
import { parseScenario } from '../src/scenario/parse.js'
import type { Scenario } from '../src/scenario/types.js'

const BASE = `
name: emulation-test
question: Does the emulated market deliver every honest message, match every order and reject junk?
mode: emulation
seed: 7
duration: 20s
nodes: { providers: 20, matchers: 1, users: 2, slarks: 0 }
latency: { kind: lognormal, median: 20ms, p99: 200ms }
adversaries: { priceDumpers: { fraction: 0, factor: 0.1 } }
workloads:
  perMinute: 30
  mix: [{ name: web, weight: 1, resources: { cpu: '0.5', memory: 256Mi, storage: 1Gi, gpu: 0 }, mode: any, minTrustTier: 7, maxPricePerHour: '0.5' }]
  duration: { min: 5m, max: 1h }
timing: { slot: 20s, eraSlots: 6, bidWindow: 1s, heartbeat: 10s }
`

export function emulationScenario (over: Partial<Scenario> = {}): Scenario {
  return { ...parseScenario(BASE, 'emulation-test.yaml'), ...over }
}
