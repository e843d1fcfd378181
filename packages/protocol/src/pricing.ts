/** Per-unit ("scale") pricing shared by the bid engine and the matcher's explanations. */
import { GiB } from './units.js'
import type { Resources, UnitPrices } from './types.js'

/** Per-second price of a workload at per-unit prices, rounded up and at least 1. */
export function scalePrice (prices: UnitPrices, r: Resources): bigint {
  const scale = 1000n * BigInt(GiB)
  const total = prices.cpu * BigInt(r.cpu) * BigInt(GiB) +
    prices.memory * BigInt(r.memory) * 1000n +
    prices.storage * BigInt(r.storage) * 1000n +
    prices.gpu * BigInt(r.gpuUnits) * scale
  const price = (total + scale - 1n) / scale
  return price === 0n ? 1n : price
}
