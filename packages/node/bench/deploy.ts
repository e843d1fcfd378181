/**
 * Benchmark of the whole deploy flow on a devnet: order → service answering with a local image
 * (busybox:stable, examples/web.yaml), p50 and p99 over 20 deployments.
 *
 * The devnet runs in this process (anvil, contracts, 1 matcher and 3 provider processes, the
 * local Docker engine). Each deployment is one `deploy()` call — order, bid window, match,
 * lease on chain, manifest over libp2p, container start, endpoint answering — timed as a
 * whole and split at the lease (`onLease`). Each service is then checked to serve the page and
 * its lease closed, so capacity frees up before the next one.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { closeLease, deposit, escrowBalance, leaseLock, parseManifest } from '@dcn/protocol'
import type Docker from 'dockerode'
import { connectChain } from '../src/chain/deployment.js'
import { deploy } from '../src/client/deploy.js'
import { DEMO_MANIFEST, ensureDemoImage } from '../src/devnet/demo.js'
import { startDevnet, type Devnet } from '../src/devnet/devnet.js'
import { loadIdentity } from '../src/identity.js'
import { silent } from '../src/log.js'
import { connectDocker } from '../src/runtime/docker.js'
import { LABEL } from '../src/runtime/spec.js'
import type { BenchResult } from '@dcn/protocol'

const DEPLOYMENTS = 20
const WINDOW_MS = 500
const PROVIDERS = 3
const TARGET_MS = 3000
/** A deployment that takes this long has failed; the bench stops rather than hang (deploy() waits up to minutes). */
const GIVE_UP_MS = 30_000

function percentile (xs: number[], p: number): number {
  if (xs.length === 0) return NaN
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.ceil(p / 100 * s.length) - 1)]
}

const round = (x: number): number => Math.round(x)
const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length)

/** Containers of the devnet's providers (all of them, or one lease's). */
async function containersOf (docker: Docker, providers: string[], leaseId?: bigint): Promise<number> {
  let n = 0
  for (const p of providers) {
    const label = [`${LABEL.provider}=${p.toLowerCase()}`, ...(leaseId === undefined ? [] : [`${LABEL.lease}=${leaseId}`])]
    n += (await docker.listContainers({ all: true, filters: { label } })).length
  }
  return n
}

async function within<T> (p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_resolve, reject) => { timer = setTimeout(() => { reject(new Error(`${what} took more than ${ms / 1000} s`)) }, ms) })
  try {
    return await Promise.race([p, late])
  } finally {
    clearTimeout(timer)
  }
}

async function waitUntil (cond: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs
  while (Date.now() < until) {
    if (await cond()) return true
    await new Promise(resolve => setTimeout(resolve, 100))
  }
  return await cond()
}

export async function deployLatency (deployments = DEPLOYMENTS, windowMs = WINDOW_MS, providers = PROVIDERS): Promise<BenchResult> {
  const dataDir = mkdtempSync(join(tmpdir(), 'dcn-bench-deploy-'))
  const docker = await connectDocker()
  await ensureDemoImage(docker, silent)
  let devnet: Devnet | undefined
  let providerWallets: string[] = []
  let result: BenchResult
  let left = 0
  try {
    const upStarted = performance.now()
    devnet = await startDevnet({ dataDir, providers, matchers: 1, log: silent, heartbeat: '2s' })
    const devnetUpMs = performance.now() - upStarted
    const { info } = devnet
    providerWallets = info.nodes.filter(n => n.role === 'provider').map(n => n.wallet)
    const d = info.chain.deployment

    const { wallet } = await loadIdentity(dataDir)
    const c = await connectChain(info.chain, wallet)
    const base = readFileSync(DEMO_MANIFEST, 'utf8')
    const { token, maxPricePerSecond, duration } = parseManifest(base, { tokens: info.tokens }).order
    const needed = leaseLock(d, token, maxPricePerSecond, duration) * BigInt(deployments)
    const { unlocked } = await escrowBalance(c, d, token)
    if (unlocked < needed) await deposit(c, d, token, needed - unlocked)

    const total: number[] = []
    const toLease: number[] = []
    const leaseToAnswering: number[] = []
    const teardown: number[] = []
    const winners = new Map<string, number>()
    let bidsSeen = 0
    for (let i = 0; i < deployments; i++) {
      // A comment makes each manifest (and so each order's manifest hash) unique.
      const text = `${base.endsWith('\n') ? base : base + '\n'}# bench deployment ${i}\n`
      const spec = parseManifest(text, { tokens: info.tokens }).order
      let leasedAt = NaN
      const t0 = performance.now()
      const r = await within(deploy({ net: info, wallet, c }, { text, spec }, { windowMs, onLease: () => { leasedAt = performance.now() } }), GIVE_UP_MS, `deployment ${i}`)
      const t1 = performance.now()
      if (!r.running) throw new Error(`deployment ${i}: no provider won the order (${r.quote.bids.length} bids)`)
      total.push(t1 - t0)
      toLease.push(leasedAt - t0)
      leaseToAnswering.push(t1 - leasedAt)
      bidsSeen += r.quote.bids.length
      const winner = r.quote.winner?.bid.bidder.toLowerCase() ?? '?'
      winners.set(winner, (winners.get(winner) ?? 0) + 1)

      // The service really serves the page.
      const url = r.endpoints[0]?.url
      if (url === undefined) throw new Error(`deployment ${i}: lease ${r.lease.leaseId} has no endpoint`)
      const res = await fetch(url, { signal: AbortSignal.timeout(5000) })
      const body = await res.text()
      if (res.status !== 200 || !body.includes('hello from dcn')) throw new Error(`deployment ${i}: ${url} answered ${res.status}: ${body.slice(0, 200)}`)

      // Free the capacity: close the lease and wait for the provider to remove the container.
      const closedAt = performance.now()
      await closeLease(c, d, r.lease.leaseId)
      const gone = await waitUntil(async () => await containersOf(docker, providerWallets, r.lease.leaseId) === 0, 15_000)
      if (!gone) throw new Error(`deployment ${i}: lease ${r.lease.leaseId} closed but its container is still there after 15 s`)
      teardown.push(performance.now() - closedAt)
    }

    const p50 = percentile(total, 50)
    const p99 = percentile(total, 99)
    result = {
      name: 'order → service answering (devnet, local image)',
      params: { deployments, windowMs, providers, matchers: 1, heartbeat: '2s', image: 'busybox:stable', manifest: 'examples/web.yaml' },
      results: {
        p50Ms: round(p50),
        p99Ms: round(p99),
        meanMs: round(mean(total)),
        minMs: round(Math.min(...total)),
        maxMs: round(Math.max(...total)),
        firstMs: round(total[0]),
        orderToLeaseP50Ms: round(percentile(toLease, 50)),
        orderToLeaseP99Ms: round(percentile(toLease, 99)),
        leaseToAnsweringP50Ms: round(percentile(leaseToAnswering, 50)),
        leaseToAnsweringP99Ms: round(percentile(leaseToAnswering, 99)),
        closeToTeardownP50Ms: round(percentile(teardown, 50)),
        bidsPerOrder: Number((bidsSeen / deployments).toFixed(2)),
        distinctWinners: winners.size,
        devnetUpMs: round(devnetUpMs)
      },
      target: { p50Ms: `< ${TARGET_MS}`, p99Ms: `< ${TARGET_MS}` },
      pass: p50 < TARGET_MS && p99 < TARGET_MS,
      note: `wall time of deploy(): order → ${windowMs} ms bid window → match → lease on chain → manifest over libp2p → container up → HTTP answers; ` +
        'each service then checked for its page and its lease closed (teardown not counted)'
    }
  } finally {
    await devnet?.stop()
    // stop() removes the providers' containers; make sure of it.
    left = providerWallets.length === 0 ? 0 : await containersOf(docker, providerWallets)
    if (left > 0) console.error(`bench deploy: ${left} container(s) of the devnet providers left after stop (labels ${LABEL.provider}=${providerWallets.join('|')})`)
    rmSync(dataDir, { recursive: true, force: true })
  }
  if (left > 0) throw new Error(`${left} container(s) of the devnet providers left after stop`)
  return result
}

export async function run (): Promise<BenchResult[]> {
  return [await deployLatency()]
}
