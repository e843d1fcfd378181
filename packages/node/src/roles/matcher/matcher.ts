/**
 * The matcher: collects the valid bids of each order, and once the bid deadline (plus a short
 * grace for bids in flight) has passed, scores them with the deterministic function and
 * publishes a signed Match — or a NoMatch with the reason, explained from the providers it
 * knows when nobody bid at all.
 *
 * Chain-derived inputs (standing, beacon) come from a `ChainView`; without a chain the view
 * trusts each bid's declared tier and uses a zero beacon, which every matcher agrees on.
 *
 * Several matchers take turns to publish (turns.ts): a decision another matcher has already
 * published is withheld, one that differs is always published.
 */
import {
  ZERO_HASH, digest, explain, selectWinner, selfDeclaredStanding,
  type Bid, type Hex, type Order, type SignedMessage, type Standing, type Selection
} from '@dcn/protocol'
import type { Gossip } from '../../network/gossip.js'
import type { NodeMetrics } from '../../metrics.js'
import type { Logger } from '../../log.js'
import { ProviderDirectory } from './directory.js'
import { MatcherTurns } from './turns.js'

export interface ChainView {
  beacon: (refBlock: number) => Promise<Hex>
  standing: (refBlock: number, bids: readonly Bid[]) => Promise<(bid: Bid) => Standing>
}

export const offlineChainView: ChainView = {
  beacon: async () => ZERO_HASH,
  standing: async () => selfDeclaredStanding
}

/** Orders (and bids awaiting their order) tracked at once. */
const MAX_BOOKS = 20_000

/** A bid and its bidder's signature, kept to hand the bid to clients that missed it (book-service.ts). */
interface HeldBid { bid: Bid, sig?: Hex }

interface Book {
  order?: Order
  /** By bidder. */
  bids: Map<string, HeldBid>
  timer?: NodeJS.Timeout
  decided: boolean
  /** The winning bidder once decided. */
  winner?: string
  /** Decisions other matchers published for this order: the winning bid's hash, null for no match. */
  heard: Array<Hex | null>
  /** Told of each decision heard while this matcher waits its turn. */
  onHeard?: () => void
  /** When the order expires, the book is dropped. */
  until: number
}

/** The book's bids made by the deadline (one that overtook its order may be late). */
function onTime (b: Book, order: Order): HeldBid[] {
  return [...b.bids.values()].filter(x => x.bid.createdMs <= order.bidDeadlineMs)
}

export interface MatcherOptions {
  gossip: Gossip
  metrics: NodeMetrics
  log: Logger
  wallet: `0x${string}`
  chainId: number
  graceMs: number
  /** How long each matcher's turn to publish a decision lasts; by default it follows how late other matchers' decisions arrive (turns.ts). */
  turnMs?: number
  chain?: ChainView
  now?: () => number
}

export interface Decision {
  order: Order
  selection: Selection
  decidedAt: number
  /** Not published: another matcher had published the same decision. */
  withheld: boolean
}

export class Matcher {
  readonly directory: ProviderDirectory
  private readonly books = new Map<Hex, Book>()
  private readonly now: () => number
  private readonly chain: ChainView
  private readonly turns: MatcherTurns
  private sweeper?: NodeJS.Timeout
  /** Called after each decision (benchmarks and tests observe latency here). */
  onDecision?: (d: Decision) => void

  constructor (private readonly opts: MatcherOptions) {
    this.now = opts.now ?? Date.now
    this.chain = opts.chain ?? offlineChainView
    this.directory = new ProviderDirectory(30_000, this.now)
    this.turns = new MatcherTurns(opts.wallet, this.now)
  }

  start (): void {
    const { gossip } = this.opts
    gossip.on('order', (m) => { this.onOrder(m.body) })
    gossip.on('bid', (m) => { this.onBid(m.body, m.sig) })
    gossip.on('heartbeat', (m) => { this.directory.update(m.body) })
    gossip.on('match', (m) => { this.heard(m.body.matcher, m.body.orderId, m.body.bidHash, m.body.expiry, m.body.createdMs) })
    gossip.on('no-match', (m) => { this.heard(m.body.matcher, m.body.orderId, null, m.body.expiry, m.body.createdMs) })
    this.sweeper = setInterval(() => { this.sweep() }, 10_000)
    this.sweeper.unref()
  }

  stop (): void {
    clearInterval(this.sweeper)
    for (const b of this.books.values()) clearTimeout(b.timer)
    this.books.clear()
  }

  status (): { openOrders: number, knownProviders: number } {
    let open = 0
    for (const b of this.books.values()) if (b.order !== undefined && !b.decided) open++
    return { openOrders: open, knownProviders: this.directory.fresh().length }
  }

  private book (orderId: Hex, until: number): Book {
    let b = this.books.get(orderId)
    if (b === undefined) {
      b = { bids: new Map(), decided: false, heard: [], until }
      this.books.set(orderId, b)
    }
    return b
  }

  onOrder (order: Order): void {
    const b = this.book(order.id, order.expiry * 1000)
    if (b.order !== undefined) return
    b.order = order
    b.until = order.expiry * 1000
    this.opts.metrics.ordersSeen.inc()
    const wait = Math.max(0, order.bidDeadlineMs + this.opts.graceMs - this.now())
    b.timer = setTimeout(() => {
      void this.decide(order.id).catch((err: Error) => { this.opts.log.error('match failed', { order: order.id, error: err.message }) })
    }, wait)
  }

  onBid (bid: Bid, sig?: Hex): void {
    // A bid may overtake its order on another path: keep it until the order is known, within bounds.
    if (!this.books.has(bid.orderId) && (this.books.size >= MAX_BOOKS || bid.expiry * 1000 > this.now() + 15 * 60_000)) return
    const b = this.book(bid.orderId, bid.expiry * 1000)
    if (b.decided) return
    if (b.order !== undefined && bid.createdMs > b.order.bidDeadlineMs) return
    if (!b.bids.has(bid.bidder)) b.bids.set(bid.bidder, { bid, sig })
  }

  /** The signed bids of an order this matcher has decided, the winner first (none before the decision). */
  signedBids (orderId: Hex): Array<SignedMessage<'bid'>> {
    const b = this.books.get(orderId)
    if (b?.order === undefined || !b.decided) return []
    const out: Array<SignedMessage<'bid'>> = []
    for (const { bid, sig } of onTime(b, b.order)) if (sig !== undefined) out.push({ type: 'bid', body: bid, sig })
    return out.sort((x, y) => Number(y.body.bidder === b.winner) - Number(x.body.bidder === b.winner))
  }

  private heard (matcher: Hex, orderId: Hex, bidHash: Hex | null, expiry: number, createdMs: number): void {
    this.turns.seen(matcher, createdMs)
    if (!this.books.has(orderId) && this.books.size >= MAX_BOOKS) return
    const b = this.book(orderId, expiry * 1000)
    b.heard.push(bidHash)
    b.onHeard?.()
  }

  private async decide (orderId: Hex): Promise<void> {
    const b = this.books.get(orderId)
    if (b?.order === undefined || b.decided) return
    b.decided = true
    const order = b.order
    const bids = onTime(b, order).map(x => x.bid)
    const [beacon, standing] = await Promise.all([this.chain.beacon(order.refBlock), this.chain.standing(order.refBlock, bids)])
    const selection = selectWinner(order, bids, { beacon, standing })
    b.winner = selection.winner?.bid.bidder
    const { gossip, metrics, log } = this.opts
    const place = this.turns.place(orderId)
    const mine = selection.winner === null ? null : digest(this.opts.chainId, 'bid', selection.winner.bid)
    // Wait out the turns before ours, unless our decision is heard first: then withhold at once.
    if (place > 0 && !b.heard.includes(mine)) {
      await new Promise<void>(resolve => {
        const done = (): void => { clearTimeout(timer); b.onHeard = undefined; resolve() }
        const timer = setTimeout(done, place * (this.opts.turnMs ?? this.turns.turnMs()))
        b.onHeard = () => { if (b.heard.includes(mine)) done() }
      })
    }
    const now = this.now()
    if (b.heard.includes(mine)) {
      metrics.decisionsWithheld.inc()
      log.debug('decision withheld: another matcher published the same', { order: orderId, place })
      this.onDecision?.({ order, selection, decidedAt: now, withheld: true })
      return
    }
    const expiry = order.expiry
    const matcher = this.opts.wallet.toLowerCase() as `0x${string}`
    if (selection.winner !== null) {
      const w = selection.winner.bid
      await gossip.publish('match', {
        orderId, bidHash: mine!, bidder: w.bidder, pricePerSecond: w.pricePerSecond,
        matcher, bids: bids.length, createdMs: now, expiry
      })
      metrics.matchesMade.inc()
      log.info('match', { order: orderId, winner: w.bidder, bids: bids.length, score: selection.winner.score.toFixed(4) })
    } else {
      let { reason, detail } = selection as { reason: NonNullable<Selection['reason']>, detail: string }
      if (bids.length === 0) {
        const offers = this.directory.offers(order)
        const why = explain(order, offers)
        if (offers.length === 0) detail = 'no bids, and no providers seen on the network'
        else if (why !== null) ({ reason, detail } = { reason: why.reason, detail: `no bids; ${offers.length} known providers: ${why.detail}` })
        else detail = `no bids; ${offers.length} known providers, some could serve it but none bid before the deadline`
      }
      await gossip.publish('no-match', { orderId, matcher, reason, detail: detail.slice(0, 512), bids: bids.length, createdMs: now, expiry })
      metrics.noMatches.inc({ reason })
      log.info('no match', { order: orderId, reason, detail })
    }
    this.onDecision?.({ order, selection, decidedAt: now, withheld: false })
  }

  private sweep (): void {
    const now = this.now()
    for (const [id, b] of this.books) {
      if (b.until < now) {
        clearTimeout(b.timer)
        this.books.delete(id)
      }
    }
  }
}
