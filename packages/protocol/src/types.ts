/** The market's messages (SPEC.md, Deployment lifecycle 1–3). Amounts are bigint, times are unix. */

export type Hex = `0x${string}`
export type Address = `0x${string}`

/** What a workload needs, or what a provider has. */
export interface Resources {
  /** CPU in milli-units (1000 = one core). */
  cpu: number
  /** Memory in bytes. */
  memory: number
  /** Storage in bytes. */
  storage: number
  gpuUnits: number
  /** Empty = any model. */
  gpuModel: string
}

/** Where an order may run: on a data-centre provider, on a fizz node behind a gateway, or either. */
export type Mode = 'provider' | 'fizz' | 'any'
export const MODES: readonly Mode[] = ['provider', 'fizz', 'any']

/** A user's request for compute, signed by its owner's wallet. */
export interface Order {
  id: Hex
  owner: Address
  resources: Resources
  /** Required region; empty = anywhere. */
  region: string
  /** The least trusted tier accepted: bids from tiers 1..minTrustTier pass (1 is the most trusted). */
  minTrustTier: number
  mode: Mode
  token: Address
  /** Most the owner pays per second, in the token's base units. */
  maxPricePerSecond: bigint
  /** Lease duration in seconds. */
  duration: number
  /** Bids must be published before this time (unix ms). */
  bidDeadlineMs: number
  /** Chain-derived match inputs (stake, tier, beacon) are read at this block. */
  refBlock: number
  nonce: bigint
  createdMs: number
  /** Unix seconds after which the order can no longer become a lease. */
  expiry: number
  /** keccak256 of the manifest file; the manifest itself never goes on gossip. */
  manifestHash: Hex
}

/** A provider's (or a gateway's, for one of its fizz nodes) offer for an order. */
export interface Bid {
  orderId: Hex
  bidder: Address
  /** The libp2p peer the user opens the manifest stream to. */
  peerId: string
  /** The fizz node's peer id when a gateway bids for it; empty otherwise. */
  fizzId: string
  pricePerSecond: bigint
  region: string
  tier: number
  token: Address
  /** Free capacity before this order's reservation. */
  available: Resources
  /** Registered capacity. */
  capacity: Resources
  createdMs: number
  expiry: number
}

/** A matcher's decision: the winning bid of an order. */
export interface Match {
  orderId: Hex
  /** EIP-712 digest of the winning bid. */
  bidHash: Hex
  bidder: Address
  pricePerSecond: bigint
  matcher: Address
  /** How many valid bids the matcher scored. */
  bids: number
  createdMs: number
  expiry: number
}

export type NoMatchReason =
  | 'no bids'
  | 'all above max price'
  | 'none in region'
  | 'none with capacity'
  | 'none of the tier'
  | 'none accepting token'
  | 'none in mode'
export const NO_MATCH_REASONS: readonly NoMatchReason[] = [
  'no bids', 'all above max price', 'none in region', 'none with capacity', 'none of the tier', 'none accepting token', 'none in mode'
]

/** A matcher's explanation of why an order got no winner. */
export interface NoMatch {
  orderId: Hex
  matcher: Address
  reason: NoMatchReason
  /** One human sentence with the numbers behind the reason. */
  detail: string
  bids: number
  createdMs: number
  expiry: number
}

/** Per-unit prices in base units per second: per core, per GiB of memory, per GiB of storage, per GPU. */
export interface UnitPrices {
  cpu: bigint
  memory: bigint
  storage: bigint
  gpu: bigint
}

export type Role = 'provider' | 'fizz' | 'gateway' | 'slark' | 'matcher'
export const ROLES: readonly Role[] = ['provider', 'fizz', 'gateway', 'slark', 'matcher']

/** A node's periodic liveness and capacity announcement. */
export interface Heartbeat {
  wallet: Address
  peerId: string
  role: Role
  region: string
  tier: number
  capacity: Resources
  available: Resources
  tokens: Address[]
  /** 'scale' providers publish their unit prices; 'script' prices are only known by bidding. */
  pricing: 'scale' | 'script'
  prices: UnitPrices
  /** A gateway's fizz nodes that answered its last poll (their liveness, for slarks); [] for others. */
  subnet: Address[]
  seq: number
  createdMs: number
  expiry: number
}

/**
 * A committee leader's reveal of a challenge's puzzle (on `dcn/1/attestations`), once its hash
 * is committed on chain: the other members check it against the commitment and ask the
 * provider themselves.
 */
export interface ChallengeReveal {
  slot: number
  provider: Address
  puzzle: Hex
  specHash: Hex
  leader: Address
  createdMs: number
  expiry: number
}

/**
 * A committee member's verdict on a challenge: `blsSig` is its BLS signature of the Challenges
 * contract's result message (slot, provider, passed, answerHash), which aggregates with the
 * others' when they agree; the wallet signature covers the whole body, including what does not
 * aggregate (its own measured response time, the reason).
 */
export interface ChallengeVote {
  slot: number
  provider: Address
  passed: boolean
  answerHash: Hex
  slark: Address
  blsSig: Hex
  responseMs: number
  reason: string
  /** Its measurements of other members' earlier votes (see SlarkLag), carried so every slark has them. */
  seen: SlarkLag[]
  createdMs: number
  expiry: number
}

/**
 * One committee member's measurement of another's vote: on challenge (slot, provider), `slark`'s
 * vote arrived `ms` after the measuring member cast its own (0 when it came first). Both had the
 * provider's answer at once and do the same work on it: this is `slark`'s delay beyond a peer's.
 * The slarks' era response times are made of these (a slark never measures itself).
 */
export interface SlarkLag {
  slot: number
  provider: Address
  slark: Address
  ms: number
}

/** A slark's BLS signature of an era report's hash (the report is computed by every slark). */
export interface EraVote {
  era: number
  reportHash: Hex
  slark: Address
  blsSig: Hex
  createdMs: number
  expiry: number
}

/** Every message kind with its body type. */
export interface MessageBodies {
  order: Order
  bid: Bid
  match: Match
  'no-match': NoMatch
  heartbeat: Heartbeat
  'challenge-reveal': ChallengeReveal
  'challenge-vote': ChallengeVote
  'era-vote': EraVote
}
export type MessageKind = keyof MessageBodies

/** A decoded, signature-carrying message. */
export type SignedMessage<K extends MessageKind = MessageKind> = {
  [T in K]: { type: T, body: MessageBodies[T], sig: Hex }
}[K]
