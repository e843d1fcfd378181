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
 */
import { hexBytes, keccak256Bytes, type Address, type Hex } from '@dcn/protocol'

/** A matcher not heard from for this long no longer takes turns. */
const FORGET_MS = 10 * 60_000

export class MatcherTurns {
  private readonly lastSeen = new Map<Address, number>()

  constructor (private readonly self: Address, private readonly now: () => number) {}

  /** A decision by `matcher` was seen. */
  seen (matcher: Address): void {
    this.lastSeen.set(matcher.toLowerCase() as Address, this.now())
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
