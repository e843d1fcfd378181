/**
 * Schemas of every message body, their EIP-712 struct types, and which topic carries which
 * kind. A body schema and its EIP-712 type list the same fields in the same order.
 */
import { TOPICS, type Topic } from './constants.js'
import { address, arr, bool, hex, obj, oneOf, str, uint, uint256, type Parser } from './schema.js'
import { MODES, NO_MATCH_REASONS, ROLES, type Address, type MessageBodies, type MessageKind } from './types.js'

const MAX_SAFE = Number.MAX_SAFE_INTEGER
/** Other members' vote lags one challenge vote may carry. */
export const MAX_SEEN_LAGS = 32
const U32 = 2 ** 32 - 1
const label = str({ max: 64, pattern: /^[A-Za-z0-9._:-]*$/ })
const peerId = str({ max: 128, pattern: /^[1-9A-HJ-NP-Za-km-z]*$/ })

export const resourcesSchema = obj({
  cpu: uint(MAX_SAFE),
  memory: uint(MAX_SAFE),
  storage: uint(MAX_SAFE),
  gpuUnits: uint(U32),
  gpuModel: label
})

const pricesSchema = obj({ cpu: uint256(), memory: uint256(), storage: uint256(), gpu: uint256() })

export const BODY_SCHEMAS: { [K in MessageKind]: Parser<MessageBodies[K]> } = {
  order: obj({
    id: hex(32),
    owner: address,
    resources: resourcesSchema,
    region: label,
    minTrustTier: uint(7, 1),
    mode: oneOf(...MODES),
    token: address,
    maxPricePerSecond: uint256({ positive: true }),
    duration: uint(MAX_SAFE, 1),
    bidDeadlineMs: uint(MAX_SAFE),
    refBlock: uint(MAX_SAFE),
    nonce: uint256(),
    createdMs: uint(MAX_SAFE),
    expiry: uint(MAX_SAFE),
    manifestHash: hex(32)
  }),
  bid: obj({
    orderId: hex(32),
    bidder: address,
    peerId: str({ min: 1, max: 128, pattern: /^[1-9A-HJ-NP-Za-km-z]+$/ }),
    fizzId: peerId,
    pricePerSecond: uint256({ positive: true }),
    region: label,
    tier: uint(7, 1),
    token: address,
    available: resourcesSchema,
    capacity: resourcesSchema,
    createdMs: uint(MAX_SAFE),
    expiry: uint(MAX_SAFE)
  }),
  match: obj({
    orderId: hex(32),
    bidHash: hex(32),
    bidder: address,
    pricePerSecond: uint256({ positive: true }),
    matcher: address,
    bids: uint(U32),
    createdMs: uint(MAX_SAFE),
    expiry: uint(MAX_SAFE)
  }),
  'no-match': obj({
    orderId: hex(32),
    matcher: address,
    reason: oneOf(...NO_MATCH_REASONS),
    detail: str({ max: 512 }),
    bids: uint(U32),
    createdMs: uint(MAX_SAFE),
    expiry: uint(MAX_SAFE)
  }),
  heartbeat: obj({
    wallet: address,
    peerId: str({ min: 1, max: 128, pattern: /^[1-9A-HJ-NP-Za-km-z]+$/ }),
    role: oneOf(...ROLES),
    region: label,
    tier: uint(7, 1),
    capacity: resourcesSchema,
    available: resourcesSchema,
    tokens: arr(address, 16),
    pricing: oneOf('scale', 'script'),
    prices: pricesSchema,
    subnet: arr(address, 256),
    seq: uint(MAX_SAFE),
    createdMs: uint(MAX_SAFE),
    expiry: uint(MAX_SAFE)
  }),
  'challenge-reveal': obj({
    slot: uint(MAX_SAFE),
    provider: address,
    puzzle: hex(32),
    specHash: hex(32),
    leader: address,
    createdMs: uint(MAX_SAFE),
    expiry: uint(MAX_SAFE)
  }),
  'challenge-vote': obj({
    slot: uint(MAX_SAFE),
    provider: address,
    passed: bool(),
    answerHash: hex(32),
    slark: address,
    blsSig: hex(96),
    responseMs: uint(U32),
    reason: str({ max: 200 }),
    seen: arr(obj({ slot: uint(MAX_SAFE), provider: address, slark: address, ms: uint(U32) }), MAX_SEEN_LAGS),
    createdMs: uint(MAX_SAFE),
    expiry: uint(MAX_SAFE)
  }),
  'era-vote': obj({
    era: uint(MAX_SAFE),
    reportHash: hex(32),
    slark: address,
    blsSig: hex(96),
    createdMs: uint(MAX_SAFE),
    expiry: uint(MAX_SAFE)
  })
}

/** Which kinds each topic may carry. */
export const TOPIC_KINDS: Partial<Record<Topic, readonly MessageKind[]>> = {
  [TOPICS.orders]: ['order'],
  [TOPICS.bids]: ['bid'],
  [TOPICS.matches]: ['match', 'no-match'],
  [TOPICS.heartbeats]: ['heartbeat'],
  [TOPICS.attestations]: ['challenge-reveal', 'challenge-vote', 'era-vote']
}

export const KIND_TOPIC: Record<MessageKind, Topic> = {
  order: TOPICS.orders,
  bid: TOPICS.bids,
  match: TOPICS.matches,
  'no-match': TOPICS.matches,
  heartbeat: TOPICS.heartbeats,
  'challenge-reveal': TOPICS.attestations,
  'challenge-vote': TOPICS.attestations,
  'era-vote': TOPICS.attestations
}

/** The wallet that must have signed a body. */
export function signerOf<K extends MessageKind> (type: K, body: MessageBodies[K]): Address {
  switch (type) {
    case 'order': return (body as MessageBodies['order']).owner
    case 'bid': return (body as MessageBodies['bid']).bidder
    case 'match': case 'no-match': return (body as MessageBodies['match']).matcher
    case 'challenge-reveal': return (body as MessageBodies['challenge-reveal']).leader
    case 'challenge-vote': return (body as MessageBodies['challenge-vote']).slark
    case 'era-vote': return (body as MessageBodies['era-vote']).slark
    default: return (body as MessageBodies['heartbeat']).wallet
  }
}

/** The identity of a message for duplicate and replay detection: one per order, per bidder, per matcher. */
export function replayKey<K extends MessageKind> (type: K, body: MessageBodies[K]): string {
  const b = body as unknown as Record<string, unknown>
  switch (type) {
    case 'order': return `order:${String(b.id)}`
    case 'bid': return `bid:${String(b.orderId)}:${String(b.bidder)}`
    case 'match': case 'no-match': return `match:${String(b.orderId)}:${String(b.matcher)}`
    case 'challenge-reveal': return `reveal:${String(b.slot)}:${String(b.provider)}`
    case 'challenge-vote': return `vote:${String(b.slot)}:${String(b.provider)}:${String(b.slark)}`
    case 'era-vote': return `era-vote:${String(b.era)}:${String(b.slark)}`
    default: return `heartbeat:${String(b.wallet)}:${String(b.seq)}`
  }
}
