/**
 * Price discovery: publish a signed order for a manifest, collect every bid and every matcher's
 * decision, and score the bids locally with the same function the matchers use.
 */
import { randomBytes } from 'node:crypto'
import {
  digest, selectWinner, selfDeclaredStanding, ZERO_HASH,
  type Bid, type Hex, type NoMatchReason, type Order, type OrderSpec, type SignedMessage, type Stage
} from '@dcn/protocol'
import type { LightClient } from './light-client.js'
import { fetchBids } from './order-book.js'

/** How long a match waits for its bid to reach us (asked of the matcher, or by gossip). */
const BID_CATCH_UP_MS = 2500
/** Matchers asked for the bids they scored that we missed (order-book.ts). */
const MAX_BOOK_FETCHES = 2

export interface QuotedBid {
  bid: Bid
  /** The bidder's EIP-712 signature (what a lease needs). */
  sig: Hex
  bidHash: Hex
  /** Score by the deterministic function, or null when a filter excludes the bid. */
  score: number | null
  excludedBy: Stage | null
}

export interface MatcherDecision {
  matcher: string
  /** The matcher's peer id (it published the decision). */
  peer: string
  winner: Bid['bidder'] | null
  bidHash: Hex | null
  reason: NoMatchReason | null
  detail: string
  bids: number
  /** Milliseconds after the bid deadline the decision reached us. */
  afterDeadlineMs: number
  /** The signed match, when there is a winner. */
  signed?: SignedMessage<'match'>
}

export interface QuoteResult {
  order: Order
  orderSig: Hex
  bids: QuotedBid[]
  decisions: MatcherDecision[]
  winner: QuotedBid | null
  reason: NoMatchReason | null
  detail: string
}

export interface QuoteOptions {
  /** Time from publishing to the bid deadline. */
  windowMs?: number
  /** How long after the deadline to wait for the first matcher. */
  decisionTimeoutMs?: number
  /** After the first decision, how long to wait for other matchers. */
  settleMs?: number
  /** Return as soon as a signed match is in (deploy needs one match, not every matcher's view). */
  untilMatch?: boolean
  chainId: number
  refBlock?: number
}

export function buildOrder (spec: OrderSpec, owner: `0x${string}`, windowMs: number, refBlock = 0, now = Date.now()): Order {
  return {
    id: `0x${randomBytes(32).toString('hex')}`,
    owner: owner.toLowerCase() as `0x${string}`,
    resources: spec.resources,
    region: spec.region,
    minTrustTier: spec.minTrustTier,
    mode: spec.mode,
    token: spec.token,
    maxPricePerSecond: spec.maxPricePerSecond,
    duration: spec.duration,
    bidDeadlineMs: now + windowMs,
    refBlock,
    nonce: BigInt(`0x${randomBytes(16).toString('hex')}`),
    createdMs: now,
    expiry: Math.floor((now + windowMs) / 1000) + 600,
    manifestHash: spec.manifestHash
  }
}

export async function quote (client: LightClient, spec: OrderSpec, opts: QuoteOptions): Promise<QuoteResult> {
  const windowMs = opts.windowMs ?? 2000
  const order = buildOrder(spec, client.wallet.address, windowMs, opts.refBlock)
  const bids = new Map<string, QuotedBid>()
  const decisions = new Map<string, MatcherDecision>()
  let firstDecision: (() => void) | undefined
  const gotDecision = new Promise<void>(resolve => { firstDecision = resolve })

  const hold = (m: SignedMessage<'bid'>): void => {
    if (m.body.orderId !== order.id || bids.has(m.body.bidder)) return
    bids.set(m.body.bidder, { bid: m.body, sig: m.sig, bidHash: digest(opts.chainId, 'bid', m.body), score: null, excludedBy: null })
  }
  client.gossip.on('bid', hold)
  // A decision that scored more bids than we hold: ask its matcher for them (gossip reaches a
  // fresh client only once it is in a matcher's mesh, and a match without its bid is no lease).
  const fetches: Array<Promise<void>> = []
  const decided = (d: MatcherDecision): void => {
    if (decisions.has(d.matcher)) return
    decisions.set(d.matcher, d)
    if (d.bids > bids.size && d.peer !== '' && fetches.length < MAX_BOOK_FETCHES) {
      fetches.push(fetchBids(client, d.peer, order.id, BID_CATCH_UP_MS).then(got => { got.forEach(hold) }, () => {}))
    }
    firstDecision?.()
  }
  client.gossip.on('match', (m, peer) => {
    if (m.body.orderId !== order.id) return
    decided({ matcher: m.body.matcher, peer, winner: m.body.bidder, bidHash: m.body.bidHash, reason: null, detail: '', bids: m.body.bids, afterDeadlineMs: Date.now() - order.bidDeadlineMs, signed: m })
  })
  client.gossip.on('no-match', (m, peer) => {
    if (m.body.orderId !== order.id) return
    decided({ matcher: m.body.matcher, peer, winner: null, bidHash: null, reason: m.body.reason, detail: m.body.detail, bids: m.body.bids, afterDeadlineMs: Date.now() - order.bidDeadlineMs })
  })

  const { msg: signedOrder } = await client.gossip.publish('order', order)
  const timeout = Math.max(0, order.bidDeadlineMs - Date.now()) + (opts.decisionTimeoutMs ?? 10_000)
  let timer: NodeJS.Timeout | undefined
  await Promise.race([gotDecision, new Promise<void>(resolve => { timer = setTimeout(resolve, timeout) })])
  clearTimeout(timer)
  const held = (hash: Hex | null): boolean => hash !== null && [...bids.values()].some(b => b.bidHash === hash)
  const matched = (): boolean => [...decisions.values()].some(d => d.signed !== undefined)
  const matchedHeld = (): boolean => [...decisions.values()].some(d => d.signed !== undefined && held(d.bidHash))
  if (decisions.size > 0) {
    // A match whose bid is missing waits for it: asked of the matcher (above), or by gossip.
    const settleUntil = Date.now() + (opts.settleMs ?? 750)
    const bidUntil = Date.now() + BID_CATCH_UP_MS
    for (;;) {
      if (opts.untilMatch === true && matchedHeld()) break
      if (Date.now() >= (matched() && !matchedHeld() ? Math.max(settleUntil, bidUntil) : settleUntil)) break
      await new Promise(resolve => setTimeout(resolve, 25))
    }
    // Every bid the asked matchers hand over is shown (deploy does not wait once it has its bid).
    if (opts.untilMatch !== true || !matchedHeld()) await Promise.all(fetches)
  }

  // Score locally exactly as a matcher without chain state does.
  const all = [...bids.values()]
  const selection = selectWinner(order, all.map(b => b.bid), { beacon: ZERO_HASH, standing: selfDeclaredStanding })
  for (const r of selection.ranked) bids.get(r.bid.bidder)!.score = r.score
  for (const e of selection.excluded) bids.get(e.bid.bidder)!.excludedBy = e.stage
  const quoted = all.sort((a, b) => (b.score ?? -Infinity) - (a.score ?? -Infinity) || Number(a.bid.pricePerSecond - b.bid.pricePerSecond))

  const ds = [...decisions.values()]
  const winning = ds.find(d => held(d.bidHash)) ?? ds.find(d => d.bidHash !== null)
  const winner = winning === undefined ? null : quoted.find(b => b.bidHash === winning.bidHash) ?? null
  const loser = ds.find(d => d.reason !== null)
  return {
    order,
    orderSig: signedOrder.sig,
    bids: quoted,
    decisions: ds,
    winner,
    reason: winning !== undefined ? null : loser?.reason ?? (ds.length === 0 ? null : 'no bids'),
    detail: winning !== undefined
      ? (winner === null ? `matcher picked bid ${winning.bidHash ?? ''} which did not reach this client` : `${ds.filter(d => d.bidHash === winning.bidHash).length} of ${ds.length} matchers agree`)
      : loser?.detail ?? 'no matcher answered before the timeout'
  }
}
