/**
 * A simulation scenario: what a researcher writes in YAML (see `simulations/scenarios/`).
 * `parseScenario` (scenario/parse.ts) validates a file into this shape with every default
 * filled in; both modes read only this.
 *
 * Times in the YAML are durations ('90s', '2h', '500ms'); here they are milliseconds.
 * Fractions are in [0, 1].
 */

export type SimMode = 'model' | 'emulation'

/** One-way delay between two nodes, drawn per message (emulation) or per hop (model). */
export type LatencyDistribution =
  | { kind: 'constant', ms: number }
  | { kind: 'uniform', minMs: number, maxMs: number }
  | { kind: 'normal', meanMs: number, stddevMs: number }
  /** Log-normal given by its median and the 99th percentile: WAN-like long tails. */
  | { kind: 'lognormal', medianMs: number, p99Ms: number }

export interface NodeCounts {
  /** Data-centre providers (publicly reachable). */
  providers: number
  /** Gateways (providers that also front a subnet of fizz nodes). */
  gateways: number
  /** Fizz nodes, spread evenly over the gateways. */
  fizz: number
  slarks: number
  matchers: number
  /** Users publishing orders (workloads are spread over them). */
  users: number
}

export interface Churn {
  /** New providers joining per simulated hour (they register and are challenged as newcomers). */
  joinsPerHour: number
  /** Providers leaving for good per simulated hour. */
  leavesPerHour: number
  /** Each fizz node's disconnects per simulated hour (home links dropping). */
  fizzDisconnectsPerHour: number
  /** How long a fizz disconnect lasts. */
  fizzDowntimeMs: number
}

export interface Adversaries {
  /** Providers claiming `factor`× their real capacity (fail a challenge when its spec exceeds the real capacity). */
  spoofers: { fraction: number, factor: number }
  /** Slarks that do not take part in committees (no verdict, no vote). */
  lazySlarks: { fraction: number }
  /** Slarks that vote the opposite of the truth. */
  lyingSlarks: { fraction: number }
  /** Peers flooding gossip with invalid orders, `perSecond` each. */
  spammers: { count: number, perSecond: number }
  /** Peers publishing bids with forged signatures, `perSecond` each. */
  forgers: { count: number, perSecond: number }
  /** Providers bidding at `factor`× the market price (e.g. 0.1) to win every order. */
  priceDumpers: { fraction: number, factor: number }
}

/** One kind of workload in the arrival mix. */
export interface WorkloadKind {
  name: string
  weight: number
  /** milli-CPU, bytes, bytes, GPU count. */
  resources: { cpu: number, memory: number, storage: number, gpu: number }
  /** Where it may run. */
  mode: 'provider' | 'fizz' | 'any'
  minTrustTier: number
  /** The user's maximum price per hour in whole tokens. */
  maxPricePerHour: number
}

export interface Workloads {
  /** Orders per simulated minute over the whole network (Poisson arrivals). */
  perMinute: number
  mix: WorkloadKind[]
  /** Lease length, uniform in [minMs, maxMs]. */
  durationMs: { minMs: number, maxMs: number }
}

/** Protocol timing: real values by default, shorter for fast runs. */
export interface Timing {
  /** Challenge slot length. */
  slotMs: number
  /** Slots per era. */
  eraSlots: number
  /** Bid window of an order. */
  bidWindowMs: number
  /** Heartbeat period. */
  heartbeatMs: number
}

export interface Scenario {
  name: string
  /** The question this scenario answers (the comment at the top of the file, also shown in the report). */
  question: string
  mode: SimMode
  seed: number
  /** Simulated time. */
  durationMs: number
  nodes: NodeCounts
  /** fizz ÷ (providers + gateways + fizz): the compute nodes behind NAT. The YAML may give `nat`
   * instead of `nodes.fizz`; the parser derives the other. */
  natFraction: number
  latency: LatencyDistribution
  churn: Churn
  adversaries: Adversaries
  workloads: Workloads
  timing: Timing
  /** Emulation: settle on a real anvil chain (slower; needed for payments and era settlement). */
  chain: boolean
}
