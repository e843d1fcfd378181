/**
 * `writeResults(results, outDir)`: results.json (everything but the wall-clock time, which goes
 * to run.json, so the same seed gives the same bytes), one CSV per series, eras.csv and
 * groups.csv (per-era and per-group tables), and report.html. Returns the files written.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { renderReport } from './report.js'
import type { SimResults } from './types.js'

const safe = (name: string): string => name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '')
const csvCell = (v: string | number): string => typeof v === 'number' ? String(v) : /[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v
const csv = (head: string[], rows: Array<Array<string | number>>): string => [head, ...rows].map(r => r.map(csvCell).join(',')).join('\n') + '\n'

export function writeResults (results: SimResults, outDir: string): string[] {
  mkdirSync(outDir, { recursive: true })
  const files: string[] = []
  const write = (name: string, text: string): void => {
    writeFileSync(join(outDir, name), text)
    files.push(name)
  }
  const { wallMs, ...stable } = results
  write('results.json', JSON.stringify(stable, null, 2) + '\n')
  write('run.json', JSON.stringify({ wallMs, node: process.version }, null, 2) + '\n')
  for (const s of results.series) write(`series-${safe(s.name)}.csv`, csv(['time_ms', safe(s.unit) || 'value'], s.points))
  if (results.eras !== undefined) {
    write('eras.csv', csv(
      ['era', 'tier1', 'tier2', 'tier3', 'tier4', 'tier5', 'tier6', 'tier7', 'rewards_providers', 'rewards_slarks', 'rewards_fizz', 'slashed'],
      results.eras.map(e => [e.era, ...e.tiers, e.rewards.providers, e.rewards.slarks, e.rewards.fizz, e.slashed])))
  }
  if (results.groups !== undefined) {
    write('groups.csv', csv(
      ['group', 'providers', 'leases_won', 'lease_income_mean', 'lease_income_p50', 'reward_mean', 'reward_p50'],
      results.groups.map(g => [g.name, g.providers, g.leasesWon, g.leaseIncome.mean, g.leaseIncome.p50, g.rewards.mean, g.rewards.p50])))
  }
  write('report.html', renderReport(results))
  return files
}
