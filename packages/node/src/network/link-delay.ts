/**
 * Emulated network latency for simulations: a TCP transport whose connections hold every chunk
 * they read from the socket for a one-way delay before libp2p sees it.
 *
 * What exactly is delayed: each `data` event of the raw TCP socket (below Noise and Yamux, so
 * handshakes, gossip RPCs, streams and their frames alike), and the socket's end, on the
 * receiving side of every connection. Each direction of a connection is thus delayed once, as
 * on a real link. A chunk is held for a delay drawn per chunk, but never delivered before an
 * earlier chunk of the same connection (TCP is in order): a short draw after a long one waits
 * behind it. On loopback a gossip RPC of up to a few KiB is one chunk, so this is a drawn delay
 * per message and hop. Connections relayed through a circuit-relay server ride on delayed TCP
 * connections and get one delay per hop.
 */
import type { ComponentLogger, Connection, CreateListenerOptions, DialTransportOptions, Listener, MultiaddrConnection, Transport, Upgrader } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

/** Draws one one-way delay in milliseconds. */
export type DrawDelay = () => number

/** The receiving half of a TCP multiaddr connection (`AbstractMessageStream` in @libp2p/utils). */
interface Receiving {
  onData: (data: unknown) => void
  onTransportClosed: (err?: Error) => void
}

function delayReceiving (conn: MultiaddrConnection, draw: DrawDelay): void {
  const rx = conn as unknown as Receiving
  if (typeof rx.onData !== 'function' || typeof rx.onTransportClosed !== 'function') return
  const onData = rx.onData.bind(rx)
  const onClosed = rx.onTransportClosed.bind(rx)
  const queue: Array<{ at: number, run: () => void }> = []
  let timer: ReturnType<typeof setTimeout> | undefined
  let last = 0
  const pump = (): void => {
    timer = undefined
    const now = performance.now()
    while (queue.length > 0 && queue[0].at <= now + 0.5) queue.shift()!.run()
    if (queue.length > 0) timer = setTimeout(pump, queue[0].at - now).unref()
  }
  const push = (run: () => void): void => {
    const now = performance.now()
    const at = Math.max(last, now + Math.max(0, draw()))
    last = at
    queue.push({ at, run })
    // Unref'd: an emulated delay must not keep a process alive once its sockets are gone.
    if (timer === undefined) timer = setTimeout(pump, at - now).unref()
  }
  rx.onData = (data) => { push(() => { onData(data) }) }
  rx.onTransportClosed = (err) => { push(() => { onClosed(err) }) }
}

function delayingUpgrader (upgrader: Upgrader, draw: DrawDelay): Upgrader {
  return new Proxy(upgrader, {
    get (target, prop) {
      if (prop === 'upgradeInbound' || prop === 'upgradeOutbound') {
        return async (maConn: MultiaddrConnection, opts: never) => {
          delayReceiving(maConn, draw)
          return await (target[prop] as (c: MultiaddrConnection, o: never) => Promise<unknown>).call(target, maConn, opts)
        }
      }
      const value: unknown = Reflect.get(target, prop)
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value
    }
  })
}

/** Wraps a transport factory (e.g. `tcp()`) so every connection it makes or accepts is delayed by `draw`. */
export function delayedTransport<C extends { logger: ComponentLogger }> (factory: (components: C) => Transport, draw: DrawDelay): (components: C) => Transport {
  return (components) => {
    const transport = factory(components)
    const dial = transport.dial.bind(transport)
    const createListener = transport.createListener.bind(transport)
    transport.dial = async (ma: Multiaddr, options: DialTransportOptions): Promise<Connection> => await dial(ma, { ...options, upgrader: delayingUpgrader(options.upgrader, draw) })
    transport.createListener = (options: CreateListenerOptions): Listener => createListener({ ...options, upgrader: delayingUpgrader(options.upgrader, draw) })
    return transport
  }
}
