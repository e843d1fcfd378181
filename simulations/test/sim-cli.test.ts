import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const DCN = fileURLToPath(new URL('../../../packages/node/dist/src/bin/dcn.js', import.meta.url))
const dir = mkdtempSync(join(tmpdir(), 'dcn-sim-cli-'))
test.after(() => { rmSync(dir, { recursive: true, force: true }) })

const dcn = (...args: string[]): { code: number | null, stdout: string, stderr: string } => {
  const r = spawnSync(process.execPath, [DCN, ...args], { cwd: dir, encoding: 'utf8', timeout: 60_000 })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

const SCENARIO = join(dir, 'tiny.yaml')
writeFileSync(SCENARIO, `# Does a tiny network of 20 providers settle its eras?
nodes: { providers: 20, slarks: 3 }
duration: 4m
adversaries: { spoofers: { fraction: 0.05, factor: 4 } }
workloads: { perMinute: 20, duration: { min: 1m, max: 2m } }
timing: { slot: 20s, eraSlots: 3, bidWindow: 1s, heartbeat: 5s }
`)

test('dcn sim writes results.json, CSVs and a self-contained report.html, with progress and a summary', () => {
  const out = join(dir, 'out')
  const r = dcn('sim', SCENARIO, '--out', out)
  assert.is(r.code, 0, r.stderr)
  assert.match(r.stdout, 'tiny (model mode, seed 1)')
  assert.match(r.stdout, 'spoofers detected 1 of 1')
  assert.match(r.stdout, `report: ${join(out, 'report.html')}`)
  // not a TTY: a progress line every ~10 %
  const lines = r.stderr.split('\n').filter(l => l.startsWith('sim: '))
  assert.ok(lines.length >= 5 && lines.length <= 12, r.stderr)
  assert.match(lines[lines.length - 1], 'sim: 100%')

  const files = readdirSync(out)
  for (const f of ['results.json', 'run.json', 'eras.csv', 'groups.csv', 'series-matches-per-second.csv', 'series-active-leases.csv', 'report.html']) assert.ok(files.includes(f), `${f} in ${files.join()}`)
  const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'))
  assert.is(results.scenario.name, 'tiny')
  assert.is(results.eras.length, 4)
  assert.is(readFileSync(join(out, 'eras.csv'), 'utf8').split('\n')[0], 'era,tier1,tier2,tier3,tier4,tier5,tier6,tier7,rewards_providers,rewards_slarks,rewards_fizz,slashed')
  assert.match(readFileSync(join(out, 'series-matches-per-second.csv'), 'utf8'), /^time_ms,matches-s\n0,/)

  const html = readFileSync(join(out, 'report.html'), 'utf8')
  assert.match(html, 'Does a tiny network of 20 providers settle its eras?')
  assert.ok((html.match(/<svg /g) ?? []).length >= 5, 'its plots are inline SVG')
  for (const heading of ['Matching latency', 'Gossip delivery', 'Matches per second', 'Cheater detection', 'Trust tiers over eras', 'Rewards']) assert.match(html, heading)
  assert.match(html, 'Gossip delivery: not measured in model mode.')
  assert.not.match(html, /https?:\/\//, 'no external URL')
  assert.not.match(html, /<script|<link|@import|url\(/i, 'no scripts, stylesheets or fonts to fetch')
})

test('dcn sim --json prints the output directory and a summary', () => {
  const r = dcn('sim', SCENARIO, '--out', join(dir, 'json'), '--json')
  assert.is(r.code, 0, r.stderr)
  const j = JSON.parse(r.stdout)
  assert.is(j.out, join(dir, 'json'))
  assert.ok(j.files.includes('report.html'))
  assert.is(j.summary.spoofersDetected, 1)
  assert.ok(existsSync(join(dir, 'json', 'results.json')))
})

test('a missing or invalid scenario is one line on stderr and exit 2', () => {
  const missing = dcn('sim', join(dir, 'nope.yaml'))
  assert.is(missing.code, 2)
  assert.is(missing.stderr, `dcn: cannot read scenario ${join(dir, 'nope.yaml')}: no such file\n`)
  const bad = join(dir, 'bad.yaml')
  writeFileSync(bad, '# q\nnodes: { providers: 5 }\nduration: 1m\nadversaries: { lyingSlarks: { fraction: 2 } }\n')
  const invalid = dcn('sim', bad)
  assert.is(invalid.code, 2)
  assert.is(invalid.stderr, `dcn: ${bad}: adversaries.lyingSlarks.fraction must be a number in [0, 1] (got 2)\n`)
  const usage = dcn('sim')
  assert.is(usage.code, 2)
  assert.match(usage.stderr, /^dcn: expected one scenario file \(usage: dcn sim SCENARIO/)
  assert.match(dcn('--help').stdout, 'dcn sim SCENARIO [--out DIR] [--json]')
})

test.run()
