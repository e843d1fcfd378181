/** One-way delays drawn from the scenario's distribution (model mode: one draw per hop). */
import type { LatencyDistribution } from '../scenario/types.js'
import type { Rng } from './prng.js'

/** z of the 99th percentile of a standard normal. */
const Z99 = 2.3263478740408408

export function latencySampler (d: LatencyDistribution, r: Rng): () => number {
  switch (d.kind) {
    case 'constant': return () => d.ms
    case 'uniform': return () => d.minMs + r.next() * (d.maxMs - d.minMs)
    case 'normal': return () => Math.max(0, d.meanMs + d.stddevMs * r.normal())
    case 'lognormal': {
      const mu = Math.log(d.medianMs)
      const sigma = Math.log(d.p99Ms / d.medianMs) / Z99
      return () => Math.exp(mu + sigma * r.normal())
    }
  }
}
