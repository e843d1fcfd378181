/**
 * Keeps connections to the bootstrap peers: dials every missing one at start, then again after
 * 0.5 s, doubling to `maxDelayMs` while any is missing (on a devnet a provider may start before
 * its matcher listens), and every `maxDelayMs` once all are connected.
 */
import { multiaddr } from '@multiformats/multiaddr'
import type { Host } from '../host.js'
import type { Logger } from '../log.js'

export function startBootstrap (host: Host, addrs: string[], log: Logger, maxDelayMs = 5_000): () => void {
  const bootstrap = addrs.map(a => multiaddr(a))
  /** Dials the bootstrap peers we are not connected to; true when none was missing. */
  const dialMissing = (): boolean => {
    let missing = false
    for (const ma of bootstrap) {
      const peer = ma.getComponents().findLast(c => c.name === 'p2p')?.value
      if (peer !== undefined && host.getPeers().some(p => p.toString() === peer)) continue
      missing = true
      host.dial(ma).catch((err: Error) => { log.debug('bootstrap dial failed', { addr: ma.toString(), error: err.message }) })
    }
    return !missing
  }
  let delayMs = 500
  let timer: NodeJS.Timeout | undefined
  const schedule = (): void => {
    timer = setTimeout(() => {
      delayMs = dialMissing() ? maxDelayMs : Math.min(delayMs * 2, maxDelayMs)
      schedule()
    }, delayMs)
    timer.unref()
  }
  dialMissing()
  schedule()
  return () => { clearTimeout(timer) }
}
