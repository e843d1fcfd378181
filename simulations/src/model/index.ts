/**
 * Model mode: a seeded discrete-event model of the network that drives the protocol's own
 * functions without sockets — `selectWinner` for every order (market.ts), the slarks' schedule,
 * committee draw, challenge spec and majority for every challenge (challenges.ts), and
 * `computeEra` at every era's end with the histories carried on (eras.ts).
 *
 * Time advances slot by slot; between slot starts an event queue runs orders, matches, lease
 * ends, fizz disconnects, joins and leaves in time order. Everything random comes from the
 * scenario's seed (prng.ts), results hold no wall-clock time, and every collection is walked in
 * a seed-determined order: the same seed gives byte-identical results.
 */
import { DEFAULT_ERA_PARAMS, type Address } from '@dcn/protocol'
import type { Scenario } from '../scenario/types.js'
import type { SimResults } from '../results/types.js'
import { distribution, series } from '../results/stats.js'
import { runSlot, type SlotState } from './challenges.js'
import { eraMs, type Ctx, type ModelEvent } from './context.js'
import { rebuildPools, restake, settleEra } from './eras.js'
import { hopSumSampler, latencySampler } from '../latency.js'
import { BIDDERS_PER_ORDER, endLease, onMatch, onOrder, scheduleNextOrder } from './market.js'
import { rng } from '../random.js'
import { EventQueue } from './queue.js'
import { FIZZ_DELEGATION, assignRoles, makeNode, makeSlark, type Kind, type Node } from './world.js'

export interface ModelOptions {
  onProgress?: (done: number, total: number, label: string) => void
  log?: (line: string) => void
}

/** Unix seconds of the model's slot-clock genesis: a fixed date, so results never depend on today. */
const GENESIS = 1_767_225_600

export async function runModel (s: Scenario, opts: ModelOptions = {}): Promise<SimResults> {
  const c = setup(s)
  const slots = Math.floor(s.durationMs / s.timing.slotMs)
  const eras = Math.floor(slots / s.timing.eraSlots)
  const st: SlotState = { plan: null, challenged: new Set() }
  const summaries: SimResults['eras'] = []
  const samples = { leases: [] as Array<[number, number]>, online: [] as Array<[number, number]>, detected: [] as Array<[number, number]> }
  scheduleNextOrder(c)
  scheduleChurn(c)
  let lastYield = 0
  for (let slot = 0; slot <= slots; slot++) {
    const t = Math.min(slot * s.timing.slotMs, s.durationMs)
    drain(c, t)
    c.now = t
    if (slot > 0 && slot % s.timing.eraSlots === 0 && slot / s.timing.eraSlots <= eras) summaries.push(settleEra(c, slot / s.timing.eraSlots - 1))
    sample(c, samples, t)
    if (slot === slots) break
    runSlot(c, st, slot)
    opts.onProgress?.(slot + 1, slots, `slot ${slot + 1}/${slots}, era ${Math.floor(slot / s.timing.eraSlots) + 1}/${Math.max(eras, 1)}`)
    // let a progress bar (and signals) through now and then
    if (slot - lastYield >= 24) { lastYield = slot; await new Promise(resolve => setImmediate(resolve)) }
  }
  drain(c, s.durationMs)
  c.now = s.durationMs
  if (slots === 0) opts.onProgress?.(1, 1, 'shorter than a slot')
  return results(c, summaries, samples, eras, slots)
}

function setup (s: Scenario): Ctx {
  const r = {
    setup: rng(s.seed, 'setup'),
    orders: rng(s.seed, 'orders'),
    churn: rng(s.seed, 'churn'),
    latency: rng(s.seed, 'latency'),
    chain: rng(s.seed, 'chain'),
    ratings: rng(s.seed, 'ratings')
  }
  const total = s.nodes.providers + s.nodes.gateways + s.nodes.fizz + s.nodes.slarks + s.nodes.matchers + s.nodes.users
  const c: Ctx = {
    s,
    queue: new EventQueue<ModelEvent>(),
    rng: r,
    hop: latencySampler(s.latency, r.latency),
    bidTravel: () => 0,
    roundTrip: [() => 0, () => 0],
    hops: Math.max(1, Math.ceil(Math.log(Math.max(2, total)) / Math.log(6))),
    nodes: [],
    byAddress: new Map(),
    dc: [],
    fizz: [],
    gateways: [],
    slarks: [],
    pools: [],
    slarkByAddress: new Map(),
    params: { ...DEFAULT_ERA_PARAMS },
    genesis: GENESIS,
    slotSeconds: s.timing.slotMs / 1000,
    totalStakeTokens: 0,
    now: 0,
    matchLatencies: [],
    matchTimes: [],
    orders: 0,
    matched: 0,
    unmatched: {},
    lateBids: 0,
    challenges: 0,
    noQuorum: 0,
    noCommittee: 0,
    detectionEras: [],
    activeLeases: 0,
    peak: 0,
    started: 0
  }
  const computeCount = s.nodes.providers + s.nodes.gateways + s.nodes.fizz
  const a = s.adversaries
  const roles = assignRoles(r.setup, computeCount, [['spoofer', a.spoofers.fraction], ['dumper', a.priceDumpers.fraction]], 'honest')
  c.bidTravel = hopSumSampler(c.hop, 2 * c.hops, r.latency)
  c.roundTrip = [hopSumSampler(c.hop, 2, r.latency), hopSumSampler(c.hop, 4, r.latency)]
  const add = (kind: Kind, gateway: Node | null, at: number, joined: boolean): Node => {
    const n = makeNode(s, r.setup, c.nodes.length, { kind, gateway, at, joined, role: roles[c.nodes.length] })
    c.nodes.push(n)
    c.byAddress.set(n.address, n)
    if (kind === 'fizz') {
      n.pos = c.fizz.length
      c.fizz.push(n)
      gateway!.delegations.push({ delegator: n.address, amount: FIZZ_DELEGATION })
    } else {
      n.pos = c.dc.length
      c.dc.push(n)
    }
    if (kind === 'gateway') c.gateways.push(n)
    return n
  }
  // initial nodes registered a day before the start: the first epoch plans them as established
  const before = -86_400_000
  for (let i = 0; i < s.nodes.providers; i++) add('provider', null, before, false)
  for (let i = 0; i < s.nodes.gateways; i++) add('gateway', null, before, false)
  for (let i = 0; i < s.nodes.fizz; i++) add('fizz', c.gateways[i % c.gateways.length], before, false)
  const dcAddresses: Address[] = c.dc.map(n => n.address)
  const slarkRoles = assignRoles(r.setup, s.nodes.slarks, [['lazy', a.lazySlarks.fraction], ['lying', a.lyingSlarks.fraction]], 'honest')
  for (let i = 0; i < s.nodes.slarks; i++) {
    const sl = makeSlark(i, slarkRoles[i], dcAddresses.length === 0 ? c.nodes[0].address : dcAddresses[r.setup.int(dcAddresses.length)])
    c.slarks.push(sl)
    c.slarkByAddress.set(sl.address, sl)
  }
  rebuildPools(c)
  restake(c)
  c.started = c.nodes.length + s.nodes.slarks + s.nodes.matchers + s.nodes.users
  c.peak = c.started
  return c
}

/** Poisson processes of the whole network: fizz disconnects, joins, leaves. */
function scheduleChurn (c: Ctx, only?: 'disconnect' | 'join' | 'leave'): void {
  const ch = c.s.churn
  const r = c.rng.churn
  const hour = 3_600_000
  const rate = { disconnect: ch.fizzDisconnectsPerHour * c.fizz.length, join: ch.joinsPerHour, leave: ch.leavesPerHour }
  for (const type of ['disconnect', 'join', 'leave'] as const) {
    if (only !== undefined && only !== type) continue
    if (rate[type] > 0) c.queue.push(c.now + r.exp(hour / rate[type]), { type })
  }
}

/** Runs every event before `until`. */
function drain (c: Ctx, until: number): void {
  while (c.queue.peek() < until) {
    const e = c.queue.pop()!
    c.now = e.at
    const d = e.data
    switch (d.type) {
      case 'order': onOrder(c); break
      case 'match': onMatch(c, d.order); break
      case 'lease-end': endLease(c, d.lease, c.now); break
      case 'disconnect': disconnect(c); scheduleChurn(c, 'disconnect'); break
      case 'join': join(c); scheduleChurn(c, 'join'); break
      case 'leave': leave(c); scheduleChurn(c, 'leave'); break
    }
  }
}

function disconnect (c: Ctx): void {
  if (c.fizz.length === 0) return
  const r = c.rng.churn
  const n = c.fizz[r.int(c.fizz.length)]
  if (n.offlineUntil > c.now) return
  const down = c.s.churn.fizzDowntimeMs
  n.offlineUntil = c.now + down
  n.lastOutageEnd = n.offlineUntil
  // heartbeats show it (observer.ts): offline from one interval after the last beat to the first
  // beat after it is back, when that gap is longer than MISSED_BEATS (3) intervals
  const hb = c.s.timing.heartbeatMs
  const lastBeat = c.now - r.next() * hb
  if (n.offlineUntil - lastBeat > 3 * hb) n.outages.push([lastBeat + hb, n.offlineUntil])
}

function join (c: Ctx): void {
  const r = c.rng.churn
  const asFizz = c.gateways.length > 0 && r.next() < c.s.natFraction
  const gateway = asFizz ? c.gateways[r.int(c.gateways.length)] : null
  const n = makeNode(c.s, c.rng.setup, c.nodes.length, { kind: asFizz ? 'fizz' : 'provider', gateway, at: c.now, joined: true })
  c.nodes.push(n)
  c.byAddress.set(n.address, n)
  const list = asFizz ? c.fizz : c.dc
  n.pos = list.length
  list.push(n)
  if (asFizz) gateway!.delegations.push({ delegator: n.address, amount: FIZZ_DELEGATION })
  c.started++
}

/** A provider or fizz node leaves for good (gateways stay: their subnets depend on them). */
function leave (c: Ctx): void {
  const r = c.rng.churn
  const candidates = c.dc.length - c.gateways.length + c.fizz.length
  if (candidates <= 1) return
  // draw among fizz nodes and providers (gateways, which dc also holds, are skipped by redrawing)
  let n: Node
  do {
    const i = r.int(c.dc.length + c.fizz.length)
    n = i < c.fizz.length ? c.fizz[i] : c.dc[i - c.fizz.length]
  } while (n.kind === 'gateway')
  n.leftAt = c.now
  for (const l of n.leases) if (!l.closed) endLease(c, l, c.now)
  removeFrom(n.kind === 'fizz' ? c.fizz : c.dc, n)
}

/** Swap-remove through the node's position (kept in `pos`): O(1). */
function removeFrom (list: Node[], n: Node): void {
  const last = list.pop()!
  if (last !== n) {
    list[n.pos] = last
    last.pos = n.pos
  }
}

function sample (c: Ctx, s: { leases: Array<[number, number]>, online: Array<[number, number]>, detected: Array<[number, number]> }, t: number): void {
  // only fizz nodes disconnect in the model; data-centre nodes are online until they leave
  let online = c.dc.length
  for (const n of c.fizz) if (t >= n.offlineUntil) online++
  const live = c.dc.length + c.fizz.length + c.slarks.length + c.s.nodes.matchers + c.s.nodes.users
  c.peak = Math.max(c.peak, live)
  s.leases.push([t, c.activeLeases])
  s.online.push([t, online])
  s.detected.push([t, c.detectionEras.length])
}

function results (c: Ctx, eras: NonNullable<SimResults['eras']>, smp: { leases: Array<[number, number]>, online: Array<[number, number]>, detected: Array<[number, number]> }, eraCount: number, slots: number): SimResults {
  const s = c.s
  const spoofers = c.nodes.filter(n => n.spoofer)
  const honest = c.nodes.filter(n => !n.spoofer)
  const honestChallenged = honest.filter(n => n.challenged)
  const detected = spoofers.filter(n => n.detectedAt !== null).length
  // matches per second, in ~100 buckets (at least a second each)
  const bucket = Math.max(1000, Math.ceil(s.durationMs / 100 / 1000) * 1000)
  const counts = new Array<number>(Math.ceil(s.durationMs / bucket)).fill(0)
  for (const t of c.matchTimes) counts[Math.min(counts.length - 1, Math.floor(t / bucket))]++
  const matchesPerSecond = series('matches-per-second', 'matches/s', counts.map((n, i) => [i * bucket, n / (bucket / 1000)]))
  const group = (name: string, members: Node[]): NonNullable<SimResults['groups']>[number] => ({
    name,
    providers: members.length,
    leasesWon: members.reduce((a, n) => a + n.leasesWon, 0),
    leaseIncome: distribution(members.map(n => n.incomeTokens)),
    rewards: distribution(members.map(n => n.rewardTokens))
  })
  const notes = [
    `model mode: ${c.nodes.length} compute nodes (${s.nodes.providers} providers, ${s.nodes.gateways} gateways, ${s.nodes.fizz} fizz at the start), ${s.nodes.slarks} slarks, ${slots} slots of ${s.timing.slotMs / 1000} s, ${eraCount} eras of ${s.timing.eraSlots} slots.`,
    `sampled: each order reaches ${BIDDERS_PER_ORDER} candidate bidders drawn from the nodes of its mode (not every provider); the winner is the best of those by selectWinner. Multi-hop delays (a bid's 2 × ${c.hops} hops, a challenge's round trip) are drawn from tables of 8192 exact sums of one-hop draws.`,
    'assumed (not in the scenario): node capacities, per-unit prices, initial tiers and stakes — see simulations/src/model/world.ts; slarks start at tier 6, committees of 3.',
    'gossip is not simulated: delivery is not measured, and spammers and forgers (which act on gossip validation) have no effect in model mode — use emulation mode for them.',
    'slark response times are their votes\' times here; the network\'s buildEraInput gives slarks no response samples, so real slarks miss the response criterion of every tier.'
  ]
  if (c.noQuorum > 0) notes.push(`${c.noQuorum} challenges found no majority (lazy or lying slarks) and put no result on chain.`)
  if (c.noCommittee > 0) notes.push(`${c.noCommittee} challenges had no eligible slark for the provider's tier and did not happen.`)
  if (c.lateBids > 0) notes.push(`${c.lateBids} bids reached the matcher after the bid deadline (latency) and were not counted.`)
  if (s.chain) notes.push('chain: true has no effect in model mode (settlement is modelled, not run on a chain).')
  if (eraCount === 0) notes.push(`the run is shorter than one era (${eraMs(c) / 1000} s): no era was settled.`)
  const out: SimResults = {
    scenario: s,
    mode: 'model',
    wallMs: 0,
    simulatedMs: s.durationMs,
    nodes: { started: c.started, peak: c.peak },
    matching: {
      orders: c.orders,
      matched: c.matched,
      unmatched: sortedRecord(c.unmatched),
      latencyMs: distribution(c.matchLatencies),
      matchesPerSecond
    },
    detection: {
      challenges: c.challenges,
      spoofers: spoofers.length,
      spoofersDetected: detected,
      detectionRate: spoofers.length === 0 ? 0 : detected / spoofers.length,
      falsePositiveRate: honestChallenged.length === 0 ? 0 : honestChallenged.filter(n => n.failedOnline).length / honestChallenged.length,
      erasToDetect: c.detectionEras.length === 0 ? undefined : distribution(c.detectionEras),
      honestFailedOffline: honestChallenged.filter(n => n.failedOffline && !n.failedOnline).length
    },
    eras,
    rewards: distribution(c.nodes.map(n => n.rewardTokens)),
    groups: [
      group('honest', c.nodes.filter(n => !n.spoofer && !n.dumper && n.kind !== 'fizz')),
      group('honest fizz', c.nodes.filter(n => !n.spoofer && !n.dumper && n.kind === 'fizz')),
      group('spoofers', spoofers),
      group('price dumpers', c.nodes.filter(n => n.dumper))
    ].filter(g => g.providers > 0),
    series: [
      matchesPerSecond,
      series('active-leases', 'leases', smp.leases),
      series('online-compute-nodes', 'nodes', smp.online),
      series('spoofers-detected', 'providers', smp.detected)
    ],
    notes
  }
  if (out.detection !== undefined && out.detection.erasToDetect === undefined) delete out.detection.erasToDetect
  return out
}

function sortedRecord (r: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.keys(r).sort().map(k => [k, r[k]]))
}
