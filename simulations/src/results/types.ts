/**
 * What a run produces, in either mode: `results.json` is this object without `wallMs` (which
 * goes to `run.json`, so that the same seed gives byte-identical results); the CSV files are its
 * `series` and per-era tables; `report.html` plots it. Keys are stable: tests and researchers' scripts read them.
 * A figure a mode cannot measure is absent (never zero or made up).
 */
import type { Scenario } from '../scenario/types.js'

/** Sorted samples are summarised; the CDF keeps up to ~200 points for plotting. */
export interface Distribution {
  count: number
  p50: number
  p90: number
  p99: number
  max: number
  mean: number
  /** [value, fraction ≤ value] pairs, ascending. */
  cdf: Array<[number, number]>
}

/** What the host's cores did during an emulation (its nodes share them). */
export interface HostCpu {
  /** Share of all cores' time spent busy over the run (0…1). */
  busy: number
  /** Seconds in which the cores were at least 95 % busy, of `seconds` sampled. */
  saturatedSeconds: number
  seconds: number
}

/** A time series sampled on simulated time (ms since start). */
export interface Series {
  name: string
  unit: string
  points: Array<[number, number]>
}

export interface EraSummary {
  era: number
  /** Count of providers (incl. gateways and fizz) per tier 1…7 at the era's end; index 0 = tier 1. */
  tiers: number[]
  /** Rewards paid this era in whole tokens (floats: for plotting only). */
  rewards: { providers: number, slarks: number, fizz: number }
  slashed: number
}

export interface SimResults {
  scenario: Scenario
  mode: Scenario['mode']
  /** Wall-clock run time and simulated time. */
  wallMs: number
  simulatedMs: number
  nodes: { started: number, peak: number }
  /** Emulation on Linux: the host's cores during simulated time (emulated nodes share them). */
  host?: HostCpu
  /** Gossip delivery: share of (message, subscribed node) pairs delivered, and the latency of those delivered. */
  delivery?: {
    ratio: number
    latencyMs: Distribution
    /** Emulation: the same per gossip topic (pairs expected, delivered, their latency's p99). */
    byTopic?: Record<string, { pairs: number, delivered: number, p99Ms: number }>
  }
  /** Order → match, ms after the bid deadline. */
  matching?: { orders: number, matched: number, unmatched: Record<string, number>, latencyMs: Distribution, matchesPerSecond: Series }
  /** Challenges: spoofers caught and honest providers wrongly failed. */
  detection?: {
    challenges: number
    spoofers: number
    spoofersDetected: number
    /** spoofersDetected ÷ spoofers. */
    detectionRate: number
    /** Honest providers that failed at least one challenge ÷ honest providers challenged. */
    falsePositiveRate: number
    /** Eras from a spoofer's start to its first failed challenge. */
    erasToDetect?: Distribution
    /** Honest providers whose only failed challenges came while they were offline (no answer): not counted as false positives. */
    honestFailedOffline?: number
  }
  /** Emulation: junk the spammers and forgers published, what validators rejected, and what an honest peer accepted (should be 0). */
  junk?: { published: number, rejected: number, acceptedByHonest: number }
  /** Emulation with a chain: orders deployed as leases (created on anvil, manifest delivered, run on the simulated runtime); deployMs = running − bid deadline. */
  leases?: { attempted: number, running: number, failed: number, deployMs?: Distribution }
  eras?: EraSummary[]
  /** Per-provider total reward over the run (whole tokens), for the distribution plot. */
  rewards?: Distribution
  /** Per group of providers (honest, honest fizz, spoofers, price dumpers): leases won, lease income and liveness rewards over the run, whole tokens. */
  groups?: Array<{ name: string, providers: number, leasesWon: number, leaseIncome: Distribution, rewards: Distribution }>
  series: Series[]
  /** Things the run noticed (e.g. a worker's event loop lagging), shown in the report. */
  notes: string[]
}
