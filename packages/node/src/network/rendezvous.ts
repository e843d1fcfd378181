/**
 * Matchers find each other. Bids and heartbeats have few subscribers (matchers, and slarks and
 * gateways for heartbeats) and providers relay neither, so a provider's bid reaches the matcher it
 * is connected to and the other matchers only through that matcher's gossip mesh. Nothing else
 * links matchers: in a large network a matcher's DHT random walk stops once providers have
 * filled its connections, and matchers that are not each other's bootstrap peers stay apart, each
 * missing the bids and heartbeats of the others' providers. So every matcher announces itself in
 * the DHT under one well-known key, and looks the others up and dials those it is not connected to.
 */
import { createHash } from 'node:crypto'
import { CID } from 'multiformats/cid'
import { create as createDigest } from 'multiformats/hashes/digest'
import { KEEP_ALIVE, type PeerInfo } from '@libp2p/interface'
import type { Host } from '../host.js'
import type { Logger } from '../log.js'

/** The DHT key every matcher provides: sha256 of "dcn/1/matchers", as a raw CIDv1. */
export const MATCHERS_KEY = CID.createV1(0x55, createDigest(0x12, createHash('sha256').update('dcn/1/matchers').digest()))

/** A keep-alive tag: libp2p redials a tagged peer when its connection drops, and prunes it last. */
const MATCHER_TAG = `${KEEP_ALIVE}-dcn-matcher`

export interface RendezvousOptions {
  /** How often to look the other matchers up (and announce again if that failed). */
  intervalMs: number
  /** Most other matchers to keep linked (default 32). */
  maxMatchers?: number
}

export function startMatcherRendezvous (host: Host, log: Logger, opts: RendezvousOptions): () => void {
  const dht = host.services.dht
  if (dht === undefined) return () => {}
  let announced = false
  let announcedAt = 0
  let stopped = false
  const round = async (): Promise<void> => {
    if (stopped || host.getPeers().length === 0) return
    const signal = AbortSignal.timeout(Math.max(1000, Math.min(20_000, opts.intervalMs)))
    try {
      // Announced again every few rounds: the record sits on the peers closest to the key when it
      // was made, and peers that join later may be closer (and lack it).
      if (!announced || Date.now() - announcedAt >= 4 * opts.intervalMs) {
        for await (const evt of dht.provide(MATCHERS_KEY, { signal })) void evt
        announced = true
        announcedAt = Date.now()
      }
      const connected = new Set(host.getPeers().map(String))
      const picks = await findMatchers(host, opts.maxMatchers ?? 32, signal)
      let dialled = 0
      await Promise.allSettled(picks.map(async p => {
        // Not only dialled but kept, also a link kad-dht happened to make: libp2p redials a
        // keep-alive peer whose connection drops.
        await host.peerStore.merge(p.id, { multiaddrs: p.multiaddrs, tags: { [MATCHER_TAG]: { value: 50 } } })
        if (connected.has(p.id.toString())) return
        dialled++
        await host.dial(p.id, { signal: AbortSignal.timeout(5000) })
      }))
      if (dialled > 0) log.debug('dialled matchers found in the DHT', { count: dialled })
    } catch (err) {
      log.debug('matcher rendezvous round ended', { error: (err as Error).message })
    }
  }
  // Until the announcement is made (a matcher may start before it has any peer), retry soon:
  // 0.5 s, doubling up to the interval.
  let delayMs = 500
  let timer: NodeJS.Timeout | undefined
  const schedule = (): void => {
    timer = setTimeout(() => {
      void round().finally(() => {
        delayMs = announced ? opts.intervalMs : Math.min(delayMs * 2, opts.intervalMs)
        if (!stopped) schedule()
      })
    }, delayMs)
    timer.unref()
  }
  schedule()
  return () => { stopped = true; clearTimeout(timer) }
}

/** Up to `max` matchers announced under MATCHERS_KEY (not this node), with their addresses. */
export async function findMatchers (host: Host, max: number, signal: AbortSignal): Promise<PeerInfo[]> {
  const dht = host.services.dht
  if (dht === undefined) return []
  const self = host.peerId.toString()
  const found = new Map<string, PeerInfo>()
  for await (const evt of dht.findProviders(MATCHERS_KEY, { signal })) {
    if (evt.name !== 'PROVIDER') continue
    for (const p of evt.providers) {
      const id = p.id.toString()
      if (id !== self && !found.has(id) && p.multiaddrs.length > 0) found.set(id, p)
    }
    if (found.size >= max) break
  }
  return [...found.values()].slice(0, max)
}

/**
 * A user's client links to the matchers directly. A matcher publishes its decision to every
 * subscribed peer it is connected to, so a client linked to it hears that decision at once. A
 * client that hears decisions only through other peers' meshes misses some: as a newcomer it
 * is the first to be pruned from a full mesh, and gossip about a missed message reaches it only
 * by chance.
 */
export async function linkMatchers (host: Host, max: number, signal: AbortSignal): Promise<number> {
  const connected = new Set(host.getPeers().map(String))
  const picks = (await findMatchers(host, max, signal)).filter(p => !connected.has(p.id.toString()))
  const dialled = await Promise.allSettled(picks.map(async p => {
    await host.peerStore.merge(p.id, { multiaddrs: p.multiaddrs })
    await host.dial(p.id, { signal })
  }))
  return dialled.filter(d => d.status === 'fulfilled').length
}
