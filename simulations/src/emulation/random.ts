/**
 * Seeded randomness for emulation: a small PRNG (mulberry32), draws from the scenario's latency
 * distribution, and Poisson arrival times. Placement and schedules follow from the seed; what
 * happens on the wire does not (real sockets, real time).
 */
import type { LatencyDistribution } from '../scenario/types.js'

export type Rng = () => number

export function rng (seed: number): Rng {
  let a = (seed >>> 0) ^ 0x9e3779b9
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** A standard normal draw (Box–Muller). */
function gaussian (r: Rng): number {
  const u = Math.max(r(), 1e-12)
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r())
}

/** z of the 99th percentile of the standard normal. */
const Z99 = 2.3263478740408408

/** A drawer of one-way delays (ms, never negative) from the scenario's distribution. */
export function latencyDrawer (dist: LatencyDistribution, r: Rng): () => number {
  switch (dist.kind) {
    case 'constant': return () => dist.ms
    case 'uniform': return () => dist.minMs + r() * (dist.maxMs - dist.minMs)
    case 'normal': return () => Math.max(0, dist.meanMs + dist.stddevMs * gaussian(r))
    case 'lognormal': {
      const mu = Math.log(dist.medianMs)
      const sigma = Math.max(0, (Math.log(dist.p99Ms) - mu) / Z99)
      return () => Math.exp(mu + sigma * gaussian(r))
    }
  }
}

/** Event times (ms) of a Poisson process of `perHour` events per hour over [0, spanMs). */
export function poissonTimes (perHour: number, spanMs: number, r: Rng): number[] {
  if (!(perHour > 0)) return []
  const meanGapMs = 3_600_000 / perHour
  const out: number[] = []
  for (let t = -Math.log(1 - r()) * meanGapMs; t < spanMs; t += -Math.log(1 - r()) * meanGapMs) out.push(t)
  return out
}

/** Picks an index with probability proportional to its weight. */
export function weighted (weights: number[], r: Rng): number {
  const total = weights.reduce((a, b) => a + b, 0)
  let x = r() * total
  for (let i = 0; i < weights.length; i++) {
    x -= weights[i]
    if (x < 0) return i
  }
  return weights.length - 1
}

/** Fisher–Yates on a copy. */
export function shuffled<T> (xs: readonly T[], r: Rng): T[] {
  const out = [...xs]
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1))
    ;[out[i], out[j]] = [out[j], out[i]]
  }
  return out
}
