/** Human formatting for command output. */
import { formatAmount, type Address, type Resources } from '@dcn/protocol'

export const short = (s: string, head = 6, tail = 4): string => s.length <= head + tail + 1 ? s : `${s.slice(0, head)}…${s.slice(-tail)}`

export function tokenSymbol (token: Address, tokens: Record<string, Address>): string {
  return Object.entries(tokens).find(([, a]) => a.toLowerCase() === token.toLowerCase())?.[0] ?? short(token)
}

/** A per-second price as an amount per hour, rounded to 6 decimals (18-decimal tokens). */
export function perHour (pricePerSecond: bigint): string {
  const unit = 10n ** 12n
  return formatAmount(((pricePerSecond * 3600n + unit / 2n) / unit) * unit)
}

export function resources (r: Resources): string {
  const gib = (b: number): string => `${Number((b / 2 ** 30).toFixed(2))} GiB`
  const parts = [`${r.cpu / 1000} cpu`, `${gib(r.memory)} memory`]
  if (r.storage > 0) parts.push(`${gib(r.storage)} storage`)
  if (r.gpuUnits > 0) parts.push(`${r.gpuUnits} gpu${r.gpuModel === '' ? '' : ' ' + r.gpuModel}`)
  return parts.join(', ')
}

export function table (rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map(r => (r[i] ?? '').length)))
  return rows.map(r => r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd()).join('\n')
}
