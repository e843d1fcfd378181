/**
 * Benchmarks of the market: order → match latency after the bid deadline at 10, 50 and 100
 * nodes on this machine (p50, p99, delivery), and scoring 1000 bids for one order.
 *
 * Nodes run in worker processes (the matcher alone in one, providers spread over the rest) so
 * both cores work as they would for separate machines; the client runs in this process.
 */
import type { BenchResult } from '@dcn/protocol'
import type { ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import {
  DEVNET_CHAIN_ID, DEVNET_TOKENS, TOPICS, ZERO_HASH, selectWinner, selfDeclaredStanding, parseAmount, perHourToPerSecond,
  type Bid, type OrderSpec
} from '@dcn/protocol'
import { connect } from '../src/client/light-client.js'
import { buildOrder } from '../src/client/quote.js'
import { ask, forkWorker, settleWorkers, stopWorkers, workerStats } from '../src/cluster/workers.js'
import type { StartMessage } from './worker.js'

const WORKER = fileURLToPath(new URL('./worker.js', import.meta.url))

function percentile (xs: number[], p: number): number {
  if (xs.length === 0) return NaN
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.ceil(p / 100 * s.length) - 1)]
}

async function spawnWorker (msg: StartMessage): Promise<{ child: ChildProcess, addrs: string[][] }> {
  const child = forkWorker(WORKER)
  const { addrs } = await ask<{ type: 'started', addrs: string[][] }>(child, msg, 'started')
  return { child, addrs }
}

const SPEC: OrderSpec = {
  resources: { cpu: 500, memory: 256 * 2 ** 20, storage: 2 ** 30, gpuUnits: 0, gpuModel: '' },
  region: '',
  minTrustTier: 7,
  mode: 'any',
  token: DEVNET_TOKENS.SPON,
  maxPricePerSecond: perHourToPerSecond(parseAmount('10')),
  duration: 3600,
  manifestHash: ZERO_HASH
}

function providerConfig (i: number): Record<string, unknown> {
  return {
    heartbeat: '10s',
    provider: {
      region: ['eu-west', 'us-east', 'ap-south'][i % 3],
      tier: 1 + (i % 7),
      capacity: { cpu: '64', memory: '256Gi', storage: '2Ti' },
      pricing: { strategy: 'scale', perHour: { cpu: (0.02 + (i % 17) * 0.005).toFixed(3), memory: '0.01', storage: '0.0001', gpu: '1' } }
    }
  }
}


/** order → match latency with `nodes` nodes (1 matcher + providers). */
export async function orderToMatch (nodes: number, orders: number, windowMs = 1000): Promise<BenchResult> {
  const providers = nodes - 1
  const workers: ChildProcess[] = []
  try {
    const m = await spawnWorker({ type: 'start', role: 'matcher', configs: [{}], bootstrap: [] })
    workers.push(m.child)
    const decisions = new Map<string, number>()
    m.child.on('message', (msg: { type: string, orderId?: string, decidedAt?: number }) => {
      if (msg.type === 'decision') decisions.set(msg.orderId!, msg.decidedAt!)
    })
    const bootstrap = m.addrs[0].filter(a => a.includes('127.0.0.1'))
    const perWorker = Math.ceil(providers / 3)
    const jobs: Array<Promise<{ child: ChildProcess }>> = []
    for (let start = 0; start < providers; start += perWorker) {
      const configs = Array.from({ length: Math.min(perWorker, providers - start) }, (_, k) => providerConfig(start + k))
      jobs.push(spawnWorker({ type: 'start', role: 'provider', configs, bootstrap, staggerMs: 150 }))
    }
    for (const j of await Promise.all(jobs)) workers.push(j.child)

    // Start-up (keys, DHT refresh, discovery dials) saturates the cores for a while; measure
    // the steady state, as a user of a running network sees it.
    const settleStarted = Date.now()
    await settleWorkers(workers, 90_000)
    const wallet = privateKeyToAccount(generatePrivateKey())
    const net = { chainId: DEVNET_CHAIN_ID, bootstrap, tokens: { ...DEVNET_TOKENS } }
    let client: Awaited<ReturnType<typeof connect>> | undefined
    for (let attempt = 0; client === undefined; attempt++) {
      try {
        client = await connect(net, { wallet, receive: ['bid', 'match', 'no-match'], publish: [TOPICS.orders], timeoutMs: 20_000 })
      } catch (err) {
        if (attempt >= 3) throw err
      }
    }
    const settleMs = Date.now() - settleStarted

    await workerStats(workers, true)
    const latencies: number[] = []
    const matcherLatencies: number[] = []
    const delivery: number[] = []
    let agreed = 0
    let matched = 0
    for (let i = 0; i < orders; i++) {
      const order = buildOrder(SPEC, wallet.address, windowMs)
      const bids: Bid[] = []
      let resolveDone!: (v: { at: number, bidder: string | null }) => void
      const done = new Promise<{ at: number, bidder: string | null }>(resolve => { resolveDone = resolve })
      const off = [
        client.gossip.on('bid', (msg) => { if (msg.body.orderId === order.id) bids.push(msg.body) }),
        client.gossip.on('match', (msg) => { if (msg.body.orderId === order.id) resolveDone({ at: Date.now(), bidder: msg.body.bidder }) }),
        client.gossip.on('no-match', (msg) => { if (msg.body.orderId === order.id) resolveDone({ at: Date.now(), bidder: null }) })
      ]
      await client.gossip.publish('order', order)
      const timeout = new Promise<null>(resolve => setTimeout(() => { resolve(null) }, windowMs + 10_000))
      const r = await Promise.race([done, timeout])
      if (r !== null) {
        latencies.push(r.at - order.bidDeadlineMs)
        if (r.bidder !== null) matched++
        const predicted = selectWinner(order, bids, { beacon: ZERO_HASH, standing: selfDeclaredStanding }).winner?.bid.bidder ?? null
        if (predicted === r.bidder) agreed++
      }
      delivery.push(bids.length / providers)
      for (const f of off) f()
      await new Promise(resolve => setTimeout(resolve, 200))
      const decidedAt = decisions.get(order.id)
      if (decidedAt !== undefined) matcherLatencies.push(decidedAt - order.bidDeadlineMs)
    }
    await client.stop()
    const stats = await workerStats(workers)
    if (process.env.DCN_BENCH_DEBUG !== undefined) console.error(JSON.stringify(stats))
    const total = (key: string): number => stats.reduce((sum, st) => sum + (st[key] ?? 0), 0)
    const p50 = percentile(latencies, 50)
    const p99 = percentile(latencies, 99)
    return {
      name: 'order → match latency after the bid deadline',
      params: { nodes, providers, matchers: 1, orders, windowMs, workers: workers.length, settleMs },
      results: {
        p50_ms: p50,
        p99_ms: p99,
        matcher_decision_p50_ms: percentile(matcherLatencies, 50),
        decided_ratio: latencies.length / orders,
        matched_ratio: matched / orders,
        bid_delivery_ratio: delivery.reduce((a, b) => a + b, 0) / delivery.length,
        client_agrees_with_matcher_ratio: agreed / Math.max(1, latencies.length),
        order_reached_providers_ratio: total('orders_seen_total') / Math.max(1, total('nodes')) / orders,
        order_too_late_to_bid_ratio: total('bids_skipped_total:deadline') / Math.max(1, total('orders_seen_total')),
        gossip_link_repairs: total('gossip_link_repairs_total'),
        worker_event_loop_delay_p99_ms: Math.max(...stats.map(st => st.loopDelayP99Ms ?? 0))
      },
      target: nodes >= 100 ? { p50_ms: '< 500', p99_ms: '< 1000' } : undefined,
      pass: nodes >= 100 ? p50 < 500 && p99 < 1000 : undefined,
      note: 'latency = time the client receives the match minus the order\'s bid deadline; delivery = bids received / providers'
    }
  } finally {
    await stopWorkers(workers)
  }
}

/** Scoring 1000 bids for one order with the deterministic function. */
export function scoring (bidCount = 1000, rounds = 200): BenchResult {
  const owner = privateKeyToAccount(generatePrivateKey()).address
  const order = buildOrder(SPEC, owner, 1000)
  const bids: Bid[] = Array.from({ length: bidCount }, (_, i) => ({
    orderId: order.id,
    bidder: `0x${(i + 1).toString(16).padStart(40, '0')}`,
    peerId: '12D3KooWBench',
    fizzId: '',
    pricePerSecond: 1n + BigInt(i * 7919 % 100_000) * 10n ** 9n,
    region: ['eu-west', 'us-east'][i % 2],
    tier: 1 + (i % 7),
    token: DEVNET_TOKENS.SPON,
    available: { cpu: 64000, memory: 2 ** 38, storage: 2 ** 41, gpuUnits: 0, gpuModel: '' },
    capacity: { cpu: 64000, memory: 2 ** 38, storage: 2 ** 41, gpuUnits: 0, gpuModel: '' },
    createdMs: order.createdMs,
    expiry: order.expiry
  }))
  for (let i = 0; i < 20; i++) selectWinner(order, bids, { beacon: ZERO_HASH, standing: selfDeclaredStanding })
  const times: number[] = []
  for (let i = 0; i < rounds; i++) {
    const t = performance.now()
    selectWinner(order, bids, { beacon: ZERO_HASH, standing: selfDeclaredStanding })
    times.push(performance.now() - t)
  }
  const p50 = percentile(times, 50)
  return {
    name: 'score 1000 bids for one order',
    params: { bids: bidCount, rounds },
    results: { p50_ms: Number(p50.toFixed(3)), p99_ms: Number(percentile(times, 99).toFixed(3)) },
    target: { p50_ms: '< 5' },
    pass: p50 < 5
  }
}

export async function run (): Promise<BenchResult[]> {
  const results = [scoring()]
  for (const n of [10, 50, 100]) results.push(await orderToMatch(n, n >= 100 ? 30 : 20))
  return results
}
