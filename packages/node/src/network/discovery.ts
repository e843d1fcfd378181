/**
 * Peer discovery by DHT random walk. Bootstrap peers alone make a star around them, and a star
 * starves gossipsub's mesh (a peer keeps at most D_hi mesh links per topic). So while a node
 * has fewer than `targetPeers` connections it looks up a random key and dials peers it meets.
 */
import { randomBytes } from 'node:crypto'
import type { PeerInfo } from '@libp2p/interface'
import type { Host } from '../host.js'
import type { Logger } from '../log.js'

export interface DiscoveryOptions {
  targetPeers: number
  intervalMs: number
}

export function startDiscovery (host: Host, log: Logger, opts: DiscoveryOptions): () => void {
  const dht = host.services.dht
  if (dht === undefined) return () => {}
  let running = false
  let stopped = false
  const walk = async (): Promise<void> => {
    if (running || stopped) return
    const missing = opts.targetPeers - host.getPeers().length
    if (missing <= 0 || host.getPeers().length === 0) return
    running = true
    const signal = AbortSignal.timeout(Math.min(10_000, opts.intervalMs))
    const connected = new Set(host.getPeers().map(String))
    const self = host.peerId.toString()
    const seen = new Map<string, PeerInfo>()
    try {
      for await (const evt of dht.getClosestPeers(randomBytes(32), { signal })) {
        const found: PeerInfo[] = evt.name === 'FINAL_PEER' ? [evt.peer] : evt.name === 'PEER_RESPONSE' ? evt.closer : []
        for (const p of found) {
          const id = p.id.toString()
          if (id !== self && !connected.has(id) && p.multiaddrs.length > 0) seen.set(id, p)
        }
        if (seen.size >= missing * 2) break
      }
    } catch (err) {
      log.debug('random walk ended', { error: (err as Error).message })
    }
    const picks = [...seen.values()].sort(() => Math.random() - 0.5).slice(0, missing)
    await Promise.allSettled(picks.map(async p => await host.dial(p.id, { signal: AbortSignal.timeout(5000) })))
    running = false
  }
  const first = setTimeout(() => { void walk() }, 1000 + Math.random() * 1000)
  const timer = setInterval(() => { void walk() }, opts.intervalMs)
  first.unref()
  timer.unref()
  return () => { stopped = true; clearTimeout(first); clearInterval(timer) }
}
