/**
 * `/dcn/bids/1.0.0`: an order's bids, asked of a matcher that decided it. Gossip carries bids
 * to matchers but reaches a user's fresh client only once it is in a matcher's mesh, and a match
 * names its winning bid by hash alone: without the bid there is no lease. So a client holding
 * fewer bids than a decision says were scored asks that matcher for them.
 *
 * The request is `{ orderId }`; the answer `{ ok: true, bids }`, each bid the gossip envelope
 * exactly as its bidder signed it (encode()), so the client validates it as it would from gossip.
 */
import { SchemaError, arr, bool, hex, obj, str, type Parser } from './schema.js'
import type { Hex } from './types.js'

/** Most bids a matcher hands over for one order (an answer stays well under a megabyte). */
export const MAX_BOOK_BIDS = 512
/** A bid's envelope is about 700 bytes; this bounds an answer. */
export const MAX_BID_ENVELOPE_BYTES = 2048
/** Largest answer frame: the bids and a little JSON around them. */
export const MAX_BOOK_ANSWER_BYTES = MAX_BOOK_BIDS * (MAX_BID_ENVELOPE_BYTES + 8) + 64

export interface BookRequest { orderId: Hex }

export const parseBookRequest: Parser<BookRequest> = obj({ orderId: hex(32) })

/** The bid envelopes of an answer; an `{ ok: false, error }` answer throws with the matcher's reason. */
export const parseBookAnswer: Parser<string[]> = (v, path) => {
  const refusal = v as { ok?: unknown, error?: unknown } | null
  if (refusal?.ok === false) throw new SchemaError(path, `refused: ${String(refusal.error).slice(0, 200)}`)
  return obj({ ok: bool(), bids: arr(str({ max: MAX_BID_ENVELOPE_BYTES }), MAX_BOOK_BIDS) })(v, path).bids
}
