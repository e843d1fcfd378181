/**
 * What the emulation's parent and its worker processes say to each other over IPC (JSON, so
 * bigints travel as decimal strings).
 */
import type { LatencyDistribution } from '../scenario/types.js'
import type { Deployment } from '@dcn/protocol'
import type { Histogram } from './distribution.js'

/** Every emulated peer: nodes of a role, simulated users, and adversaries on the wire. */
export type PeerKind = 'provider' | 'matcher' | 'user' | 'spammer' | 'forger'

export interface PeerSpec {
  idx: number
  kind: PeerKind
  /** A dcn node config object (providers, matchers). */
  config?: Record<string, unknown>
  bootstrap: string[]
  /** With a chain: the wallet's key (funded by the parent) and a data dir (lease files, BLS key). */
  walletKey?: string
  dataDir?: string
}

/** The first message a worker gets: how to delay links, and its seed. */
export interface Setup { type: 'setup', latency: LatencyDistribution, seed: number, chainId: number, chain?: ChainSetup }

/** The run's anvil chain (scenario.chain): users deploy through it and providers lease on the simulated runtime. */
export interface ChainSetup { rpcUrl: string, chainId: number, deployment: Deployment }

/** `req` is echoed in the reply (several starts may be under way in one worker). */
export interface StartPeers { type: 'start', req: number, peers: PeerSpec[], staggerMs: number }
export interface StartedPeer { idx: number, kind: PeerKind, addrs: string[], topics: string[], wallet: string, at: number }
export interface Started { type: 'started', req: number, peers: StartedPeer[], failed: Array<{ idx: number, error: string }> }

export interface StopPeer { type: 'stop-peer', idx: number }
export interface PeerStopped { type: 'peer-stopped', idx: number, at: number }

/** An order spec with its bigint as a string. */
export interface OrderSpecJson {
  resources: { cpu: number, memory: number, storage: number, gpuUnits: number, gpuModel: string }
  minTrustTier: number
  mode: 'provider' | 'fizz' | 'any'
  maxPricePerSecond: string
  duration: number
}

/** A user publishes a real signed order; `kind` names the workload kind. */
export interface PublishOrder { type: 'order', user: number, kind: string, spec: OrderSpecJson, windowMs: number }

/** An adversary starts publishing junk, `perSecond`, until `untilMs` (unix ms); a forger signs bids as `victims`. */
export interface Attack { type: 'attack', idx: number, perSecond: number, untilMs: number, victims: string[] }

/** [message key, topic, published at (unix ms, sub-ms), publisher idx] */
export type Publication = [string, string, number, number]

export interface Collect {
  type: 'collect'
  publications: Publication[]
  /** A peer counts as a receiver of a message only if it was up from `graceMs` before until `windowMs` after its publication. */
  graceMs: number
  windowMs: number
  /** Keys of the adversaries' signed junk: any of them accepted by an honest peer is counted. */
  junk: string[]
}

export interface OrderOutcome {
  orderId: string
  user: number
  kind: string
  publishedAt: number
  bidDeadlineMs: number
  decidedAt?: number
  bidder?: string
  reason?: string
  /** With a chain: the lease was created, and the simulated runtime on the winner reported it running at `runningAt`. */
  leased?: boolean
  runningAt?: number
  error?: string
}

export interface Collected {
  type: 'collected'
  expected: Record<string, number>
  delivered: Record<string, number>
  latency: Record<string, Histogram>
  orders: OrderOutcome[]
  junkAccepted: number
  /** A few undelivered pairs, for the notes: [topic, publisher idx, published at, receiver idx, receiver kind]. */
  missed: Array<[string, number, number, number, string]>
}

export interface JunkCount { spamOrders: number, forgedBids: number, failed: number }
export interface PublicationsReply { type: 'publications', list: Publication[], junk: string[], junkCount: JunkCount }

