/** Summaries of samples: percentiles, mean and a CDF thinned to ~200 points for plots. */
import type { Distribution, Series } from './types.js'

const CDF_POINTS = 200

/** Rounded to 6 significant decimals: results stay small and readable. */
export const round6 = (x: number): number => Number.isFinite(x) ? Math.round(x * 1e6) / 1e6 : x

export function distribution (samples: readonly number[]): Distribution {
  const xs = Float64Array.from(samples).sort()
  const n = xs.length
  if (n === 0) return { count: 0, p50: 0, p90: 0, p99: 0, max: 0, mean: 0, cdf: [] }
  const at = (p: number): number => round6(xs[Math.min(n - 1, Math.max(0, Math.ceil(p * n) - 1))])
  let sum = 0
  for (const x of xs) sum += x
  const cdf: Array<[number, number]> = []
  const step = Math.max(1, Math.floor(n / CDF_POINTS))
  for (let i = step - 1; i < n; i += step) cdf.push([round6(xs[i]), round6((i + 1) / n)])
  if (cdf.length === 0 || cdf[cdf.length - 1][1] !== 1) cdf.push([round6(xs[n - 1]), 1])
  return { count: n, p50: at(0.5), p90: at(0.9), p99: at(0.99), max: round6(xs[n - 1]), mean: round6(sum / n), cdf }
}

/** A series, its points thinned to at most ~500 for plots and CSVs of long runs. */
export function series (name: string, unit: string, points: ReadonlyArray<[number, number]>): Series {
  const step = Math.max(1, Math.ceil(points.length / 500))
  const kept: Array<[number, number]> = []
  for (let i = 0; i < points.length; i += step) kept.push([points[i][0], round6(points[i][1])])
  const last = points[points.length - 1]
  if (last !== undefined && kept[kept.length - 1][0] !== last[0]) kept.push([last[0], round6(last[1])])
  return { name, unit, points: kept }
}
