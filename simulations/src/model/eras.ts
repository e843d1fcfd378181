/**
 * An era's end: the metrics every slark would assemble (as `buildEraInput` does: committee
 * results → tasks, failed challenges and the majority's response times; heartbeats → offline
 * spans after the boot grace; leases → workloads; user ratings), the protocol's `computeEra`
 * with `explain: false`, and its results carried into the next era: histories, tiers, slashes,
 * slark tiers and the slarks' auto-delegations.
 *
 * Built directly rather than through `buildEraInput`, whose per-provider scan of all results is
 * O(providers × results). One difference, on purpose: `buildEraInput` gives slarks no response
 * samples, so every real slark misses its response criterion; the model gives each slark its
 * votes' times (see the run's notes).
 */
import {
  BOOT_GRACE_SECONDS
} from '@dcn/slark'
import {
  canChallenge, computeEra, type EraInput, type ProviderMetrics, type SlarkMetrics, type Span, type Workload
} from '@dcn/protocol'
import type { EraSummary } from '../results/types.js'
import { eraMs, type Ctx } from './context.js'
import { pruneLeases } from './market.js'
import { tokens, type Node } from './world.js'

/** Registry tier 0 does not occur here; every slark has one. */
export function rebuildPools (c: Ctx): void {
  c.pools = [1, 2, 3, 4, 5, 6, 7].map(pt => c.slarks.filter(s => canChallenge(s.tier, pt)).map(s => s.address))
}

const NONE: never[] = []
const NO_ATTRIBUTES = { compute: 0, storage: 0, gpu: 0, connectivity: 0, compliance: 0 }

function offlineSpans (n: Node, fromMs: number, toMs: number, eraSeconds: number): Span[] {
  const spans: Span[] = []
  const judgedFrom = Math.floor(n.registeredAt / 1000) + BOOT_GRACE_SECONDS - fromMs / 1000
  const push = (a: number, b: number): void => {
    a = Math.max(a, judgedFrom, 0)
    b = Math.min(b, eraSeconds)
    if (b <= a) return
    const last = spans[spans.length - 1]
    if (last !== undefined && a <= last.to) last.to = Math.max(last.to, b)
    else spans.push({ from: a, to: b })
  }
  for (const [a, b] of n.outages) {
    if (b <= fromMs || a >= toMs) continue
    push(Math.floor((a - fromMs) / 1000), Math.ceil((b - fromMs) / 1000))
  }
  if (n.leftAt !== null && n.leftAt < toMs) push(Math.floor((n.leftAt - fromMs) / 1000), eraSeconds)
  return spans
}

function workloads (n: Node, fromMs: number, eraSeconds: number): Workload[] {
  const out: Workload[] = []
  for (const l of n.leases) {
    const a = Math.max(0, Math.floor((l.start - fromMs) / 1000))
    const b = Math.min(eraSeconds, Math.floor((l.end - fromMs) / 1000))
    if (b > a) out.push({ from: a, to: b, feePerHour: l.pricePerSecond * 3600n })
  }
  return out
}

/** Computes era `era` (ending now) and applies it; returns its summary. */
export function settleEra (c: Ctx, era: number): EraSummary {
  const len = eraMs(c)
  const fromMs = era * len
  const toMs = fromMs + len
  const eraSeconds = len / 1000
  const members: Node[] = c.nodes.filter(n => n.registeredAt < toMs && (n.leftAt === null || n.leftAt >= fromMs))
  // each node's metrics object is reused era to era (computeEra keeps none of its input)
  const providers: ProviderMetrics[] = members.map(n => {
    const m = n.metrics ??= {
      address: n.address,
      stake: 0n,
      delegations: n.delegations,
      attributes: NO_ATTRIBUTES,
      tasks: { assigned: 0, completed: 0 },
      response: { count: 0, totalMs: 0 },
      ratings: { count: 0, sum: 0 },
      offline: NONE,
      workloads: NONE,
      failedChallenges: NONE,
      history: null
    }
    m.stake = n.stake
    m.delegations = n.delegations
    m.tasks.assigned = n.tasksAssigned
    m.tasks.completed = n.tasksCompleted
    m.response.count = n.responseCount
    m.response.totalMs = n.responseTotalMs
    m.ratings.count = n.ratingCount
    m.ratings.sum = n.ratingSum
    m.offline = n.outages.length === 0 && n.leftAt === null ? NONE : offlineSpans(n, fromMs, toMs, eraSeconds)
    m.workloads = n.leases.length === 0 ? NONE : workloads(n, fromMs, eraSeconds)
    m.failedChallenges = n.failedChallenges.length === 0 ? NONE : n.failedChallenges
    m.history = n.history ?? { tier: n.tier, promoteStreak: 0, demoteStreak: 0, offlineSeconds: 0, offlineSlashed: false, cooldownSeconds: 0 }
    return m
  })
  const slarks: SlarkMetrics[] = c.slarks.map(s => ({
    address: s.address,
    delegateTo: s.delegateTo,
    challenges: s.seated,
    agreed: s.agreed,
    response: { count: s.responseCount, totalMs: s.responseTotalMs },
    optIn: true,
    // an established slark starts from its registry tier, as a provider does
    history: s.history ?? { tier: s.tier, promoteStreak: 0, demoteStreak: 0 }
  }))
  const input: EraInput = { era, params: { ...c.params, eraSeconds, hourSeconds: c.slotSeconds }, providers, slarks }
  const report = computeEra(input, { explain: false })

  const tiers = [0, 0, 0, 0, 0, 0, 0]
  const rewards = { providers: 0, slarks: 0, fizz: 0 }
  let slashed = 0n
  // results come back sorted by address, as the inputs went in (compute addresses follow the index)
  const byAddr = new Map<string, Node>()
  if (report.providers.length !== members.length || report.providers.some((r, i) => r.address !== members[i].address)) {
    for (const n of members) byAddr.set(n.address, n)
  }
  report.providers.forEach((r, i) => {
    const n = byAddr.size === 0 ? members[i] : byAddr.get(r.address)!
    n.history = r.history
    n.tier = r.tierAfter
    if (r.slash > 0n) {
      n.stake = n.stake > r.slash ? n.stake - r.slash : 0n
      n.slashes++
      slashed += r.slash
    }
    const reward = tokens(r.reward)
    n.rewardTokens += reward
    if (n.kind === 'fizz') rewards.fizz += reward
    else {
      let toFizz = 0
      for (const s of r.shares) {
        const d = c.byAddress.get(s.account)
        if (d !== undefined && d.kind === 'fizz') { toFizz += tokens(s.amount); d.rewardTokens += tokens(s.amount) }
      }
      rewards.providers += reward - toFizz
      rewards.fizz += toFizz
    }
    if (n.leftAt === null) tiers[r.tierAfter - 1]++
    // the era's evidence starts afresh
    n.tasksAssigned = n.tasksCompleted = n.responseCount = n.responseTotalMs = n.ratingCount = n.ratingSum = 0
    if (n.failedChallenges.length > 0) n.failedChallenges = []
    pruneLeases(n, toMs)
    if (n.outages.length > 0 && n.outages[n.outages.length - 1][1] <= toMs) n.outages = []
  })
  report.slarks.forEach((r, i) => {
    const s = c.slarks[i]
    s.history = r.history
    s.tier = r.tierAfter
    rewards.slarks += tokens(r.reward)
    s.seated = s.agreed = s.responseCount = s.responseTotalMs = 0
    const to = c.byAddress.get(r.delegateTo)
    if (r.delegated > 0n && to !== undefined && to.leftAt === null) {
      const d = to.delegations.find(x => x.delegator === s.address)
      if (d !== undefined) d.amount += r.delegated
      else to.delegations.push({ delegator: s.address, amount: r.delegated })
    }
  })
  rebuildPools(c)
  restake(c)
  return { era, tiers, rewards: { providers: round(rewards.providers), slarks: round(rewards.slarks), fizz: round(rewards.fizz) }, slashed: round(tokens(slashed)) }
}

/** Each node's stake with delegations in tokens (for matchers' stake shares), and their sum. */
export function restake (c: Ctx): void {
  c.totalStakeTokens = 0
  for (const n of c.nodes) {
    let wei = n.stake
    for (const d of n.delegations) wei += d.amount
    n.stakeTokens = tokens(wei)
    if (n.leftAt === null) c.totalStakeTokens += n.stakeTokens
  }
}

const round = (x: number): number => Math.round(x * 1e6) / 1e6
