/**
 * Keeps a node's links to the peers that take what it publishes on topics nobody relays. A
 * provider's bids and heartbeats reach only subscribers it is connected to (matchers, and slarks
 * and gateways for heartbeats): providers do not relay them. If the connection manager pruned
 * such a link to make room, or it dropped, everything the provider published went nowhere until
 * its next bootstrap round. A peer that subscribes to one of these topics is tagged keep-alive:
 * pruned last, and redialled by libp2p when its link drops.
 */
import { KEEP_ALIVE } from '@libp2p/interface'
import type { Topic } from '@dcn/protocol'
import type { Host } from '../host.js'
import type { Gossip } from './gossip.js'

const TAG = `${KEEP_ALIVE}-dcn-subscriber`

export function keepSubscribersLinked (host: Host, gossip: Gossip, topics: Topic[]): () => void {
  return gossip.onPeerSubscribed(topics, (peer) => {
    host.peerStore.merge(peer, { tags: { [TAG]: { value: 100 } } }).catch(() => {})
  })
}
