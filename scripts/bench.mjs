#!/usr/bin/env node
// Runs every package's benchmarks (dist/bench/market.js etc. exporting `run()`), prints each
// result, and writes them with a description of the machine to bench-results/latest.json.
// Usage: node scripts/bench.mjs [name-filter]
import { writeFileSync, mkdirSync, existsSync } from 'node:fs'
import { cpus, totalmem, release, platform } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
await import(pathToFileURL(join(root, 'packages/node/dist/src/polyfill.js')).href)
const filter = process.argv[2]
const suites = [
  'packages/node/dist/bench/market.js',
  'packages/node/dist/bench/deploy.js',
  'packages/gateway/dist/bench/tunnel.js',
  'packages/node/dist/bench/fizz.js',
  'packages/protocol/dist/bench/bls.js',
  'packages/node/dist/bench/challenges.js',
  'packages/node/dist/bench/challenge.js',
  'packages/node/dist/bench/slark.js',
  'simulations/dist/bench/model.js'
].filter(p => existsSync(join(root, p)) && (filter === undefined || p.includes(filter)))

const machine = {
  cpu: cpus()[0]?.model ?? 'unknown',
  cores: cpus().length,
  memoryGiB: Math.round(totalmem() / 2 ** 30),
  os: `${platform()} ${release()}`,
  node: process.version
}
const results = []
for (const suite of suites) {
  const mod = await import(pathToFileURL(join(root, suite)).href)
  for (const r of await mod.run()) {
    results.push({ suite, ...r })
    console.log(JSON.stringify({ suite, ...r }))
  }
}
const out = { date: new Date().toISOString(), machine, results }
mkdirSync(join(root, 'bench-results'), { recursive: true })
const file = join(root, 'bench-results', 'latest.json')
writeFileSync(file, JSON.stringify(out, null, 2) + '\n')
const failed = results.filter(r => r.pass === false)
console.log(`${results.length} benchmarks written to ${file}; ${failed.length} missed their target${failed.length === 0 ? '' : ': ' + failed.map(r => `${r.name} ${JSON.stringify(r.params)}`).join('; ')}`)
