/**
 * Peer discovery. Bootstrap peers alone make a star around them, and a star starves gossipsub's
 * mesh (a peer keeps at most D_hi mesh links per topic). So while a node has fewer than
 * `targetPeers` connections it dials peers it already knows of (identify and DHT answers fill
 * the peer store), and only when it knows too few does it look up a random key in the DHT.
 * A lookup opens a link to every peer it asks (about 20); under a small link cap each of those
 * pushes someone over the cap, and the pruned peers look up in turn: at 500 emulated nodes,
 * walks were most of the links opened. A round whose dials all fail doubles the wait before the
 * next: on a loaded network (event loops seconds behind) every handshake timed out, and nodes
 * short of links redialling every 15 s kept the load up — at 500 emulated nodes a provider
 * worker made ~12 dials a second, nearly all failing, and the run never calmed down.
 */
import { randomBytes } from 'node:crypto'
import type { Peer, PeerId, PeerInfo } from '@libp2p/interface'
import { PROTOCOLS } from '@dcn/protocol'
import type { Host } from '../host.js'
import type { Logger } from '../log.js'

export interface DiscoveryOptions {
  targetPeers: number
  intervalMs: number
}

/** Longest wait between rounds after failures, as a multiple of `intervalMs`. */
const MAX_BACKOFF = 8

export function startDiscovery (host: Host, log: Logger, opts: DiscoveryOptions): () => void {
  let stopped = false
  let waitMs = opts.intervalMs
  let timer: ReturnType<typeof setTimeout> | undefined
  /** Whether the round dialled and none of its dials succeeded. */
  const round = async (): Promise<boolean> => {
    const missing = opts.targetPeers - host.getPeers().length
    if (missing <= 0 || host.getPeers().length === 0) return false
    const connected = new Set(host.getPeers().map(String))
    connected.add(host.peerId.toString())
    let picks = shuffle(await knownPeers(host, connected)).slice(0, missing)
    if (picks.length < missing) {
      const met = await walk(host, connected, missing * 2, Math.min(10_000, opts.intervalMs), log)
      picks = picks.concat(shuffle(met).slice(0, missing - picks.length))
    }
    const dials = await Promise.allSettled(picks.map(async p => await host.dial(p, { signal: AbortSignal.timeout(5000) })))
    return dials.length > 0 && dials.every(d => d.status === 'rejected')
  }
  // Failed rounds back off (doubling, up to MAX_BACKOFF intervals): when the network is loaded,
  // dialling harder only adds handshakes that time out, and the load never lifts.
  const schedule = (ms: number): void => {
    if (stopped) return
    timer = setTimeout(() => {
      void round().then(failed => {
        waitMs = failed ? Math.min(waitMs * 2, MAX_BACKOFF * opts.intervalMs) : opts.intervalMs
      }, (err: Error) => { log.debug('discovery round failed', { error: err.message }) }).finally(() => { schedule(waitMs) })
    }, ms)
    timer.unref()
  }
  schedule(1000 + Math.random() * 1000)
  return () => { stopped = true; clearTimeout(timer) }
}

/**
 * Full nodes in the peer store (serving the DHT, as those a walk meets) with a direct address,
 * other than `skip`. Fizz nodes and light clients are left alone: a fizz node talks to its
 * gateway only, and links from strangers would crowd out that one (on a devnet, where every node
 * is short of links, fizz nodes then missed challenges sent through their gateway).
 */
async function knownPeers (host: Host, skip: Set<string>): Promise<PeerId[]> {
  const direct = (p: Peer): boolean => p.addresses.some(a => !a.multiaddr.toString().includes('/p2p-circuit'))
  const peers = await host.peerStore.all({ filters: [(p) => !skip.has(p.id.toString()) && p.protocols.includes(PROTOCOLS.kad) && direct(p)] })
  return peers.map(p => p.id)
}

/** Up to `max` peers met on a DHT lookup of a random key, other than `skip`. */
async function walk (host: Host, skip: Set<string>, max: number, timeoutMs: number, log: Logger): Promise<PeerId[]> {
  const dht = host.services.dht
  if (dht === undefined) return []
  const seen = new Map<string, PeerId>()
  try {
    for await (const evt of dht.getClosestPeers(randomBytes(32), { signal: AbortSignal.timeout(timeoutMs) })) {
      const found: PeerInfo[] = evt.name === 'FINAL_PEER' ? [evt.peer] : evt.name === 'PEER_RESPONSE' ? evt.closer : []
      for (const p of found) {
        if (!skip.has(p.id.toString()) && p.multiaddrs.length > 0) seen.set(p.id.toString(), p.id)
      }
      if (seen.size >= max) break
    }
  } catch (err) {
    log.debug('random walk ended', { error: (err as Error).message })
  }
  return [...seen.values()]
}

function shuffle<T> (list: T[]): T[] {
  for (let i = list.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [list[i], list[j]] = [list[j], list[i]]
  }
  return list
}
