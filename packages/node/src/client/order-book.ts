/**
 * Asks a matcher for the bids of an order it decided (`/dcn/bids/1.0.0`, protocol/order-book.ts)
 * and validates each exactly as a gossiped bid: a matcher can withhold bids but not forge one.
 */
import { peerIdFromString } from '@libp2p/peer-id'
import { Frames, MAX_BOOK_ANSWER_BYTES, PROTOCOLS, TOPICS, parseBookAnswer, type Hex, type SignedMessage } from '@dcn/protocol'
import type { LightClient } from './light-client.js'

const envelopeBytes = new TextEncoder()

/** The valid bids for `orderId` that `matcher` (a peer id) holds and this client had not seen yet. */
export async function fetchBids (client: LightClient, matcher: string, orderId: Hex, timeoutMs: number): Promise<Array<SignedMessage<'bid'>>> {
  const stream = await client.host.dialProtocol(peerIdFromString(matcher), PROTOCOLS.bids, { signal: AbortSignal.timeout(timeoutMs) })
  const frames = new Frames(stream, MAX_BOOK_ANSWER_BYTES)
  let envelopes: string[]
  try {
    await frames.writeJson({ orderId })
    envelopes = parseBookAnswer(await frames.readJson(timeoutMs), 'answer')
  } finally {
    await frames.close()
  }
  const out: Array<SignedMessage<'bid'>> = []
  for (const text of envelopes) {
    // "relayed": the matcher hands on what others signed; a duplicate of a gossiped bid is ignored.
    const v = await client.gossip.validator.validate(TOPICS.bids, envelopeBytes.encode(text), { relayed: true })
    if (v.result === 'accept' && v.msg.type === 'bid' && v.msg.body.orderId === orderId) out.push(v.msg as SignedMessage<'bid'>)
  }
  return out
}
