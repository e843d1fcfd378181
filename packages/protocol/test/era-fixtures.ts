/** Builders for the era tests: a provider that meets tier 1 on everything but stake, unless told otherwise. */
import {
  DEFAULT_ERA_PARAMS, computeEra, parseAmount,
  type Address, type EraInput, type EraParams, type EraReport, type ProviderHistory, type ProviderMetrics, type SlarkHistory, type SlarkMetrics
} from '../src/index.js'

export const SPON = parseAmount('1')
export const spon = (s: string): bigint => parseAmount(s)
export const HOUR = 3600
export const DAY = 86_400

/** 0x000…0n: addresses that sort in numeric order. */
export const addr = (n: number): Address => `0x${n.toString(16).padStart(40, '0')}`

export function params (over: Partial<EraParams> = {}): EraParams {
  return { ...DEFAULT_ERA_PARAMS, ...over }
}

export function history (tier: number, over: Partial<ProviderHistory> = {}): ProviderHistory {
  return { tier, promoteStreak: 0, demoteStreak: 0, offlineSeconds: 0, offlineSlashed: false, cooldownSeconds: 0, ...over }
}

/** Online all era, every task done, 50 ms answers, stake 1000 SPON: meets tier 1. */
export function provider (n: number, over: Partial<ProviderMetrics> = {}): ProviderMetrics {
  return {
    address: addr(n),
    stake: 1000n * SPON,
    delegations: [],
    attributes: { compute: 0, storage: 0, gpu: 0, connectivity: 0, compliance: 0 },
    tasks: { assigned: 100, completed: 100 },
    response: { count: 100, totalMs: 5000 },
    ratings: { count: 0, sum: 0 },
    offline: [],
    workloads: [],
    failedChallenges: [],
    history: null,
    ...over
  }
}

/** Metrics that meet `tier` (and every worse one) but not the tier above, stake included. */
export function meeting (tier: number): Partial<ProviderMetrics> {
  const uptimePct = [99.5, 98.5, 97.5, 96, 92, 87, 80][tier - 1]
  const completed = [99, 97, 95, 92, 87, 82, 77][tier - 1]
  const response = [90, 140, 190, 240, 290, 390, 490][tier - 1]
  const stake = [600, 450, 350, 250, 175, 125, 75][tier - 1]
  const down = Math.round(DAY * (100 - uptimePct) / 100)
  return {
    stake: BigInt(stake) * SPON,
    tasks: { assigned: 100, completed },
    response: { count: 10, totalMs: response * 10 },
    // the downtime as one stretch from the era's start (tiers 5–7 are down for over an hour: slashed)
    offline: down === 0 ? [] : [{ from: 0, to: down }]
  }
}

export function slark (n: number, over: Partial<SlarkMetrics> = {}): SlarkMetrics {
  return {
    address: addr(0x5000 + n),
    delegateTo: addr(1),
    challenges: 100,
    agreed: 100,
    response: { count: 100, totalMs: 5000 },
    optIn: false,
    history: null,
    ...over
  }
}

export function slarkHistory (tier: number, over: Partial<SlarkHistory> = {}): SlarkHistory {
  return { tier, promoteStreak: 0, demoteStreak: 0, ...over }
}

export function input (providers: ProviderMetrics[], slarks: SlarkMetrics[] = [], over: Partial<EraParams> = {}, era = 1): EraInput {
  return { era, params: params(over), providers, slarks }
}

/** Runs `eras` eras of the same metrics, carrying each provider's and slark's history. */
export function runEras (eras: number, providers: ProviderMetrics[], slarks: SlarkMetrics[] = [], over: Partial<EraParams> = {}): EraReport[] {
  const reports: EraReport[] = []
  for (let e = 0; e < eras; e++) {
    const prev = reports[reports.length - 1]
    const ps = providers.map(p => ({ ...p, history: prev?.providers.find(r => r.address === p.address)?.history ?? p.history }))
    const ss = slarks.map(s => ({ ...s, history: prev?.slarks.find(r => r.address === s.address)?.history ?? s.history }))
    reports.push(computeEra(input(ps, ss, over, e + 1)))
  }
  return reports
}
