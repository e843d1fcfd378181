/**
 * What an emulation run will do, worked out from the scenario and its seed before anything
 * starts: the peers (with their node configs), which worker hosts each, and the schedule of
 * order arrivals and churn over simulated time.
 */
import { parseAmount, perHourToPerSecond } from '@dcn/protocol'
import type { Scenario, WorkloadKind } from '../scenario/types.js'
import type { OrderSpecJson, PeerKind } from './messages.js'
import { rng, type Rng } from '../random.js'
import { poissonTimes, shuffled, weighted } from './random.js'

export interface PlannedPeer {
  idx: number
  kind: PeerKind
  worker: number
  config?: Record<string, unknown>
  /** A provider pricing at `adversaries.priceDumpers.factor`× its honest price. */
  dumper?: boolean
}

export interface PlannedOrder { atMs: number, user: number, kind: string, spec: OrderSpecJson }

export interface Plan {
  workers: number
  peers: PlannedPeer[]
  orders: PlannedOrder[]
  /** Providers leaving for good: which one is picked at the time, among those up. */
  leaves: number[]
  /** New providers joining: their (future) peer indices are `peers.length + k`. */
  joins: Array<{ atMs: number, peer: PlannedPeer }>
  rng: Rng
}

const REGIONS = ['eu-west', 'us-east', 'ap-south']
/** Peers per worker process: enough that start-up and gossip, not IPC, dominate. */
const PEERS_PER_WORKER = 60
/** Matchers beyond this many share the matchers' workers (a process each costs ~200 MiB). */
const MATCHER_WORKERS = 8

const fixed = (x: number, digits = 6): string => x.toFixed(digits)

export function providerConfig (i: number, scenario: Scenario, dumper: boolean, r: Rng): Record<string, unknown> {
  const factor = dumper ? scenario.adversaries.priceDumpers.factor : 1
  const cpuPerHour = (0.02 + r.next() * 0.08) * factor
  const gpu = i % 5 === 4 ? { units: 8, model: 'sim-gpu' } : undefined
  return {
    heartbeat: `${scenario.timing.heartbeatMs}ms`,
    provider: {
      region: REGIONS[i % REGIONS.length],
      tier: 1 + (i % 7),
      capacity: { cpu: '64', memory: '256Gi', storage: '2Ti', ...(gpu === undefined ? {} : { gpu }) },
      pricing: { strategy: 'scale', perHour: { cpu: fixed(cpuPerHour), memory: fixed(0.005 * factor), storage: fixed(0.0001 * factor), gpu: fixed(0.5 * factor) } }
    }
  }
}

export function orderSpec (kind: WorkloadKind, durationS: number): OrderSpecJson {
  return {
    resources: { cpu: kind.resources.cpu, memory: kind.resources.memory, storage: kind.resources.storage, gpuUnits: kind.resources.gpu, gpuModel: '' },
    minTrustTier: kind.minTrustTier,
    mode: kind.mode,
    maxPricePerSecond: perHourToPerSecond(parseAmount(kind.maxPricePerHour.toFixed(12))).toString(),
    duration: durationS
  }
}

export function makePlan (scenario: Scenario): Plan {
  const r = rng(scenario.seed, 'emulation plan')
  const n = scenario.nodes
  const a = scenario.adversaries
  const initial = n.matchers + n.providers + n.users + a.spammers.count + a.forgers.count
  // Each matcher has a worker process of its own, as it would have a machine of its own: the
  // kernel shares the cores out per process, and a matcher sharing a worker with 55 providers got
  // no more CPU than a worker of providers only, so on busy cores it decided seconds late. Users
  // and adversaries (light) join the matchers' workers; providers fill the others.
  const own = Math.min(n.matchers, MATCHER_WORKERS)
  const bulk = Math.max(own === 0 ? 2 : 1, Math.ceil((initial - own) / PEERS_PER_WORKER))
  const workers = own + bulk
  const peers: PlannedPeer[] = []
  for (let i = 0; i < n.matchers; i++) peers.push({ idx: peers.length, kind: 'matcher', worker: i % own, config: {} })
  const dumpers = new Set(shuffled([...Array(n.providers).keys()], r).slice(0, Math.round(a.priceDumpers.fraction * n.providers)))
  let nextBulk = 0
  const spread = (): number => own + nextBulk++ % bulk
  let nextLight = 0
  const light = (): number => own === 0 ? spread() : nextLight++ % own
  for (let i = 0; i < n.providers; i++) {
    peers.push({ idx: peers.length, kind: 'provider', worker: spread(), config: providerConfig(i, scenario, dumpers.has(i), r), dumper: dumpers.has(i) })
  }
  for (let i = 0; i < n.users; i++) peers.push({ idx: peers.length, kind: 'user', worker: light() })
  for (let i = 0; i < a.spammers.count; i++) peers.push({ idx: peers.length, kind: 'spammer', worker: light() })
  for (let i = 0; i < a.forgers.count; i++) peers.push({ idx: peers.length, kind: 'forger', worker: light() })

  const users = peers.filter(p => p.kind === 'user').map(p => p.idx)
  const w = scenario.workloads
  const orders: PlannedOrder[] = users.length === 0 || w.mix.length === 0
    ? []
    : poissonTimes(w.perMinute * 60, scenario.durationMs, r).map((atMs, k) => {
      const kind = w.mix[weighted(w.mix.map(m => m.weight), r)]
      const durationS = Math.round((w.durationMs.minMs + r.next() * (w.durationMs.maxMs - w.durationMs.minMs)) / 1000)
      return { atMs, user: users[k % users.length], kind: kind.name, spec: orderSpec(kind, Math.max(1, durationS)) }
    })
  const leaves = poissonTimes(scenario.churn.leavesPerHour, scenario.durationMs, r)
  const joins = poissonTimes(scenario.churn.joinsPerHour, scenario.durationMs, r).map((atMs, k) => {
    const i = n.providers + k
    const dumper = r.next() < a.priceDumpers.fraction
    return { atMs, peer: { idx: initial + k, kind: 'provider' as const, worker: spread(), config: providerConfig(i, scenario, dumper, r), dumper } }
  })
  return { workers, peers, orders, leaves, joins, rng: r }
}

/** What of the scenario this run cannot play, said rather than pretended. */
export function notEmulated (s: Scenario): string[] {
  const out: string[] = []
  const a = s.adversaries
  if (s.nodes.gateways > 0 || s.nodes.fizz > 0) {
    out.push(`not emulated: ${s.nodes.gateways} gateways and ${s.nodes.fizz} fizz nodes (NAT ${s.natFraction}) — the fizz role registers under its gateway on chain and runs leases and challenges on Docker; this emulation runs no fizz nodes${s.churn.fizzDisconnectsPerHour > 0 ? ', so no fizz disconnects either' : ''}`)
  }
  if (s.nodes.slarks > 0 || a.spoofers.fraction > 0 || a.lazySlarks.fraction > 0 || a.lyingSlarks.fraction > 0) {
    out.push('not emulated: slarks, challenges, capacity spoofers and lazy or lying slarks — proofs of capacity run real containers on Docker and verdicts go on chain; use model mode for detection')
  }
  if (s.chain) out.push('chain: anvil settles the market — providers register and stake, every order is a deployment (lease on chain, manifest to the winner, run on its simulated container runtime); eras and challenges need slarks and are not run')
  return out
}
