/**
 * The model's world: compute nodes (providers, gateways, fizz nodes), slarks and what each
 * carries between events and eras. What the scenario does not say is drawn here from the
 * setup stream, with these assumptions (stated in every run's notes):
 * - capacity: data-centre nodes 16–128 cores with 4 GiB and 50 GiB of disk per core, one in ten
 *   with 1–8 GPUs; fizz nodes 4–8 cores, 8–16 GiB, 100–500 GiB, no GPU;
 * - prices per hour: 0.02/core, 0.005/GiB memory, 0.0001/GiB disk, 1/GPU, times a per-node
 *   factor in [0.7, 1.3] (fizz nodes ×0.6); price dumpers bid at the scenario's factor of that;
 * - initial trust tiers uniform over 1–7 (fizz 3–7) with a stake 5–60 % above their tier's
 *   threshold; nodes joining later start at tier 7 with the tier-6 stake; each fizz node
 *   delegates 10 SPON to its gateway (SPEC.md); slarks start at tier 6 and auto-delegate to a
 *   random data-centre provider.
 */
import { DEFAULT_STAKE_THRESHOLDS, parseAmount, type Address, type ProviderHistory, type ProviderMetrics, type SlarkHistory } from '@dcn/protocol'
import type { Scenario } from '../scenario/types.js'
import type { Rng } from '../random.js'

export type Kind = 'provider' | 'gateway' | 'fizz'

export interface Res { cpu: number, memory: number, storage: number, gpuUnits: number }

export interface Lease {
  node: Node
  resources: Res
  pricePerSecond: bigint
  /** Simulated ms. */
  start: number
  end: number
  /** The node was already short of real capacity when it took the lease (a spoofer overcommitting). */
  overcommitted: boolean
  closed: boolean
}

export interface Node {
  index: number
  address: Address
  kind: Kind
  /** Position in the context's dc or fizz list (swap-removal when it leaves). */
  pos: number
  /** A fizz node's gateway. */
  gateway: Node | null
  region: string
  real: Res
  registered: Res
  inUse: Res
  /** Per-hour price multiplier (dumpers' factor included). */
  priceFactor: number
  spoofer: boolean
  dumper: boolean
  /** Simulated ms; initial nodes registered before the start (negative). */
  registeredAt: number
  leftAt: number | null
  /** Offline (disconnected) until this simulated ms. */
  offlineUntil: number
  /** Offline stretches as heartbeats show them: [from, to) in simulated ms, sorted. */
  outages: Array<[number, number]>
  lastOutageEnd: number
  tier: number
  stake: bigint
  delegations: Array<{ delegator: Address, amount: bigint }>
  /** stake + delegations in tokens as of the last era (matchers' stake share). */
  stakeTokens: number
  history: ProviderHistory | null
  slashes: number
  /** Ratings ≤ 2 so far: "reported" providers are challenged first in an epoch. */
  reports: number
  feedbackCount: number
  feedbackSum: number
  leases: Lease[]
  /** The era input's entry for it, reused era to era (eras.ts). */
  metrics?: ProviderMetrics
  // this era's evidence
  tasksAssigned: number
  tasksCompleted: number
  responseCount: number
  responseTotalMs: number
  failedChallenges: number[]
  ratingCount: number
  ratingSum: number
  // over the run
  rewardTokens: number
  incomeTokens: number
  leasesWon: number
  challenged: boolean
  failedOnline: boolean
  failedOffline: boolean
  detectedAt: number | null
}

export interface Slark {
  index: number
  address: Address
  lazy: boolean
  lying: boolean
  tier: number
  history: SlarkHistory | null
  delegateTo: Address
  seated: number
  agreed: number
  responseCount: number
  responseTotalMs: number
}

export const REGIONS = ['eu-west', 'us-east', 'ap-south'] as const
const GiB = 2 ** 30
const SPON = parseAmount('1')

export const computeAddress = (i: number): Address => `0x${(i + 1).toString(16).padStart(40, '0')}`
export const slarkAddress = (i: number): Address => `0xf${(i + 1).toString(16).padStart(39, '0')}`
export const userAddress = (i: number): Address => `0xe${(i + 1).toString(16).padStart(39, '0')}`

/** A compute node by address: its index is in the address (computeAddress), so no hash lookup (a cache miss at 100k nodes). */
export function nodeOf (c: { nodes: Node[], byAddress: Map<Address, Node> }, address: Address): Node | undefined {
  const n = c.nodes[parseInt(address.slice(28), 16) - 1]
  return n !== undefined && n.address === address ? n : c.byAddress.get(address)
}

export const zero = (): Res => ({ cpu: 0, memory: 0, storage: 0, gpuUnits: 0 })

export interface NewNode {
  kind: Kind
  gateway: Node | null
  at: number
  joined: boolean
  /** Whether it spoofs or dumps prices; for joiners drawn from the scenario's fractions. */
  role?: 'spoofer' | 'dumper' | 'honest'
}

/** A compute node with the assumptions above. */
export function makeNode (s: Scenario, r: Rng, index: number, n: NewNode): Node {
  const fizz = n.kind === 'fizz'
  const cores = fizz ? 4 + 4 * r.int(2) : 16 * 2 ** r.int(4)
  const real: Res = fizz
    ? { cpu: cores * 1000, memory: (8 + 8 * r.int(2)) * GiB, storage: (100 + 100 * r.int(5)) * GiB, gpuUnits: 0 }
    : { cpu: cores * 1000, memory: cores * 4 * GiB, storage: cores * 50 * GiB, gpuUnits: r.next() < 0.1 ? 1 + r.int(8) : 0 }
  const a = s.adversaries
  const roll = r.next()
  const role = n.role ?? (roll < a.spoofers.fraction ? 'spoofer' : roll < a.spoofers.fraction + a.priceDumpers.fraction ? 'dumper' : 'honest')
  const spoofer = role === 'spoofer'
  const dumper = role === 'dumper'
  const f = spoofer ? a.spoofers.factor : 1
  const registered: Res = { cpu: Math.floor(real.cpu * f), memory: Math.floor(real.memory * f), storage: Math.floor(real.storage * f), gpuUnits: Math.floor(real.gpuUnits * f) }
  const tier = n.joined ? 7 : fizz ? 3 + r.int(5) : 1 + r.int(7)
  const threshold = DEFAULT_STAKE_THRESHOLDS[n.joined ? 5 : tier - 1]
  const stake = threshold * BigInt(105 + r.int(56)) / 100n
  const priceFactor = (0.7 + 0.6 * r.next()) * (fizz ? 0.6 : 1) * (dumper ? a.priceDumpers.factor : 1)
  return {
    index,
    address: computeAddress(index),
    kind: n.kind,
    pos: -1,
    gateway: n.gateway,
    region: REGIONS[r.int(REGIONS.length)],
    real,
    registered,
    inUse: zero(),
    priceFactor,
    spoofer,
    dumper,
    registeredAt: n.at,
    leftAt: null,
    offlineUntil: -Infinity,
    outages: [],
    lastOutageEnd: -Infinity,
    tier,
    stake,
    delegations: [],
    stakeTokens: tokens(stake),
    history: null,
    slashes: 0,
    reports: 0,
    feedbackCount: 0,
    feedbackSum: 0,
    leases: [],
    tasksAssigned: 0,
    tasksCompleted: 0,
    responseCount: 0,
    responseTotalMs: 0,
    failedChallenges: [],
    ratingCount: 0,
    ratingSum: 0,
    rewardTokens: 0,
    incomeTokens: 0,
    leasesWon: 0,
    challenged: false,
    failedOnline: false,
    failedOffline: false,
    detectedAt: null
  }
}

/** The SPEC's delegation of a fizz node to its gateway. */
export const FIZZ_DELEGATION = 10n * SPON

export function makeSlark (index: number, role: 'lazy' | 'lying' | 'honest', delegateTo: Address): Slark {
  const lazy = role === 'lazy'
  const lying = role === 'lying'
  return { index, address: slarkAddress(index), lazy, lying, tier: 6, history: null, delegateTo, seated: 0, agreed: 0, responseCount: 0, responseTotalMs: 0 }
}

/**
 * Exact counts of each role among n (round(fraction × n) each, the rest honest), placed by a
 * seeded shuffle: "one cheater among 1000" is exactly one.
 */
export function assignRoles<R extends string> (r: Rng, n: number, fractions: Array<[R, number]>, rest: R): R[] {
  const roles = new Array<R>(n).fill(rest)
  let k = 0
  for (const [role, f] of fractions) for (let c = Math.round(f * n); c > 0 && k < n; c--) roles[k++] = role
  for (let i = n - 1; i > 0; i--) {
    const j = r.int(i + 1)
    ;[roles[i], roles[j]] = [roles[j], roles[i]]
  }
  return roles
}

/** The scale pricing of SPEC.md: per-unit prices per hour, in wei per second. */
export function priceOf (node: Node, need: Res): bigint {
  const perHour = (need.cpu / 1000 * 0.02 + need.memory / GiB * 0.005 + need.storage / GiB * 0.0001 + need.gpuUnits * 1) * node.priceFactor
  // micro-tokens first so the bigint is exact and the same on every run
  return BigInt(Math.round(perHour * 1e6)) * 10n ** 12n / 3600n
}

export const fits = (need: Res, free: Res): boolean =>
  need.cpu <= free.cpu && need.memory <= free.memory && need.storage <= free.storage && need.gpuUnits <= free.gpuUnits

export const minus = (a: Res, b: Res): Res => ({ cpu: a.cpu - b.cpu, memory: a.memory - b.memory, storage: a.storage - b.storage, gpuUnits: a.gpuUnits - b.gpuUnits })

export function add (into: Res, b: Res, sign: 1 | -1): void {
  into.cpu += sign * b.cpu
  into.memory += sign * b.memory
  into.storage += sign * b.storage
  into.gpuUnits += sign * b.gpuUnits
}

/** Wei → whole tokens as a double (plots, distributions and stake shares only; the same on every run). */
export const tokens = (wei: bigint): number => Number(wei) / 1e18

export const isOnline = (n: Node, at: number): boolean => n.leftAt === null && at >= n.offlineUntil
