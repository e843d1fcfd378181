/**
 * `/dcn/bids/1.0.0` (protocol/order-book.ts): hands a client the signed bids of an order this
 * matcher decided, so a client that missed the winning bid on gossip can still take the lease.
 */
import { Frames, MAX_BOOK_BIDS, PROTOCOLS, encode, parseBookRequest } from '@dcn/protocol'
import type { Host } from '../../host.js'
import type { Logger } from '../../log.js'
import type { Matcher } from './matcher.js'

const REQUEST_TIMEOUT_MS = 5000
const envelopeText = new TextDecoder()

export async function serveOrderBooks (host: Host, matcher: Matcher, log: Logger): Promise<() => void> {
  await host.handle(PROTOCOLS.bids, async (stream) => {
    const frames = new Frames(stream, 1024)
    try {
      const { orderId } = parseBookRequest(await frames.readJson(REQUEST_TIMEOUT_MS), 'request')
      const bids = matcher.signedBids(orderId).slice(0, MAX_BOOK_BIDS).map(m => envelopeText.decode(encode(m)))
      await frames.writeJson({ ok: true, bids })
    } catch (err) {
      log.debug('bids request refused', { error: (err as Error).message })
      await frames.writeJson({ ok: false, error: (err as Error).message.split('\n')[0] }).catch(() => {})
    } finally {
      await frames.close()
    }
  }, { maxInboundStreams: 64 })
  return () => { void host.unhandle(PROTOCOLS.bids).catch(() => {}) }
}
