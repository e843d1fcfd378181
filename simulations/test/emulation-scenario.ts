/**
 * Scenario objects for emulation tests and benchmarks, built in TypeScript with defaults
 * (what `parseScenario` would give for a file that sets only a few keys).
 */
import type { Scenario } from '../src/scenario/types.js'

const MI = 2 ** 20
const GI = 2 ** 30

export function emulationScenario (over: Partial<Scenario> = {}): Scenario {
  const base: Scenario = {
    name: 'emulation-test',
    question: 'Does the emulated market deliver every honest message, match every order and reject junk?',
    mode: 'emulation',
    seed: 7,
    durationMs: 20_000,
    nodes: { providers: 20, gateways: 0, fizz: 0, slarks: 0, matchers: 1, users: 2 },
    natFraction: 0,
    latency: { kind: 'lognormal', medianMs: 20, p99Ms: 200 },
    churn: { joinsPerHour: 0, leavesPerHour: 0, fizzDisconnectsPerHour: 0, fizzDowntimeMs: 30_000 },
    adversaries: {
      spoofers: { fraction: 0, factor: 2 },
      lazySlarks: { fraction: 0 },
      lyingSlarks: { fraction: 0 },
      spammers: { count: 0, perSecond: 0 },
      forgers: { count: 0, perSecond: 0 },
      priceDumpers: { fraction: 0, factor: 0.1 }
    },
    workloads: {
      perMinute: 30,
      mix: [{ name: 'web', weight: 1, resources: { cpu: 500, memory: 256 * MI, storage: GI, gpu: 0 }, mode: 'any', minTrustTier: 7, maxPricePerHour: 0.5 }],
      durationMs: { minMs: 5 * 60_000, maxMs: 60 * 60_000 }
    },
    timing: { slotMs: 20_000, eraSlots: 6, bidWindowMs: 1000, heartbeatMs: 10_000 },
    chain: false
  }
  return { ...base, ...over }
}
