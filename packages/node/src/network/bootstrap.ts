/**
 * Dials the bootstrap peers, and dials again any that goes missing, each on its own backoff.
 * A node that has other peers does not need its bootstrap peers, and a bootstrap peer many nodes
 * start from is soon full: it refuses newcomers (libp2p denies inbound connections at its cap)
 * or prunes them. Redialling it every few seconds, as this did, cost both ends a connection
 * each time for nothing. So:
 * - a failed dial is retried after 0.5 s, doubling to `retryMaxMs` while this node has fewer
 *   than `minPeers` connections (cut off: bootstrap is its way in, e.g. a devnet matcher not yet
 *   listening), and to `idleRetryMaxMs` once it has them;
 * - a peer that drops us within `dropMinMs` of connecting is pruning newcomers: dialled again
 *   after `dropMinMs`, doubling to `dropMaxMs`;
 * - a link lost after a longer life (the peer restarted, the network blinked) is dialled again
 *   at once.
 * The links a role needs beyond that (matchers, subscribers) carry keep-alive tags, which libp2p
 * redials itself.
 */
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import { peerIdFromString } from '@libp2p/peer-id'
import type { Libp2p, PeerId } from '@libp2p/interface'
import type { Logger } from '../log.js'

export interface BootstrapOptions {
  retryMaxMs?: number
  idleRetryMaxMs?: number
  dropMinMs?: number
  dropMaxMs?: number
  minPeers?: number
  /** How often missing peers are looked for. */
  tickMs?: number
}

interface Target {
  ma: Multiaddr
  /** From the address, or learnt from the first connection. */
  peer?: PeerId
  /** Not dialled again before this. */
  nextAt: number
  failMs: number
  dropMs: number
  /** When our current link to it was made, while we hold one. */
  linkedAt?: number
  dialling: boolean
}

export function startBootstrap (host: Pick<Libp2p, 'dial' | 'getConnections'>, addrs: string[], log: Logger, opts: BootstrapOptions = {}): () => void {
  const retryMaxMs = opts.retryMaxMs ?? 5_000
  const idleRetryMaxMs = opts.idleRetryMaxMs ?? 60_000
  const dropMinMs = opts.dropMinMs ?? 15_000
  const dropMaxMs = opts.dropMaxMs ?? 300_000
  const minPeers = opts.minPeers ?? 2
  const targets: Target[] = addrs.map(a => {
    const ma = multiaddr(a)
    const id = ma.getComponents().findLast(c => c.name === 'p2p')?.value
    return { ma, peer: id === undefined ? undefined : peerIdFromString(id), nextAt: 0, failMs: 500, dropMs: dropMinMs, dialling: false }
  })

  const dial = (t: Target): void => {
    t.dialling = true
    host.dial(t.ma).then((conn) => {
      t.peer ??= conn.remotePeer
      t.linkedAt = Date.now()
      t.failMs = 500
    }, (err: Error) => {
      t.nextAt = Date.now() + t.failMs
      t.failMs *= 2
      log.debug('bootstrap dial failed', { addr: t.ma.toString(), error: err.message })
    }).finally(() => { t.dialling = false })
  }

  const tick = (): void => {
    const now = Date.now()
    let isolated: boolean | undefined
    for (const t of targets) {
      if (t.dialling) continue
      if (t.peer !== undefined && host.getConnections(t.peer).length > 0) {
        t.linkedAt ??= now
        continue
      }
      if (t.linkedAt !== undefined) {
        if (now - t.linkedAt < dropMinMs) {
          t.nextAt = now + t.dropMs
          t.dropMs = Math.min(t.dropMs * 2, dropMaxMs)
        } else {
          t.nextAt = now
          t.dropMs = dropMinMs
        }
        t.linkedAt = undefined
      }
      isolated ??= host.getConnections().length < minPeers
      t.failMs = Math.min(t.failMs, isolated ? retryMaxMs : idleRetryMaxMs)
      // Cut off, no bootstrap peer waits longer than retryMaxMs, whatever it did before.
      if (isolated) t.nextAt = Math.min(t.nextAt, now + retryMaxMs)
      if (now >= t.nextAt) dial(t)
    }
  }
  tick()
  const timer = setInterval(tick, opts.tickMs ?? 500)
  timer.unref()
  return () => { clearInterval(timer) }
}
