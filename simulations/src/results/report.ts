/**
 * report.html: one self-contained page (inline CSS and SVG, no scripts, fonts or links) with the
 * scenario's question and parameters, and a plot per measure. A measure the run's mode could
 * not take is said so in place of its plot.
 */
import type { Distribution, SimResults } from './types.js'
import { esc, fmt, lineChart, stackedBars } from './svg.js'

const CSS = `body{font-family:sans-serif;max-width:960px;margin:2em auto;padding:0 1em;color:#222}
h1{font-size:1.5em}h2{font-size:1.15em;margin-top:2em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;font-size:.9em}td,th{border:1px solid #ddd;padding:2px 8px;text-align:left}
.q{font-size:1.1em;background:#f5f7fa;padding:.8em;border-left:4px solid #1f77b4}
.na{color:#777;font-style:italic;padding:1em;border:1px dashed #bbb}
.legend{font-size:.85em}.key{margin-right:1em}.key i{display:inline-block;width:10px;height:10px;margin-right:4px}
.notes li{margin:.3em 0}`

const notMeasured = (what: string, mode: string): string => `<p class="na">${esc(what)}: not measured in ${esc(mode)} mode.</p>`

function flatten (x: unknown, prefix = ''): Array<[string, string]> {
  if (x === null || typeof x !== 'object') return [[prefix, String(x)]]
  if (Array.isArray(x)) {
    if (x.every(v => v === null || typeof v !== 'object')) return [[prefix, x.join(', ')]]
    return x.flatMap((v, i) => flatten(v, `${prefix}[${i}]`))
  }
  return Object.entries(x).flatMap(([k, v]) => flatten(v, prefix === '' ? k : `${prefix}.${k}`))
}

const table = (rows: Array<Array<string | number>>, head?: string[]): string =>
  `<table>${head === undefined ? '' : `<tr>${head.map(h => `<th>${esc(h)}</th>`).join('')}</tr>`}${rows.map(r => `<tr>${r.map(c => `<td>${esc(typeof c === 'number' ? fmt(c) : c)}</td>`).join('')}</tr>`).join('')}</table>`

const distRow = (name: string, d: Distribution, unit: string): Array<string | number> => [name, d.count, `${fmt(d.p50)} ${unit}`, `${fmt(d.p90)} ${unit}`, `${fmt(d.p99)} ${unit}`, `${fmt(d.max)} ${unit}`, `${fmt(d.mean)} ${unit}`]
const DIST_HEAD = ['', 'count', 'p50', 'p90', 'p99', 'max', 'mean']

const duration = (ms: number): string => ms >= 3_600_000 ? `${+(ms / 3_600_000).toFixed(1)} h` : ms >= 60_000 ? `${+(ms / 60_000).toFixed(1)} min` : `${+(ms / 1000).toFixed(1)} s`

const pct = (x: number): string => `${(x * 100).toFixed(x === 0 || x === 1 ? 0 : 2)} %`

export function renderReport (r: SimResults): string {
  const s = r.scenario
  const mode = r.mode
  const out: string[] = []
  const plotted = new Set<string>()
  out.push(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>dcn sim: ${esc(s.name)}</title><style>${CSS}</style></head><body>`)
  out.push(`<h1>dcn simulation: ${esc(s.name)} <small>(${esc(mode)} mode, seed ${s.seed})</small></h1>`)
  out.push(`<p class="q">${esc(s.question)}</p>`)
  out.push(`<p>Simulated ${duration(r.simulatedMs)}; ${r.nodes.started} nodes started, ${r.nodes.peak} at the peak.</p>`)
  out.push('<details><summary>Scenario parameters</summary>', table(flatten(s).filter(([k]) => k !== 'question')), '</details>')

  out.push('<h2>Matching latency (order → match, after the bid deadline)</h2>')
  const lat = r.matching?.latencyMs
  if (lat !== undefined && lat.count > 0) {
    out.push(lineChart([{ name: 'order → match', points: lat.cdf, step: true }], 'ms after the bid deadline', 'fraction of matches', { yMin: 0, yMax: 1 }))
    out.push(table([distRow('order → match', lat, 'ms')], DIST_HEAD))
  } else out.push(r.matching === undefined ? notMeasured('Matching latency', mode) : '<p class="na">No order was matched, so there is no latency to plot.</p>')
  if (r.matching !== undefined) {
    const m = r.matching
    out.push(`<p>${m.orders} orders, ${m.matched} matched (${pct(m.orders === 0 ? 0 : m.matched / m.orders)}).</p>`)
    const reasons = Object.entries(m.unmatched)
    if (reasons.length > 0) out.push(table(reasons, ['no match because', 'orders']))
  }

  out.push('<h2>Gossip delivery</h2>')
  if (r.delivery !== undefined) {
    out.push(`<p>Delivered: ${pct(r.delivery.ratio)} of (message, subscriber) pairs.</p>`)
    if (r.delivery.latencyMs.count > 0) {
      out.push(lineChart([{ name: 'delivery', points: r.delivery.latencyMs.cdf, step: true }], 'ms from publish', 'fraction delivered', { yMin: 0, yMax: 1 }))
      out.push(table([distRow('delivery', r.delivery.latencyMs, 'ms')], DIST_HEAD))
    }
  } else out.push(notMeasured('Gossip delivery', mode))

  out.push('<h2>Matches per second</h2>')
  const mps = r.matching?.matchesPerSecond
  if (mps !== undefined && mps.points.length > 0) {
    plotted.add(mps.name)
    out.push(lineChart([{ name: mps.name, points: mps.points.map(([t, v]) => [t / 1000, v]) }], 'simulated time (s)', mps.unit))
  } else out.push(notMeasured('Matches per second', mode))

  out.push('<h2>Cheater detection</h2>')
  const d = r.detection
  if (d !== undefined) {
    const rows: Array<Array<string | number>> = [
      ['challenges with a result', d.challenges],
      ['capacity spoofers', d.spoofers],
      ['spoofers detected', `${d.spoofersDetected} (${pct(d.detectionRate)})`],
      ['false positive rate (honest providers failed while online)', pct(d.falsePositiveRate)]
    ]
    if (d.honestFailedOffline !== undefined) rows.push(['honest providers failed only while offline (not false positives)', d.honestFailedOffline])
    out.push(table(rows))
    const found = r.series.find(x => x.name === 'spoofers-detected')
    if (found !== undefined && d.spoofers > 0) {
      plotted.add(found.name)
      out.push(lineChart([{ name: 'detected', points: found.points.map(([t, v]) => [t / 1000, v / d.spoofers]) }], 'simulated time (s)', 'share of spoofers detected', { yMin: 0, yMax: 1 }))
    }
    if (d.erasToDetect !== undefined) {
      out.push(lineChart([{ name: 'eras to detect', points: d.erasToDetect.cdf, step: true }], 'eras from the spoofer\'s start to its first failed challenge', 'fraction of detected spoofers', { yMin: 0, yMax: 1 }))
      out.push(table([distRow('eras to detect', d.erasToDetect, 'eras')], DIST_HEAD))
    }
  } else out.push(notMeasured('Detection', mode))

  out.push('<h2>Trust tiers over eras</h2>')
  if (r.eras !== undefined && r.eras.length > 0) {
    const eras = r.eras
    out.push(stackedBars(eras.map(e => e.era), [1, 2, 3, 4, 5, 6, 7].map(t => ({ name: `tier ${t}`, values: eras.map(e => e.tiers[t - 1]) })), 'era', 'providers at the era\'s end'))
  } else out.push(r.eras === undefined ? notMeasured('Tiers', mode) : '<p class="na">The run was shorter than one era: no tiers were computed.</p>')

  out.push('<h2>Rewards</h2>')
  if (r.eras !== undefined && r.eras.length > 0) {
    const eras = r.eras
    out.push(lineChart([
      { name: 'providers', points: eras.map(e => [e.era, e.rewards.providers]) },
      { name: 'slarks', points: eras.map(e => [e.era, e.rewards.slarks]) },
      { name: 'fizz', points: eras.map(e => [e.era, e.rewards.fizz]) },
      { name: 'slashed', points: eras.map(e => [e.era, e.slashed]) }
    ], 'era', 'tokens per era'))
  }
  if (r.rewards !== undefined && r.rewards.count > 0) {
    out.push(lineChart([{ name: 'per provider', points: r.rewards.cdf, step: true }], 'liveness reward per provider over the run (tokens)', 'fraction of providers', { yMin: 0, yMax: 1 }))
    out.push(table([distRow('reward per provider', r.rewards, 'tokens')], DIST_HEAD))
  } else if (r.eras === undefined || r.eras.length === 0) out.push(notMeasured('Rewards', mode))
  if (r.groups !== undefined && r.groups.length > 0) {
    out.push('<p>By kind of provider (whole tokens over the run):</p>')
    out.push(table(r.groups.map(g => [g.name, g.providers, g.leasesWon, g.leaseIncome.mean, g.leaseIncome.p50, g.rewards.mean, g.rewards.p50]),
      ['providers', 'count', 'leases won', 'mean lease income', 'median lease income', 'mean reward', 'median reward']))
  }

  const rest = r.series.filter(x => !plotted.has(x.name) && x.points.length > 0)
  if (rest.length > 0) {
    out.push('<h2>Other measures</h2>')
    for (const x of rest) out.push(`<h3>${esc(x.name)}</h3>`, lineChart([{ name: x.name, points: x.points.map(([t, v]) => [t / 1000, v]) }], 'simulated time (s)', x.unit))
  }

  out.push('<h2>Notes</h2>')
  out.push(r.notes.length === 0 ? '<p>None.</p>' : `<ul class="notes">${r.notes.map(n => `<li>${esc(n)}</li>`).join('')}</ul>`)
  out.push('</body></html>\n')
  return out.join('\n')
}
