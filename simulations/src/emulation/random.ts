/**
 * Seeded draws for emulation's plan (the PRNG is the simulations' own, random.ts): Poisson
 * arrival times, weighted picks, shuffles. Placement and schedules follow from the seed; what
 * happens on the wire does not (real sockets, real time).
 */
import type { Rng } from '../random.js'

/** Event times (ms) of a Poisson process of `perHour` events per hour over [0, spanMs). */
export function poissonTimes (perHour: number, spanMs: number, r: Rng): number[] {
  if (!(perHour > 0)) return []
  const meanGapMs = 3_600_000 / perHour
  const out: number[] = []
  for (let t = r.exp(meanGapMs); t < spanMs; t += r.exp(meanGapMs)) out.push(t)
  return out
}

/** Picks an index with probability proportional to its weight. */
export function weighted (weights: number[], r: Rng): number {
  const total = weights.reduce((a, b) => a + b, 0)
  let x = r.next() * total
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
    const j = r.int(i + 1)
    ;[out[i], out[j]] = [out[j], out[i]]
  }
  return out
}
