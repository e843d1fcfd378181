/**
 * A light client for user commands: an ephemeral libp2p identity (so several commands can run
 * at once), the user's persistent wallet, DHT in client mode, and gossip for the topics it asks
 * for. `connect` returns once a bootstrap peer is connected and the mesh is ready to carry them.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { multiaddr } from '@multiformats/multiaddr'
import type { LocalAccount } from 'viem/accounts'
import { KIND_TOPIC, TOPICS, type MessageKind, type Topic } from '@dcn/protocol'
import { createHost, gossipInternals, type Host } from '../host.js'
import { Gossip } from '../network/gossip.js'
import { linkMatchers } from '../network/rendezvous.js'
import { NodeMetrics } from '../metrics.js'
import { silent, type Logger } from '../log.js'
import { UserError } from '../errors.js'
import type { NetworkInfo } from './network.js'
import type { DrawDelay } from '../network/link-delay.js'

/** How long to wait for gossipsub to graft us into each topic's mesh (one heartbeat and a bit). */
const MESH_WAIT_MS = 1500
/** Matchers a client that waits for decisions links to directly (network/rendezvous.ts). */
const MAX_MATCHER_LINKS = 8
/** With no subscriber seen this long after connecting, reconnect (a gossip stream open may have failed). */
const REDIAL_AFTER_MS = 4000

export interface LightClient {
  host: Host
  gossip: Gossip
  wallet: LocalAccount
  stop: () => Promise<void>
}

export interface ConnectOptions {
  wallet: LocalAccount
  /** Kinds this client will receive; the client subscribes before it returns. */
  receive: MessageKind[]
  /** Topics it will publish on: waits until a peer subscribes to each. */
  publish: Topic[]
  timeoutMs?: number
  log?: Logger
  /** Simulations: emulated one-way delay of what this client receives (network/link-delay.ts). */
  linkDelay?: DrawDelay
}

export async function connect (net: NetworkInfo, opts: ConnectOptions): Promise<LightClient> {
  const log = opts.log ?? silent
  const host = await createHost({ privateKey: await generateKeyPair('Ed25519'), listen: [], client: true, linkDelay: opts.linkDelay })
  const gossip = new Gossip({ host, chainId: net.chainId, wallet: opts.wallet, metrics: new NodeMetrics(), log })
  const linking = new AbortController()
  const stop = async (): Promise<void> => { linking.abort(); await host.stop() }
  const timeoutMs = opts.timeoutMs ?? 10_000
  try {
    const receiveTopics = [...new Set(opts.receive.map(k => KIND_TOPIC[k]))]
    for (const t of receiveTopics) gossip.join(t)
    const errors: string[] = []
    const dials = net.bootstrap.map(async a => await host.dial(multiaddr(a), { signal: AbortSignal.timeout(timeoutMs) }).catch((err: Error) => { errors.push(`${a}: ${err.message}`); throw err }))
    await Promise.any(dials).catch(() => {
      throw new UserError(`cannot reach the network (${errors.length === 0 ? 'no bootstrap address' : errors.join('; ')})`, 1)
    })
    const pubsub = host.services.pubsub
    // Every topic we use needs a connected peer subscribed to it. The mesh (a graft accepted)
    // speeds delivery but is not required: publishers flood to every subscribed peer and
    // gossip covers the rest, and a busy peer may prune us from a full mesh.
    const topics = [...new Set([...opts.publish, ...receiveTopics])]
    const until = Date.now() + timeoutMs
    let redialAt = Date.now() + REDIAL_AFTER_MS
    for (let missing = topics.find(t => pubsub.getSubscribers(t).length === 0); missing !== undefined; missing = topics.find(t => pubsub.getSubscribers(t).length === 0)) {
      if (Date.now() > until) throw new UserError(`connected, but no peer listens on ${missing}: is a matcher or provider running?`, 1)
      if (Date.now() > redialAt) {
        // Gossipsub opens its stream once per connection and never retries: a fresh connection does.
        redialAt = Date.now() + REDIAL_AFTER_MS
        await Promise.allSettled(host.getConnections().map(async conn => await conn.close()))
        await Promise.any(net.bootstrap.map(async a => await host.dial(multiaddr(a), { signal: AbortSignal.timeout(timeoutMs) }))).catch(() => {})
      }
      await new Promise(resolve => setTimeout(resolve, 50))
    }
    if (opts.receive.includes('match') || opts.receive.includes('no-match')) {
      // In the background: a decision comes after the bid window, by when the links are up.
      void linkMatchers(host, MAX_MATCHER_LINKS, AbortSignal.any([linking.signal, AbortSignal.timeout(timeoutMs)]))
        .then(n => { if (n > 0) log.debug('linked to matchers', { count: n }) })
        .catch((err: Error) => { log.debug('could not link to matchers', { error: err.message }) })
    }
    const meshUntil = Date.now() + MESH_WAIT_MS
    while (Date.now() < meshUntil && !receiveTopics.every(t => gossipInternals(host).getMeshPeers(t).length > 0)) {
      await new Promise(resolve => setTimeout(resolve, 50))
    }
    return { host, gossip, wallet: opts.wallet, stop }
  } catch (err) {
    await stop()
    throw err
  }
}

export const MARKET_TOPICS = { orders: TOPICS.orders, bids: TOPICS.bids, matches: TOPICS.matches }
