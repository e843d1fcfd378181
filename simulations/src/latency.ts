/**
 * One-way delays drawn from the scenario's distribution: per hop in model mode, per chunk read
 * from a socket in emulation.
 */
import type { LatencyDistribution } from './scenario/types.js'
import type { Rng } from './random.js'

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

/**
 * Sums of `hops` independent one-hop delays, drawn from a table of TABLE sums made once (a
 * bootstrap of the exact sum's distribution): a bid's 2 × ⌈log₆ n⌉ hops or a challenge's round
 * trip cost one draw instead of one per hop, which at 100k nodes is tens of millions of draws.
 */
export function hopSumSampler (hop: () => number, hops: number, r: Rng, table = 8192): () => number {
  const sums = new Float64Array(table)
  for (let i = 0; i < table; i++) {
    let t = 0
    for (let h = 0; h < hops; h++) t += hop()
    sums[i] = t
  }
  return () => sums[r.int(table)]
}
