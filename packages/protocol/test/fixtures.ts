/** Shared builders for the protocol tests: valid bodies of every kind and a seeded PRNG. */
import { keccak256, toHex } from 'viem'
import type { Address, Bid, ChallengeReveal, ChallengeVote, EraVote, Heartbeat, Hex, Match, NoMatch, Order, Resources } from '../src/index.js'

export const CHAIN_ID = 31337
/** A fixed clock: every body below is created at NOW. */
export const NOW = 1_700_000_000_000
export const NOW_S = NOW / 1000
export const TOKEN = '0x5fbdb2315678afecb367f032d93f642f64180aa3' as Address
export const PEER = '12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo'

export const lower = (a: string): Address => a.toLowerCase() as Address
export const hash = (s: string): Hex => keccak256(toHex(s))

export function res (over: Partial<Resources> = {}): Resources {
  return { cpu: 1000, memory: 2 ** 30, storage: 10 * 2 ** 30, gpuUnits: 0, gpuModel: '', ...over }
}

export function makeOrder (owner: Address, over: Partial<Order> = {}): Order {
  return {
    id: hash('order-1'),
    owner: lower(owner),
    resources: res(),
    region: 'eu-west',
    minTrustTier: 5,
    mode: 'any',
    token: TOKEN,
    maxPricePerSecond: 1_000_000_000_000n,
    duration: 3600,
    bidDeadlineMs: NOW + 30_000,
    refBlock: 100,
    nonce: 7n,
    createdMs: NOW,
    expiry: NOW_S + 3600,
    manifestHash: hash('manifest'),
    ...over
  }
}

export function makeBid (bidder: Address, over: Partial<Bid> = {}): Bid {
  return {
    orderId: hash('order-1'),
    bidder: lower(bidder),
    peerId: PEER,
    fizzId: '',
    pricePerSecond: 400_000_000_000n,
    region: 'eu-west',
    tier: 3,
    token: TOKEN,
    available: res({ cpu: 4000, memory: 8 * 2 ** 30, storage: 100 * 2 ** 30 }),
    capacity: res({ cpu: 8000, memory: 16 * 2 ** 30, storage: 200 * 2 ** 30 }),
    createdMs: NOW,
    expiry: NOW_S + 600,
    ...over
  }
}

export function makeMatch (matcher: Address, over: Partial<Match> = {}): Match {
  return {
    orderId: hash('order-1'),
    bidHash: hash('bid'),
    bidder: lower('0x' + '11'.repeat(20)),
    pricePerSecond: 123_456_789_012_345_678_901_234_567_890n,
    matcher: lower(matcher),
    bids: 4,
    createdMs: NOW,
    expiry: NOW_S + 600,
    ...over
  }
}

export function makeNoMatch (matcher: Address, over: Partial<NoMatch> = {}): NoMatch {
  return {
    orderId: hash('order-1'),
    matcher: lower(matcher),
    reason: 'none in region',
    detail: '3 considered; failed on 3 region',
    bids: 3,
    createdMs: NOW,
    expiry: NOW_S + 600,
    ...over
  }
}

export function makeHeartbeat (wallet: Address, over: Partial<Heartbeat> = {}): Heartbeat {
  return {
    wallet: lower(wallet),
    peerId: PEER,
    role: 'provider',
    region: 'eu-west',
    tier: 2,
    capacity: res({ cpu: 8000, gpuUnits: 2, gpuModel: 'a100' }),
    available: res({ cpu: 4000, gpuUnits: 1, gpuModel: 'a100' }),
    tokens: [TOKEN, lower('0x' + '22'.repeat(20))],
    pricing: 'scale',
    prices: { cpu: 10n, memory: 2n ** 200n, storage: 0n, gpu: 99_999_999_999_999_999_999n },
    subnet: [],
    seq: 42,
    createdMs: NOW,
    expiry: NOW_S + 60,
    ...over
  }
}

export function makeReveal (leader: Address, over: Partial<ChallengeReveal> = {}): ChallengeReveal {
  return { slot: 7, provider: lower('0x' + '33'.repeat(20)), puzzle: hash('puzzle'), specHash: hash('spec'), leader: lower(leader), createdMs: NOW, expiry: NOW_S + 60, ...over }
}

export function makeVote (slark: Address, over: Partial<ChallengeVote> = {}): ChallengeVote {
  return {
    slot: 7, provider: lower('0x' + '33'.repeat(20)), passed: true, answerHash: hash('answer'), slark: lower(slark),
    blsSig: `0x${'a5'.repeat(96)}`, responseMs: 1234, reason: '', seen: [], createdMs: NOW, expiry: NOW_S + 60, ...over
  }
}

export function makeEraVote (slark: Address, over: Partial<EraVote> = {}): EraVote {
  return { era: 3, reportHash: hash('report'), slark: lower(slark), blsSig: `0x${'5a'.repeat(96)}`, createdMs: NOW, expiry: NOW_S + 60, ...over }
}

/** mulberry32: a small seeded PRNG so fuzz and shuffle tests are reproducible. */
export function prng (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export function randomBytes (rand: () => number, n: number): Uint8Array {
  const out = new Uint8Array(n)
  for (let i = 0; i < n; i++) out[i] = Math.floor(rand() * 256)
  return out
}

export function randomAddress (rand: () => number): Address {
  return toHex(randomBytes(rand, 20)) as Address
}

export function shuffle<T> (items: readonly T[], rand: () => number): T[] {
  const a = [...items]
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1))
    ;[a[i], a[j]] = [a[j], a[i]]
  }
  return a
}

const utf8 = new TextEncoder()
export const bytes = (s: string): Uint8Array => utf8.encode(s)
/** The envelope of an encoded message as a plain JSON object, to mutate in tests. */
export const asJson = (data: Uint8Array): Record<string, any> => JSON.parse(new TextDecoder().decode(data))
export const fromJson = (v: unknown): Uint8Array => bytes(JSON.stringify(v))
