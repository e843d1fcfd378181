#!/usr/bin/env node
// Runs every compiled uvu test file in its own process, one after another (integration tests
// start real nodes, chains and containers), and ends with the line `N passed, N failed`.
// Usage: node scripts/test.mjs [substring-filter...]
import { spawn } from 'node:child_process'
import { readdirSync, statSync, existsSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const polyfill = join(root, 'packages/node/dist/src/polyfill.js')
const filters = process.argv.slice(2)
const FILE_TIMEOUT_MS = Number(process.env.DCN_TEST_TIMEOUT_MS ?? 480_000)

function findTests (dir) {
  if (!existsSync(dir)) return []
  return readdirSync(dir).flatMap(name => {
    const p = join(dir, name)
    return statSync(p).isDirectory() ? findTests(p) : name.endsWith('.test.js') ? [p] : []
  })
}

const dirs = ['packages/protocol', 'packages/node', 'packages/gateway', 'packages/slark', 'simulations']
const files = dirs.flatMap(d => findTests(join(root, d, 'dist/test'))).sort()
  .filter(f => filters.length === 0 || filters.some(s => f.includes(s)))

let passed = 0
let failed = 0
for (const file of files) {
  const name = relative(root, file)
  const started = Date.now()
  const { code, out } = await run(file)
  const total = Number(/Total:\s+(\d+)/.exec(out)?.[1] ?? NaN)
  const ok = Number(/Passed:\s+(\d+)/.exec(out)?.[1] ?? NaN)
  if (Number.isNaN(total) || Number.isNaN(ok)) {
    failed += 1
    process.stdout.write(out)
    console.log(`✘ ${name}: crashed or timed out (exit ${code}) after ${Date.now() - started} ms`)
    continue
  }
  passed += ok
  failed += total - ok
  if (total !== ok || code !== 0) process.stdout.write(out)
  console.log(`${total === ok ? '✔' : '✘'} ${name}: ${ok}/${total} in ${Date.now() - started} ms`)
}
console.log(`${passed} passed, ${failed} failed`)
process.exitCode = failed === 0 && files.length > 0 ? 0 : 1

function run (file) {
  return new Promise(resolve => {
    const child = spawn(process.execPath, ['--import', polyfill, file], {
      cwd: root, env: { ...process.env, FORCE_COLOR: '0' }, stdio: ['ignore', 'pipe', 'pipe'], detached: true
    })
    let out = ''
    child.stdout.on('data', d => { out += d })
    child.stderr.on('data', d => { out += d })
    const timer = setTimeout(() => { out += `\n(timed out after ${FILE_TIMEOUT_MS} ms)\n`; try { process.kill(-child.pid, 'SIGKILL') } catch {} }, FILE_TIMEOUT_MS)
    child.on('close', code => {
      clearTimeout(timer)
      // Kill anything the test file left behind (nodes it spawned).
      try { process.kill(-child.pid, 'SIGKILL') } catch {}
      resolve({ code, out })
    })
  })
}
