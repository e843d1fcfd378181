/**
 * Emulation mode: the scenario played by real dcn nodes on this machine, in real time.
 *
 * The peers (plan.ts) run in worker processes (worker.ts) so every core works. Start-up goes in
 * waves — matchers first, then ten seed providers, users and adversaries, then the other
 * providers — and each provider bootstraps to one matcher (round robin) and two seed providers:
 * providers do not subscribe to bids or heartbeats, so their bids reach a matcher only over a
 * direct connection (gossipsub fanout), as in a deployment where providers bootstrap to the
 * matchers. Discovery adds links up to eight per node. Once every worker's event loop is
 * calm, simulated time starts: users publish signed orders at the scenario's Poisson rate,
 * providers leave and join, spammers and forgers publish junk. Afterwards every worker reports
 * what its peers published and received, and delivery is counted over every (message,
 * subscribed peer) pair.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { cpus, loadavg, tmpdir, totalmem } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { ChildProcess } from 'node:child_process'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { DEVNET_CHAIN_ID, parseAmount } from '@dcn/protocol'
import { ask, forkWorker, settleWorkers, startDevnetChain, stopWorkers, workerStats, type DevnetChain } from '@dcn/node'
import type { Scenario } from '../scenario/types.js'
import type { Series, SimResults } from '../results/types.js'
import { mergeInto, summarise, type Histogram } from './distribution.js'
import { hostCpuSampler } from './host-cpu.js'
import { makePlan, notEmulated, type PlannedPeer } from './plan.js'
import { shuffled } from './random.js'
import type { ChainSetup, Collected, OrderOutcome, PeerSpec, PeerStopped, Publication, PublicationsReply, Started, StartedPeer } from './messages.js'

export interface EmulationOptions {
  onProgress?: (done: number, total: number, label: string) => void
  log?: (line: string) => void
}

const WORKER = fileURLToPath(new URL('./worker.js', import.meta.url))
/** A peer counts as a receiver of a message if it was up from this long before … */
const JOIN_GRACE_MS = 10_000
/** … until this long after its publication. */
const DELIVERY_WINDOW_MS = 5_000
const SEED_PROVIDERS = 10
/** Delay between starts within one worker, per worker starting peers: the whole run starts about ten peers a second (handshakes are CPU). */
const STAGGER_MS_PER_WORKER = 100

export async function runEmulation (scenario: Scenario, opts: EmulationOptions = {}): Promise<SimResults> {
  const log = opts.log ?? (() => {})
  const progress = opts.onProgress ?? (() => {})
  const wallStart = Date.now()
  const plan = makePlan(scenario)
  const notes: string[] = []
  notes.push(...notEmulated(scenario))
  const r = plan.rng
  const workers: ChildProcess[] = []
  const up = new Map<number, StartedPeer & { planned: PlannedPeer }>()
  /** When each peer came up (peers that left included), and when those that left went. */
  const startedAt = new Map<number, number>()
  const stoppedAt = new Map<number, number>()
  let started = 0
  let peak = 0
  const total = plan.peers.length
  let chain: DevnetChain | undefined
  let chainSetup: ChainSetup | undefined
  let root: string | undefined

  try {
    if (scenario.chain) {
      root = mkdtempSync(join(tmpdir(), 'dcn-emulation-'))
      progress(0, 1, 'starting anvil')
      chain = await startDevnetChain(join(root, 'deployment.json'), { slotSeconds: Math.max(1, Math.round(scenario.timing.slotMs / 1000)), eraSlots: scenario.timing.eraSlots })
      chainSetup = { rpcUrl: chain.anvil.rpcUrl, chainId: chain.deployment.chainId, deployment: chain.deployment }
      log(`emulation: anvil at ${chain.anvil.rpcUrl}`)
    }
    // One funding transaction at a time: they all come from the foundation's account.
    let funding: Promise<unknown> = Promise.resolve()
    const withChain = async (p: PlannedPeer, spec: PeerSpec): Promise<PeerSpec> => {
      if (chain === undefined || root === undefined || p.kind === 'spammer' || p.kind === 'forger') return spec
      const key = generatePrivateKey()
      const spon = parseAmount(p.kind === 'provider' ? '1000' : p.kind === 'user' ? '10000' : '0')
      const c = chain
      const funded = funding.then(async () => { await c.fund(privateKeyToAccount(key).address, spon) })
      funding = funded.catch(() => {})
      await funded
      const config = p.config === undefined ? undefined : { ...p.config, rpc: c.anvil.rpcUrl, deployment: join(root, 'deployment.json'), tokens: c.deployment.tokens }
      return { ...spec, config, walletKey: key, dataDir: join(root, `peer-${p.idx}`) }
    }
    // Several hundred nodes in one process need more than V8's default heap; a larger young
    // generation (as Lodestar runs) promotes less of gossip's short-lived garbage and shortened
    // the workers' event-loop stalls (p99 0.6–1.0 s → 0.5–0.65 s at 500 nodes with orders).
    const heapMiB = Math.min(8192, Math.max(1024, Math.floor(totalmem() / 2 ** 20 / 2 / plan.workers)))
    for (let i = 0; i < plan.workers; i++) workers.push(forkWorker(WORKER, { execArgv: [`--max-old-space-size=${heapMiB}`, '--max-semi-space-size=32'] }))
    await Promise.all(workers.map(async (w, i) => await ask(w, { type: 'setup', latency: scenario.latency, seed: scenario.seed * 1000 + i, chainId: chainSetup?.chainId ?? DEVNET_CHAIN_ID, chain: chainSetup } as { type: string }, 'ready')))
    log(`emulation: ${total} peers over ${plan.workers} worker processes`)

    let nextReq = 0
    const startWave = async (wave: PlannedPeer[], bootstrapOf: (p: PlannedPeer) => string[], label: string): Promise<void> => {
      const byWorker = new Map<number, PlannedPeer[]>()
      for (const p of wave) byWorker.set(p.worker, [...(byWorker.get(p.worker) ?? []), p])
      await Promise.all([...byWorker].map(async ([w, list]) => {
        const peers: PeerSpec[] = []
        for (const p of list) peers.push(await withChain(p, { idx: p.idx, kind: p.kind, config: p.config, bootstrap: bootstrapOf(p) }))
        const req = nextReq++
        const reply = await ask<Started>(workers[w], { type: 'start', req, staggerMs: STAGGER_MS_PER_WORKER * byWorker.size, peers } as { type: string }, 'started', m => m.req === req)
        for (const s of reply.peers) {
          up.set(s.idx, { ...s, planned: plan.peers[s.idx] ?? plan.joins.find(j => j.peer.idx === s.idx)!.peer })
          startedAt.set(s.idx, s.at)
          started++
        }
        for (const f of reply.failed) notes.push(`peer ${f.idx} (${plan.peers[f.idx]?.kind ?? 'provider'}) failed to start: ${f.error}`)
        peak = Math.max(peak, up.size)
        progress(started, total, label)
      }))
    }
    const loopback = (s: StartedPeer | undefined): string[] => s?.addrs.filter(a => a.includes('/127.0.0.1/')).slice(0, 1) ?? []
    const matchers = plan.peers.filter(p => p.kind === 'matcher')
    const matcherAddr = (i: number): string[] => matchers.length === 0 ? [] : loopback(up.get(matchers[i % matchers.length].idx))
    const providers = plan.peers.filter(p => p.kind === 'provider')
    const seeds = providers.slice(0, SEED_PROVIDERS)
    const seedAddrs = (): string[] => shuffled(seeds.filter(s => up.has(s.idx)), r).slice(0, 2).flatMap(s => loopback(up.get(s.idx)))

    // One at a time: a matcher's bootstrap list names the matchers already up, and within one wave
    // none would be (the lists are made before the wave starts), leaving the matchers unlinked.
    for (const m of matchers) await startWave([m], p => matchers.filter(o => o.idx < p.idx).flatMap(o => loopback(up.get(o.idx))), 'starting matchers')
    await startWave(seeds, p => matcherAddr(p.idx), 'starting seed providers')
    // Users and adversaries join before the bulk of providers: joining a network whose workers
    // are still busy starting hundreds of nodes, a light client's handshakes timed out (users are
    // around while providers come and go; their orders start with simulated time either way).
    await startWave(plan.peers.filter(p => p.kind !== 'matcher' && p.kind !== 'provider'), p => [...matcherAddr(p.idx), ...seedAddrs()], 'starting users and adversaries')
    await startWave(providers.slice(SEED_PROVIDERS), p => [...matcherAddr(p.idx), ...seedAddrs()], 'starting providers')

    // Start-up is the heaviest phase (a Noise handshake per link, gossip streams timing out and
    // being repaired); measuring before it has calmed down measures start-up.
    const settled = await settleWorkers(workers, Math.min(180_000, 10_000 + total * 250))
    const startupMs = Date.now() - wallStart
    log(`emulation: ${up.size} peers up after ${Math.round(startupMs / 1000)} s${settled ? '' : ' (event loops still busy)'}`)
    if (!settled) notes.push('the workers\' event loops were still busy (p99 delay ≥ 100 ms) when simulated time started')
    await workerStats(workers, true)

    // Simulated time: the schedule, in real time.
    const t0 = Date.now()
    const timers: Array<ReturnType<typeof setTimeout>> = []
    const at = (ms: number, fn: () => void): void => { timers.push(setTimeout(fn, ms)) }
    const nodesSeries: Series = { name: 'nodes up', unit: 'nodes', points: [[0, up.size]] }
    const sample = (): void => { nodesSeries.points.push([Date.now() - t0, up.size]) }
    const hostCpu = hostCpuSampler()
    const pending: Array<Promise<unknown>> = []
    for (const o of plan.orders) {
      at(o.atMs, () => { workers[plan.peers[o.user].worker].send({ type: 'order', user: o.user, kind: o.kind, spec: o.spec, windowMs: scenario.timing.bidWindowMs }) })
    }
    for (const leaveMs of plan.leaves) {
      at(leaveMs, () => {
        const live = [...up.values()].filter(p => p.kind === 'provider' && !seeds.some(s => s.idx === p.idx))
        if (live.length === 0) return
        const victim = live[r.int(live.length)]
        up.delete(victim.idx)
        pending.push(ask<PeerStopped>(workers[victim.planned.worker], { type: 'stop-peer', idx: victim.idx } as { type: string }, 'peer-stopped', m => m.idx === victim.idx).then(m => { stoppedAt.set(m.idx, m.at); sample() }))
      })
    }
    for (const j of plan.joins) {
      at(j.atMs, () => { pending.push(startWave([j.peer], p => [...matcherAddr(p.idx), ...seedAddrs()], 'churn: joining').then(sample)) })
    }
    const untilMs = t0 + scenario.durationMs
    const victims = providers.flatMap(p => up.get(p.idx)?.wallet ?? [])
    for (const p of plan.peers) {
      if (p.kind === 'spammer') workers[p.worker].send({ type: 'attack', idx: p.idx, perSecond: scenario.adversaries.spammers.perSecond, untilMs, victims })
      if (p.kind === 'forger') workers[p.worker].send({ type: 'attack', idx: p.idx, perSecond: scenario.adversaries.forgers.perSecond, untilMs, victims })
    }
    const seconds = Math.ceil(scenario.durationMs / 1000)
    for (let s = 1; s <= seconds; s++) {
      await new Promise(resolve => setTimeout(resolve, Math.max(0, t0 + Math.min(s * 1000, scenario.durationMs) - Date.now())))
      progress(s, seconds, 'running')
      hostCpu.sample(Date.now() - t0)
      if (s % 5 === 0) sample()
    }
    for (const t of timers) clearTimeout(t)
    // Orders published near the end still get their bids, matches and deliveries.
    await new Promise(resolve => setTimeout(resolve, Math.max(DELIVERY_WINDOW_MS, scenario.timing.bidWindowMs + 3000)))
    await Promise.allSettled(pending)
    const simulatedMs = Date.now() - t0
    sample()

    progress(0, 1, 'collecting')
    const stats = await workerStats(workers, false)
    if (process.env.DCN_SIM_DEBUG !== undefined) log(JSON.stringify(stats))
    const pubReplies = await Promise.all(workers.map(async w => await ask<PublicationsReply>(w, { type: 'publications' }, 'publications')))
    // The rule for receivers holds for publishers too: a peer that has just joined may publish
    // before it has a subscribed neighbour (a provider's first heartbeat), and one that leaves
    // right after publishing takes unsent messages with it. Such messages are not counted.
    const inRun = pubReplies.flatMap(p => p.list).filter(p => p[2] - t0 <= scenario.durationMs && p[2] >= t0)
    const publications: Publication[] = inRun.filter(p => (startedAt.get(p[3]) ?? 0) <= p[2] - JOIN_GRACE_MS && (stoppedAt.get(p[3]) ?? Infinity) >= p[2] + DELIVERY_WINDOW_MS)
    if (publications.length < inRun.length) notes.push(`${inRun.length - publications.length} messages published by peers in their first ${JOIN_GRACE_MS / 1000} s up (before they had joined the mesh) or in their last ${DELIVERY_WINDOW_MS / 1000} s before leaving are not counted in delivery`)
    if (scenario.chain) notes.push('with a chain, orders are published by each deployment\'s own light client (without the emulated delay) and are not counted in delivery')
    const junk = pubReplies.flatMap(p => p.junk)
    const collected = await Promise.all(workers.map(async w => await ask<Collected>(w, { type: 'collect', publications, graceMs: JOIN_GRACE_MS, windowMs: DELIVERY_WINDOW_MS, junk } as { type: string }, 'collected')))
    progress(1, 1, 'collecting')

    const results: SimResults = {
      scenario,
      mode: 'emulation',
      wallMs: 0,
      simulatedMs,
      nodes: { started, peak },
      host: hostCpu.summary(),
      series: hostCpu.points.length === 0 ? [nodesSeries] : [nodesSeries, { name: 'host CPU busy', unit: '%', points: hostCpu.points }],
      notes
    }
    addDelivery(results, collected, t0, notes)
    addMatching(results, collected.flatMap(c => c.orders), t0, scenario, plan.peers.concat(plan.joins.map(j => j.peer)), up, notes)
    addAdversaries(results, scenario, pubReplies, collected, stats, notes)
    notes.push(...workerNotes(stats, startupMs, plan.workers))
    const host = results.host
    if (host !== undefined) notes.push(`host CPU busy ${(host.busy * 100).toFixed(0)} % of the run (all cores); ${host.saturatedSeconds} of ${host.seconds} seconds at ≥ 95 %${host.saturatedSeconds > 0 ? ' — latency in those seconds is largely waiting for a core' : ''}`)
    const noPeers = Object.entries(stats.reduce<Record<string, number>>((acc, st) => {
      for (const [k, v] of Object.entries(st)) if (k.startsWith('published_to_no_peers_total:') && v > 0) acc[k.split(':')[1]] = (acc[k.split(':')[1]] ?? 0) + v
      return acc
    }, {}))
    if (noPeers.length > 0) notes.push(`published to no peers at all (no subscribed neighbour at that moment; start-up included): ${noPeers.map(([k, v]) => `${v} ${k}`).join(', ')} — providers relay neither bids nor heartbeats, so theirs reach matchers only over a direct connection`)
    results.wallMs = Date.now() - wallStart
    return results
  } finally {
    await stopWorkers(workers, 10_000)
    await chain?.anvil.stop()
    if (root !== undefined) rmSync(root, { recursive: true, force: true })
  }
}


function addDelivery (results: SimResults, collected: Collected[], t0: number, notes: string[]): void {
  const expected: Record<string, number> = {}
  const delivered: Record<string, number> = {}
  const all: Histogram = {}
  const perTopic: Record<string, Histogram> = {}
  for (const c of collected) {
    for (const [t, n] of Object.entries(c.expected)) expected[t] = (expected[t] ?? 0) + n
    for (const [t, n] of Object.entries(c.delivered)) delivered[t] = (delivered[t] ?? 0) + n
    for (const [t, h] of Object.entries(c.latency)) {
      mergeInto(all, h)
      mergeInto(perTopic[t] ??= {}, h)
    }
  }
  const e = Object.values(expected).reduce((a, b) => a + b, 0)
  const d = Object.values(delivered).reduce((a, b) => a + b, 0)
  const latencyMs = summarise(all)
  const byTopic = Object.fromEntries(Object.keys(expected).sort().map(t => [t, { pairs: expected[t], delivered: delivered[t] ?? 0, p99Ms: summarise(perTopic[t] ?? {})?.p99 ?? NaN }]))
  if (e > 0 && latencyMs !== undefined) results.delivery = { ratio: d / e, latencyMs, byTopic }
  const missed = collected.flatMap(c => c.missed).slice(0, 5)
  if (missed.length > 0) notes.push(`undelivered pairs, e.g.: ${missed.map(([t, from, at, to, kind]) => `${t} from peer ${from} at +${((at - t0) / 1000).toFixed(1)} s to peer ${to} (${kind})`).join('; ')}`)
  for (const t of Object.keys(expected).sort()) {
    const s = summarise(perTopic[t] ?? {})
    notes.push(`gossip ${t}: ${delivered[t] ?? 0}/${expected[t]} (message, subscribed peer) pairs delivered (${((delivered[t] ?? 0) / expected[t] * 100).toFixed(2)}%)${s === undefined ? '' : `, latency p50 ${s.p50} ms, p99 ${s.p99} ms, max ${s.max} ms`}`)
  }
}

function addMatching (results: SimResults, orders: OrderOutcome[], t0: number, scenario: Scenario, planned: PlannedPeer[], up: Map<number, StartedPeer>, notes: string[]): void {
  const measured = orders.filter(o => o.publishedAt - t0 <= scenario.durationMs)
  if (measured.length === 0) return
  const unmatched: Record<string, number> = {}
  const latencies: Histogram = {}
  const perSecond = new Map<number, number>()
  let matched = 0
  for (const o of measured) {
    if (o.decidedAt === undefined) {
      unmatched['no decision'] = (unmatched['no decision'] ?? 0) + 1
      continue
    }
    mergeInto(latencies, { [Math.max(0, Math.round((o.decidedAt - o.bidDeadlineMs) * 10))]: 1 })
    if (o.bidder === undefined) {
      unmatched[o.reason ?? 'unknown'] = (unmatched[o.reason ?? 'unknown'] ?? 0) + 1
      continue
    }
    matched++
    const s = Math.floor((o.decidedAt - t0) / 1000)
    perSecond.set(s, (perSecond.get(s) ?? 0) + 1)
  }
  const last = Math.ceil(scenario.durationMs / 1000)
  const matchesPerSecond: Series = { name: 'matches per second', unit: 'matches/s', points: Array.from({ length: last + 1 }, (_, s) => [s * 1000, perSecond.get(s) ?? 0]) }
  if (scenario.chain) {
    const deployMs: Histogram = {}
    for (const o of measured) if (o.runningAt !== undefined) mergeInto(deployMs, { [Math.max(0, Math.round((o.runningAt - o.bidDeadlineMs) * 10))]: 1 })
    const failed = measured.filter(o => o.error !== undefined)
    results.leases = { attempted: measured.length, running: measured.filter(o => o.leased === true).length, failed: failed.length, deployMs: summarise(deployMs) }
    if (failed.length > 0) notes.push(`${failed.length} deployments failed, e.g.: ${failed[0].error ?? ''}`)
  }
  const latencyMs = summarise(latencies)
  if (latencyMs !== undefined) results.matching = { orders: measured.length, matched, unmatched, latencyMs, matchesPerSecond }
  results.series.push(matchesPerSecond)
  const dumperWallets = new Set([...up.values()].filter(p => planned[p.idx]?.dumper === true).map(p => p.wallet))
  const fraction = scenario.adversaries.priceDumpers.fraction
  if (fraction > 0 && matched > 0) {
    const won = measured.filter(o => o.bidder !== undefined && dumperWallets.has(o.bidder)).length
    notes.push(`price dumpers (${(fraction * 100).toFixed(0)}% of providers, pricing at ${scenario.adversaries.priceDumpers.factor}×) won ${won} of ${matched} matches (${(won / matched * 100).toFixed(1)}%)`)
  }
}

function addAdversaries (results: SimResults, scenario: Scenario, pubs: PublicationsReply[], collected: Collected[], stats: Array<Record<string, number>>, notes: string[]): void {
  const a = scenario.adversaries
  if (a.spammers.count === 0 && a.forgers.count === 0) return
  const spam = pubs.reduce((n, p) => n + p.junkCount.spamOrders, 0)
  const forged = pubs.reduce((n, p) => n + p.junkCount.forgedBids, 0)
  const failed = pubs.reduce((n, p) => n + p.junkCount.failed, 0)
  if (failed > 0) notes.push(`${failed} junk messages could not be published (the adversary had no peer left for the topic)`)
  const sum = (prefix: string): number => stats.reduce((n, st) => n + Object.entries(st).filter(([k]) => k.startsWith(prefix)).reduce((m, [, v]) => m + v, 0), 0)
  const accepted = collected.reduce((n, c) => n + c.junkAccepted, 0)
  const rejected = sum('messages_rejected_total:dcn/1/orders') + sum('messages_rejected_total:dcn/1/bids')
  results.junk = { published: spam + forged, rejected, acceptedByHonest: accepted }
  notes.push(`adversaries: ${spam} invalid orders from ${a.spammers.count} spammer(s) and ${forged} forged bids from ${a.forgers.count} forger(s) published; ` +
    `validators rejected ${sum('messages_rejected_total:dcn/1/orders')} order and ${sum('messages_rejected_total:dcn/1/bids')} bid messages (the rest never got past gossipsub's scoring once the sender went negative); ` +
    `${accepted} junk messages were accepted by an honest peer; ${sum('negativePeers')} peer links scored negative at the end`)
}

function workerNotes (stats: Array<Record<string, number>>, startupMs: number, workers: number): string[] {
  const lag = stats.map((st, i) => `w${i}: p50 ${st.loopDelayP50Ms.toFixed(0)} / p99 ${st.loopDelayP99Ms.toFixed(0)} / max ${st.loopDelayMaxMs.toFixed(0)} ms, ${st.peers} peers, ${st.rssMiB.toFixed(0)} MiB, ${st.cpuCores.toFixed(2)} cores`).join('; ')
  const [l1, l5] = loadavg()
  const cores = stats.reduce((n, st) => n + st.cpuCores, 0)
  const peers = stats.reduce((n, st) => n + st.peers, 0)
  return [
    `event-loop delay per worker during the run — ${lag}`,
    `the workers used ${cores.toFixed(2)} cores on average during the run (${(cores * 1000 / Math.max(1, peers)).toFixed(1)} ms of CPU per peer per second); ${stats.reduce((n, st) => n + st.rssMiB, 0).toFixed(0)} MiB resident in all; ${(stats.reduce((n, st) => n + (st.linksOpenedPerS ?? 0), 0) / 2).toFixed(1)} links opened per second (a Noise handshake each)`,
    `start-up and settling took ${(startupMs / 1000).toFixed(0)} s (not simulated time); ${workers} worker processes on ${cpus().length} cores; load average ${l1.toFixed(1)} (1 min) ${l5.toFixed(1)} (5 min) at the end — other work on this machine shows up as latency`
  ]
}
