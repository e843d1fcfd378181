/**
 * Latency samples kept as a histogram of 0.1 ms bins (workers send these, the parent merges
 * them), summarised into the results' `Distribution`.
 */
import type { Distribution } from '../results/types.js'

/** bin (0.1 ms) → count. */
export type Histogram = Record<number, number>

export function addSample (h: Histogram, ms: number): void {
  const bin = Math.max(0, Math.round(ms * 10))
  h[bin] = (h[bin] ?? 0) + 1
}

export function mergeInto (into: Histogram, from: Histogram): void {
  for (const [bin, n] of Object.entries(from)) into[Number(bin)] = (into[Number(bin)] ?? 0) + n
}

export function histogramOf (samples: number[]): Histogram {
  const h: Histogram = {}
  for (const s of samples) addSample(h, s)
  return h
}

/** Percentiles (nearest rank), mean, max and a CDF of at most ~200 points; undefined when empty. */
export function summarise (h: Histogram): Distribution | undefined {
  const bins = Object.entries(h).map(([b, n]) => [Number(b) / 10, n] as [number, number]).sort((a, b) => a[0] - b[0])
  const count = bins.reduce((a, [, n]) => a + n, 0)
  if (count === 0) return undefined
  const at = (p: number): number => {
    const rank = Math.max(1, Math.ceil(p * count))
    let seen = 0
    for (const [v, n] of bins) {
      seen += n
      if (seen >= rank) return v
    }
    return bins[bins.length - 1][0]
  }
  const step = Math.max(1, Math.ceil(bins.length / 200))
  const cdf: Array<[number, number]> = []
  let seen = 0
  bins.forEach(([v, n], i) => {
    seen += n
    if (i % step === step - 1 || i === bins.length - 1) cdf.push([v, Number((seen / count).toFixed(6))])
  })
  const mean = bins.reduce((a, [v, n]) => a + v * n, 0) / count
  return { count, p50: at(0.5), p90: at(0.9), p99: at(0.99), max: bins[bins.length - 1][0], mean: Number(mean.toFixed(2)), cdf }
}
