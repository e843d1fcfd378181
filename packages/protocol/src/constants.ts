/** Wire constants shared by every role. */

export const PROTOCOL_VERSION = 1

/** Gossip topics (SPEC.md, Wire). */
export const TOPICS = {
  orders: 'dcn/1/orders',
  bids: 'dcn/1/bids',
  matches: 'dcn/1/matches',
  heartbeats: 'dcn/1/heartbeats',
  attestations: 'dcn/1/attestations'
} as const
export type Topic = (typeof TOPICS)[keyof typeof TOPICS]

/** Stream protocol ids (SPEC.md, Wire). */
export const PROTOCOLS = {
  manifest: '/dcn/manifest/1.0.0',
  lease: '/dcn/lease/1.0.0',
  tunnel: '/dcn/tunnel/1.0.0',
  challenge: '/dcn/challenge/1.0.0',
  fizz: '/dcn/fizz/1.0.0',
  /** An order's signed bids, from a matcher that decided it (order-book.ts). */
  bids: '/dcn/bids/1.0.0',
  /** A settled era's payouts and histories, slark to slark (era/settled.ts). */
  era: '/dcn/era/1.0.0',
  kad: '/dcn/kad/1.0.0'
} as const

/** A gossip payload larger than this is rejected before it is parsed. */
export const MAX_MESSAGE_BYTES = 64 * 1024

/** Messages older than this are replays: the seen-cache only has to remember this long. */
export const MAX_MESSAGE_AGE_MS = 120_000

/** Clock skew tolerated for timestamps in the future. */
export const MAX_CLOCK_SKEW_MS = 30_000

/** A message that expired less than this long ago may still be in flight: ignored, not rejected. */
export const EXPIRY_GRACE_MS = 2_000

/** Devnet chain id (anvil's default). */
export const DEVNET_CHAIN_ID = 31337

/**
 * Token symbols of the devnet. SPON lives where the devnet deploys it: the first contract created
 * by anvil's first account.
 */
export const DEVNET_TOKENS = { SPON: '0x5fbdb2315678afecb367f032d93f642f64180aa3' } as const

export const ZERO_HASH = `0x${'00'.repeat(32)}` as const
