/**
 * Human units used in manifests and configs: CPU ("0.5", "500m"), sizes ("512Mi", "1G"),
 * durations ("90s", "1h30m") and token amounts ("1.5" with 18 decimals).
 * Every parser throws a plain Error whose message says what was expected.
 */
const SIZE_SUFFIX: Record<string, number> = {
  '': 1, k: 1e3, K: 1e3, M: 1e6, G: 1e9, T: 1e12,
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40
}

export const GiB = 2 ** 30

/** CPU in milli-units: 1 → 1000, "0.25" → 250, "500m" → 500. */
export function parseCpu (value: unknown): number {
  const s = String(value).trim()
  const m = /^(\d+(?:\.\d+)?)(m?)$/.exec(s)
  if (m == null) throw new Error(`expected CPU units like 1, 0.5 or 500m, got "${s}"`)
  const milli = m[2] === 'm' ? Number(m[1]) : Number(m[1]) * 1000
  if (!Number.isInteger(milli) || milli <= 0) throw new Error(`CPU must be a positive whole number of milli-units, got "${s}"`)
  return milli
}

/** Bytes: 512Mi, 1G, 1024. */
export function parseSize (value: unknown): number {
  const s = String(value).trim()
  const m = /^(\d+(?:\.\d+)?)\s*([kKMGT]i?|)B?$/.exec(s)
  if (m == null || SIZE_SUFFIX[m[2]] === undefined) throw new Error(`expected a size like 512Mi, 2Gi or 1G, got "${s}"`)
  const bytes = Math.round(Number(m[1]) * SIZE_SUFFIX[m[2]])
  if (!Number.isSafeInteger(bytes)) throw new Error(`size "${s}" is too large`)
  return bytes
}

/** Seconds: 3600, "90s", "30m", "1h30m", "2d". */
export function parseDuration (value: unknown): number {
  const s = String(value).trim()
  if (/^\d+$/.test(s)) return Number(s)
  const re = /(\d+)(d|h|m|s)/gy
  let total = 0
  let matched = 0
  for (let m = re.exec(s); m != null; m = re.exec(s)) {
    total += Number(m[1]) * { d: 86400, h: 3600, m: 60, s: 1 }[m[2] as 'd' | 'h' | 'm' | 's']
    matched = re.lastIndex
  }
  if (matched !== s.length || s.length === 0) throw new Error(`expected a duration like 3600, 90s, 30m or 1h30m, got "${s}"`)
  return total
}

/** Milliseconds from "250ms", "2s", "1m" or a number of ms. */
export function parseMillis (value: unknown): number {
  const s = String(value).trim()
  if (/^\d+$/.test(s)) return Number(s)
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(s)
  if (m == null) throw new Error(`expected a time like 250ms, 2s or 1m, got "${s}"`)
  return Math.round(Number(m[1]) * { ms: 1, s: 1000, m: 60000 }[m[2] as 'ms' | 's' | 'm'])
}

/** A decimal token amount to base units: "1.5" → 1.5e18 with 18 decimals. */
export function parseAmount (value: unknown, decimals = 18): bigint {
  const s = String(value).trim()
  const m = /^(\d+)(?:\.(\d+))?$/.exec(s)
  if (m == null) throw new Error(`expected a decimal amount like 1.5, got "${s}"`)
  const frac = (m[2] ?? '')
  if (frac.length > decimals) throw new Error(`amount "${s}" has more than ${decimals} decimals`)
  return BigInt(m[1]) * 10n ** BigInt(decimals) + BigInt(frac.padEnd(decimals, '0') || '0')
}

/** Base units to a trimmed decimal string: 1500000000000000000n → "1.5". */
export function formatAmount (value: bigint, decimals = 18): string {
  const neg = value < 0n
  const v = neg ? -value : value
  const base = 10n ** BigInt(decimals)
  const frac = (v % base).toString().padStart(decimals, '0').replace(/0+$/, '')
  return `${neg ? '-' : ''}${v / base}${frac === '' ? '' : '.' + frac}`
}

/** A per-hour amount as a per-second price, rounded down (never above what the user allowed). */
export function perHourToPerSecond (perHour: bigint): bigint {
  return perHour / 3600n
}
