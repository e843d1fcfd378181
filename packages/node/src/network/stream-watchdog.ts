/**
 * Repairs silent gossip links. Gossipsub opens its outbound stream once per connection and never
 * retries; when that open fails (a peer overloaded at start-up), the two peers stay connected
 * but never learn each other's subscriptions, and messages stop flowing between them. Every
 * dcn node subscribes to at least one topic, so a gossipsub peer that has told us of none after
 * `graceMs` has a broken link: close the connection, and the bootstrap redial or discovery
 * connects again with fresh streams. Connections carrying a dcn stream (lease access) are left alone.
 */
import { TOPICS } from '@dcn/protocol'
import type { Host } from '../host.js'
import type { Logger } from '../log.js'
import type { NodeMetrics } from '../metrics.js'

const GOSSIP_PROTOCOLS = ['/meshsub/1.2.0', '/meshsub/1.1.0', '/meshsub/1.0.0']

/** `exempt`: peers that legitimately subscribe to nothing (a gateway's fizz nodes). */
export function startStreamWatchdog (host: Host, log: Logger, metrics: NodeMetrics, exempt: (peer: string) => boolean = () => false, graceMs = 15_000, everyMs = 5_000): () => void {
  const check = async (): Promise<void> => {
    const pubsub = host.services.pubsub
    const subscribed = new Set<string>()
    for (const t of Object.values(TOPICS)) for (const p of pubsub.getSubscribers(t)) subscribed.add(p.toString())
    const now = Date.now()
    for (const conn of host.getConnections()) {
      const peer = conn.remotePeer.toString()
      if (subscribed.has(peer) || exempt(peer) || conn.status !== 'open' || now - conn.timeline.open < graceMs || conn.limits !== undefined) continue
      // A user following logs or in a shell needs no gossip.
      if (conn.streams.some(s => s.protocol?.startsWith('/dcn/') === true)) continue
      const protocols = await host.peerStore.get(conn.remotePeer).then(p => p.protocols, () => [] as string[])
      if (!protocols.some(p => GOSSIP_PROTOCOLS.includes(p))) continue
      log.debug('closing silent gossip link', { peer })
      metrics.gossipRepairs.inc()
      await conn.close().catch(() => { conn.abort(new Error('silent gossip link')) })
    }
  }
  const timer = setInterval(() => { void check().catch((err: Error) => { log.debug('watchdog failed', { error: err.message }) }) }, everyMs)
  timer.unref()
  return () => { clearInterval(timer) }
}
