#!/usr/bin/env node
// Runs every benchmark of the project (each suite's dist/bench/*.js exports `run()` returning
// BenchResult[], packages/protocol/src/bench-result.ts), prints each result, and writes them
// with a description of the machine to bench-results/latest.json. Each result gets `figures`:
// every figure that has a target, next to its target, whether it met it, and the figure it was
// measured side by side with, if any.
// Usage: node scripts/bench.mjs [name-filter]   (a filtered run replaces only its suites' results;
// each result carries when it ran)
import { writeFileSync, readFileSync, mkdirSync, existsSync } from 'node:fs'
import { cpus, totalmem, release, platform, loadavg } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
await import(pathToFileURL(join(root, 'packages/node/dist/src/polyfill.js')).href)
const filter = process.argv[2]
const SUITES = [
  'packages/node/dist/bench/market.js',
  'packages/node/dist/bench/deploy.js',
  'packages/gateway/dist/bench/tunnel.js',
  'packages/node/dist/bench/fizz.js',
  'packages/protocol/dist/bench/bls.js',
  'packages/node/dist/bench/challenges.js',
  'packages/node/dist/bench/challenge.js',
  'packages/node/dist/bench/slark.js',
  'simulations/dist/bench/model.js',
  'simulations/dist/bench/emulation.js'
]
const missing = SUITES.filter(p => !existsSync(join(root, p)))
if (missing.length > 0) console.error(`not built (run pnpm build): ${missing.join(', ')}`)
const suites = SUITES.filter(p => !missing.includes(p) && (filter === undefined || p.includes(filter)))

const round1 = xs => xs.map(x => Math.round(x * 10) / 10)
const machine = {
  cpu: cpus()[0]?.model ?? 'unknown',
  cores: cpus().length,
  memoryGiB: Math.round(totalmem() / 2 ** 30),
  os: `${platform()} ${release()}`,
  node: process.version,
  loadAverageAtStart: round1(loadavg())
}

/** '< 5', '<= 1', '>= 0.8', '> 0' → whether `value` meets it (undefined if the form is unknown). */
function meets (value, target) {
  const m = /^\s*(<=|>=|<|>)\s*(-?[\d.]+)\s*$/.exec(target)
  if (m === null || typeof value !== 'number' || Number.isNaN(value)) return undefined
  const t = Number(m[2])
  return { '<': value < t, '<=': value <= t, '>': value > t, '>=': value >= t }[m[1]]
}

function figures (r) {
  const names = new Set([...Object.keys(r.target ?? {}), ...Object.keys(r.baseline ?? {})])
  return [...names].map(name => {
    const f = { figure: name, value: r.results[name] }
    const target = r.target?.[name]
    if (target !== undefined) Object.assign(f, { target, met: meets(f.value, target) })
    const base = r.baseline?.[name]
    if (base !== undefined) f.baseline = { figure: base, value: r.results[base] }
    return f
  })
}

const results = []
for (const suite of suites) {
  const mod = await import(pathToFileURL(join(root, suite)).href)
  for (const r of await mod.run()) {
    const entry = { suite, ranAt: new Date().toISOString(), ...r, figures: figures(r) }
    const unmet = entry.figures.filter(f => f.met === false)
    if (r.pass === true && unmet.length > 0) entry.pass = false
    results.push(entry)
    console.log(JSON.stringify(entry))
  }
}
machine.loadAverageAtEnd = round1(loadavg())

mkdirSync(join(root, 'bench-results'), { recursive: true })
const file = join(root, 'bench-results', 'latest.json')
// A filtered run keeps the other suites' last results.
let kept = []
if (filter !== undefined && existsSync(file)) {
  try { kept = JSON.parse(readFileSync(file, 'utf8')).results.filter(r => !suites.includes(r.suite)).map(r => ({ ...r, figures: figures(r) })) } catch { kept = [] }
}
const all = [...kept, ...results].sort((a, b) => SUITES.indexOf(a.suite) - SUITES.indexOf(b.suite))
writeFileSync(file, JSON.stringify({ date: new Date().toISOString(), machine, results: all }, null, 2) + '\n')
const failed = results.filter(r => r.pass === false)
console.log(`${results.length} benchmarks written to ${file}; ${failed.length} missed their target${failed.length === 0 ? '' : ': ' + failed.map(r => `${r.name} ${JSON.stringify(r.params)}`).join('; ')}`)
