/**
 * Providers that price with a script (`pricing: { strategy: script }`), as separate `dcn node`
 * processes: one script prices the order, one hangs, one crashes, one prints garbage. Only the
 * good one bids and wins; the others log why, bid nothing, release their reservation, and keep
 * running; the hanging script is killed at its 5 s timeout together with its children.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Cluster, alive, counter, manifest, providerConfig, waitFor, type TestNode } from './helpers/cluster.js'

const PRICE = '1000000000000'
const TIMEOUT_MS = 5000

const cluster = new Cluster()
let matcher: TestNode
let good: TestNode
let hang: TestNode
let crash: TestNode
let garbage: TestNode
let bad: TestNode[] = []

interface QuoteJson {
  order: { id: string }
  bids: Array<{ bid: { bidder: string, pricePerSecond: string } }>
  decisions: Array<{ winner: string | null }>
  winner: { bid: { bidder: string } } | null
}
let quoted: QuoteJson
let quoteStarted = 0
/** `sleep 60` processes that were already running before the quote (not ours). */
let before = new Set<number>()
/** `sleep 60` processes that appeared while the hanging script ran. */
const hung = new Set<number>()
let hangReservations = 0

/** Pids whose command line contains `sleep 60`, or null when there is no pgrep. */
async function sleepers (): Promise<Set<number> | null> {
  return await new Promise(resolve => {
    execFile('pgrep', ['-f', 'sleep 60'], (err, stdout) => {
      if ((err as NodeJS.ErrnoException | null)?.code === 'ENOENT') { resolve(null); return }
      // pgrep exits 1 when nothing matches.
      resolve(new Set(stdout.split('\n').filter(l => l.trim() !== '').map(Number)))
    })
  })
}

/** A process that exists and is not a zombie. */
function running (pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z'
  } catch {
    try { process.kill(pid, 0); return true } catch { return false }
  }
}

const script = (name: string, body: string): string => cluster.file(name, `#!/bin/sh\n${body}\n`)
const withScript = (path: string): Record<string, unknown> =>
  providerConfig('eu-west', 3, '8', '16Gi', '0.08', { pricing: { strategy: 'script', script: path, timeout: `${TIMEOUT_MS / 1000}s` } })

test.before(async () => {
  matcher = await cluster.start('matcher', 'matcher')
  ;[good, hang, crash, garbage] = await Promise.all([
    cluster.start('good', 'provider', withScript(script('good.sh', `cat >/dev/null\necho ${PRICE}`)), [matcher.addr]),
    cluster.start('hang', 'provider', withScript(script('hang.sh', 'sleep 60')), [matcher.addr]),
    cluster.start('crash', 'provider', withScript(script('crash.sh', 'echo boom >&2\nexit 3')), [matcher.addr]),
    cluster.start('garbage', 'provider', withScript(script('garbage.sh', 'cat >/dev/null\necho notanumber')), [matcher.addr])
  ])
  bad = [hang, crash, garbage]
  await cluster.ready(4)
})

test.after(async () => { await cluster.stop() })

test('only the provider whose script printed a price bids, and it wins', async () => {
  before = await sleepers() ?? new Set()
  const file = cluster.file('m.yaml', manifest({ cpu: '1', memory: '1Gi' }))
  quoteStarted = Date.now()
  let done = false
  const run = cluster.dcn(['quote', file, '--json', '--window', '1500ms', '--bootstrap', matcher.addr, '--data-dir', join(cluster.root, 'client')])
    .finally(() => { done = true })
  // While the quote runs, watch the hanging provider: it holds a reservation while its script
  // sleeps, and the script's `sleep` is visible.
  while (!done) {
    const [s, pids] = await Promise.all([hang.status().catch(() => undefined), sleepers()])
    hangReservations = Math.max(hangReservations, s?.provider?.reservations ?? 0)
    for (const pid of pids ?? []) if (!before.has(pid)) hung.add(pid)
    await new Promise(resolve => setTimeout(resolve, 100))
  }
  const r = await run
  assert.is(r.code, 0, r.stderr)
  quoted = JSON.parse(r.stdout) as QuoteJson
  assert.is(quoted.bids.length, 1, `bids: ${JSON.stringify(quoted.bids.map(b => b.bid.bidder))}`)
  assert.is(quoted.bids[0].bid.bidder, good.wallet)
  assert.is(quoted.bids[0].bid.pricePerSecond, PRICE, 'the price the script printed')
  assert.is(quoted.winner?.bid.bidder, good.wallet)
  assert.is(quoted.decisions.length, 1)
  assert.is(quoted.decisions[0].winner, good.wallet)
  assert.is(hangReservations, 1, 'the hanging provider holds a reservation while its script runs')
})

test('a crashing script and one printing garbage: no bid, a clear log line, reservation released', async () => {
  const id = quoted.order.id
  await waitFor(async () => /exited with 3: boom/.test(crash.log()) && /expected a positive integer/.test(garbage.log()), 5000, 'pricing failures logged')
  assert.match(crash.log(), new RegExp(`pricing failed, no bid order=${id} reason=exited with 3: boom`))
  assert.match(garbage.log(), new RegExp(`pricing failed, no bid order=${id} reason=printed "notanumber", expected a positive integer`))
  for (const p of [crash, garbage]) {
    assert.is((await p.status()).provider?.reservations, 0, `${p.name} released its reservation`)
    const m = await p.metrics()
    assert.is(counter(m, 'dcn_bids_skipped_total', { reason: 'pricing failed' }), 1, `${p.name} skipped for pricing`)
    assert.is(counter(m, 'dcn_bids_sent_total'), 0, `${p.name} sent no bid`)
  }
  assert.is(counter(await good.metrics(), 'dcn_bids_sent_total'), 1)
})

test('a hanging script is killed at its timeout, with its children, and the provider keeps running', async () => {
  const id = quoted.order.id
  await waitFor(async () => /timed out/.test(hang.log()), TIMEOUT_MS + 5000, 'the hanging script to time out')
  assert.match(hang.log(), new RegExp(`pricing failed, no bid order=${id} reason=timed out after ${TIMEOUT_MS} ms`))
  assert.ok(Date.now() - quoteStarted >= TIMEOUT_MS, 'not before the timeout')
  await waitFor(async () => ((await hang.status()).provider?.reservations ?? -1) === 0, 2000, 'the hanging provider to release its reservation')
  const m = await hang.metrics()
  assert.is(counter(m, 'dcn_bids_skipped_total', { reason: 'pricing failed' }), 1)
  assert.is(counter(m, 'dcn_bids_sent_total'), 0)

  const now = await sleepers()
  if (now !== null) {
    // The check below can only fail if the script's `sleep` was seen while it ran.
    assert.ok(hung.size > 0, 'saw the hanging script\'s sleep while it ran')
    await waitFor(async () => [...hung].every(pid => !running(pid)), 2000, 'the sleep to be gone').catch(() => {})
    for (const pid of hung) assert.not.ok(running(pid), `sleep ${pid} was killed with its script`)
    const left = [...(await sleepers() ?? [])].filter(pid => !before.has(pid))
    assert.equal(left, [], 'no `sleep 60` left behind')
  } else {
    console.log('(no pgrep: not checking for leftover processes)')
  }

  // ~6 s after the order, every node still answers.
  const wait = quoteStarted + TIMEOUT_MS + 1000 - Date.now()
  if (wait > 0) await new Promise(resolve => setTimeout(resolve, wait))
  for (const n of [matcher, good, ...bad]) assert.ok(await alive(n), `${n.name} still running and answering /status`)
  for (const p of bad) assert.is((await p.status()).provider?.reservations, 0, `${p.name} holds no reservation`)
})

test.run()
