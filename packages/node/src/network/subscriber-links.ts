/**
 * Keeps a node's links to the peers that take what it publishes on topics nobody relays. A
 * provider's bids and heartbeats reach only subscribers it is connected to (matchers, and slarks
 * and gateways for heartbeats): providers do not relay them. If the connection manager pruned
 * such a link to make room, or it dropped, everything the provider published went nowhere until
 * its next bootstrap round. A peer that subscribes to one of these topics is tagged keep-alive:
 * pruned last, and redialled by libp2p when its link drops.
 */
import { KEEP_ALIVE, type PeerId } from '@libp2p/interface'
import type { Host } from '../host.js'

const TAG = `${KEEP_ALIVE}-dcn-subscriber`

export function keepSubscribersLinked (host: Host, topics: string[]): () => void {
  const pubsub = host.services.pubsub
  const listener = (evt: CustomEvent<{ peerId: PeerId, subscriptions: Array<{ topic: string, subscribe: boolean }> }>): void => {
    if (!evt.detail.subscriptions.some(s => s.subscribe && topics.includes(s.topic))) return
    host.peerStore.merge(evt.detail.peerId, { tags: { [TAG]: { value: 100 } } }).catch(() => {})
  }
  pubsub.addEventListener('subscription-change', listener)
  return () => { pubsub.removeEventListener('subscription-change', listener) }
}
