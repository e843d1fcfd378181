/** Small inline-SVG charts for report.html: no scripts, no fonts, no external anything. */

export const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')

const W = 640
const H = 260
const M = { l: 64, r: 16, t: 16, b: 40 }
export const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f']

/** A number for an axis label: 3 significant digits, k/M suffixes. */
export function fmt (x: number): string {
  const a = Math.abs(x)
  if (a >= 1e9) return `${+(x / 1e9).toPrecision(3)}G`
  if (a >= 1e6) return `${+(x / 1e6).toPrecision(3)}M`
  if (a >= 1e4) return `${+(x / 1e3).toPrecision(3)}k`
  if (a === 0) return '0'
  return `${+x.toPrecision(3)}`
}

function ticks (min: number, max: number, n = 5): number[] {
  if (max <= min) return [min]
  const raw = (max - min) / n
  const p = 10 ** Math.floor(Math.log10(raw))
  const step = [1, 2, 5, 10].map(k => k * p).find(s => s >= raw) ?? raw
  const out: number[] = []
  for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step) out.push(+v.toPrecision(12))
  return out
}

function frame (xMin: number, xMax: number, yMin: number, yMax: number, xLabel: string, yLabel: string): { x: (v: number) => number, y: (v: number) => number, parts: string[] } {
  const r1 = (v: number): number => Math.round(v * 10) / 10
  const x = (v: number): number => r1(M.l + (xMax === xMin ? 0.5 : (v - xMin) / (xMax - xMin)) * (W - M.l - M.r))
  const y = (v: number): number => r1(H - M.b - (yMax === yMin ? 0.5 : (v - yMin) / (yMax - yMin)) * (H - M.t - M.b))
  const parts = [`<rect x="${M.l}" y="${M.t}" width="${W - M.l - M.r}" height="${H - M.t - M.b}" fill="none" stroke="#999"/>`]
  for (const t of ticks(xMin, xMax)) parts.push(`<line x1="${x(t)}" x2="${x(t)}" y1="${H - M.b}" y2="${H - M.b + 4}" stroke="#999"/><text x="${x(t)}" y="${H - M.b + 16}" text-anchor="middle">${fmt(t)}</text>`)
  for (const t of ticks(yMin, yMax)) parts.push(`<line x1="${M.l - 4}" x2="${W - M.r}" y1="${y(t)}" y2="${y(t)}" stroke="#eee"/><text x="${M.l - 6}" y="${y(t) + 4}" text-anchor="end">${fmt(t)}</text>`)
  parts.push(`<text x="${(W + M.l) / 2}" y="${H - 6}" text-anchor="middle">${esc(xLabel)}</text>`)
  parts.push(`<text transform="translate(14 ${(H - M.b + M.t) / 2}) rotate(-90)" text-anchor="middle">${esc(yLabel)}</text>`)
  return { x, y, parts }
}

const svg = (body: string[], legend: string[] = []): string => {
  const items = legend.map((name, i) => `<span class="key"><i style="background:${COLORS[i % COLORS.length]}"></i>${esc(name)}</span>`).join(' ')
  return `<svg class="plot" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" font-size="11" font-family="sans-serif">${body.join('')}</svg>${items === '' ? '' : `<div class="legend">${items}</div>`}`
}

export interface Line { name: string, points: ReadonlyArray<readonly [number, number]>, step?: boolean }

/** Lines over a shared x axis (a CDF is a step line). */
export function lineChart (lines: Line[], xLabel: string, yLabel: string, opts: { yMin?: number, yMax?: number } = {}): string {
  const all = lines.flatMap(l => l.points)
  const xMin = Math.min(...all.map(p => p[0]))
  const xMax = Math.max(...all.map(p => p[0]))
  const yMin = opts.yMin ?? Math.min(0, ...all.map(p => p[1]))
  const yMax = opts.yMax ?? Math.max(...all.map(p => p[1]), yMin + 1e-9)
  const f = frame(xMin, xMax, yMin, yMax, xLabel, yLabel)
  lines.forEach((l, i) => {
    let d = ''
    l.points.forEach((p, k) => {
      if (k === 0) d += `M${f.x(p[0]).toFixed(1)} ${f.y(p[1]).toFixed(1)}`
      else if (l.step === true) d += `H${f.x(p[0]).toFixed(1)}V${f.y(p[1]).toFixed(1)}`
      else d += `L${f.x(p[0]).toFixed(1)} ${f.y(p[1]).toFixed(1)}`
    })
    f.parts.push(`<path d="${d}" fill="none" stroke="${COLORS[i % COLORS.length]}" stroke-width="1.5"/>`)
  })
  return svg(f.parts, lines.length > 1 ? lines.map(l => l.name) : [])
}

/** Stacked bars: one bar per x, one stack segment per key. */
export function stackedBars (xs: number[], stacks: Array<{ name: string, values: number[] }>, xLabel: string, yLabel: string): string {
  const totals = xs.map((_, i) => stacks.reduce((a, s) => a + s.values[i], 0))
  const f = frame(Math.min(...xs) - 0.5, Math.max(...xs) + 0.5, 0, Math.max(...totals, 1), xLabel, yLabel)
  const bw = Math.max(1, (f.x(1) - f.x(0)) * 0.8)
  xs.forEach((x, i) => {
    let base = 0
    stacks.forEach((s, k) => {
      const v = s.values[i]
      if (v <= 0) return
      f.parts.push(`<rect x="${(f.x(x) - bw / 2).toFixed(1)}" y="${f.y(base + v).toFixed(1)}" width="${bw.toFixed(1)}" height="${(f.y(base) - f.y(base + v)).toFixed(1)}" fill="${COLORS[k % COLORS.length]}"/>`)
      base += v
    })
  })
  return svg(f.parts, stacks.map(s => s.name))
}
