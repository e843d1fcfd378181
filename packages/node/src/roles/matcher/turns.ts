/**
 * Whose turn it is to publish an order's decision. Every honest matcher runs the same
 * deterministic selection and reaches the same decision, and a decision goes to every node of
 * the network: four matchers publishing four copies of it made decisions most of the gossip a
 * node handles. So per order the matchers take turns, in an order drawn from the order id: the
 * first publishes at once, the k-th waits k turns and publishes only if by then no matcher has
 * published the same decision. A decision that differs is always published, so a matcher that
 * picks another winner is seen at once by the user and the bidders.
 *
 * The matchers taking turns are those whose decisions were seen lately. A matcher that does not
 * yet know another may publish when it need not; the copy is harmless and teaches it.
 *
 * A turn lasts as long as the first copy takes to arrive: 1.5× the 90th percentile of how late
 * the other matchers' recent decisions reached this one (clock skew included), between 1 s and
 * 5 s. On a loaded network fixed short turns let backups publish before the first copy reached
 * them, and the extra copies loaded it further (at 500 emulated nodes, 400 ms turns: 2.4 copies
 * per decision). Only a failover waits the longer turn.
 */
import { hexBytes, keccak256Bytes, type Address, type Hex } from '@dcn/protocol'

/** A matcher not heard from for this long no longer takes turns. */
const FORGET_MS = 10 * 60_000
export const MIN_TURN_MS = 1000
export const MAX_TURN_MS = 5000
/** Recent delivery delays of other matchers' decisions kept for the turn's length. */
const DELAY_SAMPLES = 32

export class MatcherTurns {
  private readonly lastSeen = new Map<Address, number>()
  private readonly delays: number[] = []

  constructor (private readonly self: Address, private readonly now: () => number) {}

  /** A decision by `matcher`, made at `createdMs` (its signed time), was seen. */
  seen (matcher: Address, createdMs: number): void {
    const now = this.now()
    this.lastSeen.set(matcher.toLowerCase() as Address, now)
    if (matcher.toLowerCase() === this.self.toLowerCase()) return
    this.delays.push(Math.max(0, now - createdMs))
    if (this.delays.length > DELAY_SAMPLES) this.delays.shift()
  }

  /** How long one turn lasts now (see above). */
  turnMs (): number {
    if (this.delays.length === 0) return MIN_TURN_MS
    const sorted = [...this.delays].sort((a, b) => a - b)
    const p90 = sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.9))]
    return Math.round(Math.min(MAX_TURN_MS, Math.max(MIN_TURN_MS, 1.5 * p90)))
  }

  /** This matcher's place (0 = first) among the matchers seen lately, for `orderId`. */
  place (orderId: Hex): number {
    const cutoff = this.now() - FORGET_MS
    const self = this.self.toLowerCase() as Address
    const others = [...this.lastSeen].filter(([m, at]) => at >= cutoff && m !== self).map(([m]) => m)
    const key = (m: Address): string => Buffer.from(keccak256Bytes(hexBytes(orderId), hexBytes(m))).toString('hex')
    const mine = key(self)
    return others.filter(m => key(m) < mine).length
  }
}
