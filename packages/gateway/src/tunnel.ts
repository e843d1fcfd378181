/**
 * `/dcn/tunnel/1.0.0`: the gateway reaches a container port on a fizz node over the fizz
 * node's own (outbound) libp2p connection.
 *
 * The gateway opens a stream and sends one frame, the request `{ leaseId, service, replica,
 * port }` (4-byte big-endian length + JSON, as `Frames` of @dcn/protocol); the fizz node answers
 * `{ ok: true }` once it has a TCP connection to the container, or `{ ok: false, error }`. After
 * the answer the stream carries the connection's raw bytes both ways; each side closing its
 * writing side is the TCP FIN of its socket, a reset of either is a reset of the other.
 */
import type { Socket } from 'node:net'
import type { AbortOptions, Connection, PeerId, Stream, StreamHandler, StreamHandlerOptions } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import { FrameError, Frames, PROTOCOLS, SchemaError, obj, str, uint } from '@dcn/protocol'
import { FrameReader } from './frame-reader.js'
import { splice, type SpliceResult } from './splice.js'
import { connectSlabReads } from './socket-reads.js'

export const TUNNEL_PROTOCOL = PROTOCOLS.tunnel

/** Which container port a tunnel goes to. */
export interface TunnelRequest {
  /** The lease, a decimal uint256 as everywhere on the wire. */
  leaseId: string
  /** The service name of the lease's manifest. */
  service: string
  /** Which replica of the service (0-based). */
  replica: number
  /** The container port as the manifest exposes it. */
  port: number
}

/** The parts of a libp2p host tunnels use (a `Libp2p` fits). */
export interface TunnelHost {
  handle: (protocol: string, handler: StreamHandler, options?: StreamHandlerOptions) => Promise<void>
  unhandle: (protocol: string, options?: AbortOptions) => Promise<void>
  dialProtocol: (peer: PeerId | Multiaddr, protocol: string, options?: { signal?: AbortSignal, maxOutboundStreams?: number }) => Promise<Stream>
}

/** The subset of a logger tunnels write to (the node's `Logger` fits). */
export interface TunnelLog {
  debug: (msg: string, fields?: Record<string, unknown>) => void
  warn: (msg: string, fields?: Record<string, unknown>) => void
}

/** Maps a request to the container's address, or throws an Error whose message is the refusal. */
export type TunnelResolver = (req: TunnelRequest, from: PeerId) => Promise<{ host: string, port: number }>

/** A request frame larger than this is refused before it is read. */
export const MAX_TUNNEL_REQUEST_BYTES = 4096
/** An answer frame larger than this is a broken peer. */
const MAX_ANSWER_BYTES = 4096
/** Refusal messages are cut to this many characters. */
const MAX_ERROR_CHARS = 300

/** A refusal from the other side (or a malformed request): `message` is one line. */
export class TunnelError extends Error {
  constructor (message: string) { super(message); this.name = 'TunnelError' }
}

const SERVICE_NAME = /^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$/
const parseRequestShape = obj({
  leaseId: str({ min: 1, max: 78, pattern: /^[1-9][0-9]*$/ }),
  service: str({ min: 1, max: 32, pattern: SERVICE_NAME }),
  replica: uint(65535),
  port: uint(65535, 1)
})

/** Checks a tunnel request strictly (exact fields and types); throws a one-line TunnelError. */
export function parseTunnelRequest (value: unknown): TunnelRequest {
  try {
    return parseRequestShape(value, 'request')
  } catch (err) {
    throw new TunnelError(`invalid tunnel request: ${(err as Error).message}`)
  }
}

const oneLine = (s: string): string => {
  const line = s.replace(/[\r\n]+/g, ' ').trim()
  return line.length > MAX_ERROR_CHARS ? line.slice(0, MAX_ERROR_CHARS - 1) + '…' : line
}

const describe = (r: TunnelRequest): string => `lease ${r.leaseId} service ${r.service} replica ${r.replica} port ${r.port}`

// ---------------------------------------------------------------------------------------------
// The fizz side

export interface HandleTunnelsOptions {
  /** The request frame must arrive this soon after the stream opens (default 10 s). */
  requestTimeoutMs?: number
  /** Connecting to the container gives up after this long (default 10 s). */
  connectTimeoutMs?: number
  /** Concurrent tunnels per connection (default 1024; libp2p's own default is 32). */
  maxInboundStreams?: number
  log?: TunnelLog
}

export interface TunnelHandler {
  /** Tunnels piping bytes right now. */
  readonly active: number
  /** Stops accepting tunnels and resets the open ones. */
  close: () => Promise<void>
}

/**
 * Serves `/dcn/tunnel/1.0.0` on a fizz node: each stream's request is checked, `resolve`d to a
 * container address (its Error message is sent back as the refusal: port not exposed, peer not
 * our gateway, …), connected over TCP, answered, then piped both ways. Never throws on input.
 */
export async function handleTunnels (host: TunnelHost, resolve: TunnelResolver, opts: HandleTunnelsOptions = {}): Promise<TunnelHandler> {
  const requestTimeoutMs = opts.requestTimeoutMs ?? 10_000
  const connectTimeoutMs = opts.connectTimeoutMs ?? 10_000
  const log = opts.log
  const open = new Set<{ stream: Stream, socket?: Socket }>()
  let closed = false

  const serve = async (stream: Stream, connection: Connection): Promise<void> => {
    const entry: { stream: Stream, socket?: Socket } = { stream }
    open.add(entry)
    const reader = new FrameReader(stream)
    const from = connection.remotePeer
    let req: TunnelRequest | undefined
    try {
      if (closed) throw new TunnelError('tunnels are shutting down')
      req = parseTunnelRequest(await reader.readJson(MAX_TUNNEL_REQUEST_BYTES, requestTimeoutMs))
      // Nothing more is read (the stream is paused) until the pipe starts.
      const leftover = reader.detach()
      let target: { host: string, port: number }
      try {
        target = await resolve(req, from)
      } catch (err) {
        throw new TunnelError(oneLine((err as Error)?.message ?? String(err)))
      }
      if (typeof target?.host !== 'string' || !Number.isInteger(target.port) || target.port < 1 || target.port > 65535) {
        throw new TunnelError(`no address for ${describe(req)}`)
      }
      if (stream.status !== 'open') throw new TunnelError('stream closed while connecting')
      const socket = await connectTcp(target.host, target.port, connectTimeoutMs).catch((err: Error) => {
        throw new TunnelError(`${describe(req!)} is not accepting connections: ${oneLine(err.message)}`)
      })
      entry.socket = socket
      if (stream.status !== 'open' || closed) {
        socket.destroy()
        throw new TunnelError('stream closed while connecting')
      }
      try {
        await new Frames(stream).writeJson({ ok: true })
      } catch (err) {
        socket.destroy()
        throw err
      }
      const result = await splice(stream, socket, { leftover })
      log?.debug('tunnel closed', { peer: from.toString(), ...req, ...stats(result) })
    } catch (err) {
      await refuse(stream, reader, err, log, from, req)
    } finally {
      open.delete(entry)
    }
  }

  await host.handle(TUNNEL_PROTOCOL, (stream, connection) => {
    // The handler returns at once: libp2p awaits it before finishing the stream's setup.
    serve(stream, connection).catch((err: Error) => {
      log?.warn('tunnel handler failed', { error: err.message })
      stream.abort(err)
    })
  }, { maxInboundStreams: opts.maxInboundStreams ?? 1024 })

  return {
    get active () { return [...open].filter(e => e.socket !== undefined).length },
    async close () {
      closed = true
      await host.unhandle(TUNNEL_PROTOCOL).catch(() => {})
      for (const e of open) {
        e.stream.abort(new Error('tunnels closed'))
        e.socket?.destroy()
      }
    }
  }
}

function stats (r: SpliceResult): Record<string, unknown> {
  return r.error === undefined ? { sent: r.sent, received: r.received } : { sent: r.sent, received: r.received, error: r.error }
}

/** Answers `{ ok: false, error }` (when the stream can still carry it) and closes. */
async function refuse (stream: Stream, reader: FrameReader, err: unknown, log: TunnelLog | undefined, from: PeerId, req?: TunnelRequest): Promise<void> {
  const known = err instanceof TunnelError || err instanceof FrameError || err instanceof SchemaError
  const message = known ? oneLine((err as Error).message) : 'the fizz node failed to open the tunnel'
  log?.debug('tunnel refused', { peer: from.toString(), ...(req ?? {}), error: known ? message : (err as Error)?.message })
  if (stream.status !== 'open' || stream.writeStatus !== 'writable') {
    stream.abort(new Error(message))
    return
  }
  // Whatever else the peer sends is dropped; it gets a few seconds to read the refusal.
  reader.discard()
  const timer = setTimeout(() => { stream.abort(new Error('tunnel refused')) }, 5_000)
  timer.unref()
  stream.addEventListener('close', () => { clearTimeout(timer) }, { once: true })
  try {
    await new Frames(stream).writeJson({ ok: false, error: message })
    await stream.close()
  } catch {
    stream.abort(new Error(message))
  }
}

/**
 * A TCP connection (half-open allowed, no Nagle), or the connect error. It reads with `onread`
 * (socket-reads.ts) and only once resumed (splice does it).
 */
export async function connectTcp (host: string, port: number, timeoutMs: number): Promise<Socket> {
  return await new Promise<Socket>((resolve, reject) => {
    const socket = connectSlabReads({ host, port, allowHalfOpen: true, noDelay: true, keepAlive: true, keepAliveInitialDelay: 30_000 })
    const timer = setTimeout(() => { socket.destroy(new Error(`connect timed out after ${timeoutMs} ms`)) }, timeoutMs)
    const onError = (err: Error): void => { clearTimeout(timer); reject(err) }
    socket.once('error', onError)
    socket.once('connect', () => {
      clearTimeout(timer)
      socket.removeListener('error', onError)
      // splice() installs its own; until then an error must not be uncaught.
      socket.on('error', () => {})
      resolve(socket)
    })
  })
}

// ---------------------------------------------------------------------------------------------
// The gateway side

export interface OpenTunnelOptions {
  /** Dial, request and answer together give up after this long (default 10 s). */
  timeoutMs?: number
  signal?: AbortSignal
  /** Concurrent tunnels per connection (default 1024). */
  maxOutboundStreams?: number
}

/** An accepted tunnel, waiting to be piped to a socket. */
export interface Tunnel {
  readonly stream: Stream
  /**
   * Pipes the tunnel and `socket` (created with `allowHalfOpen: true`) both ways until both
   * directions are finished, sending `head` (bytes already read from the socket) first.
   * Resolves with byte counts; rejects only when called a second time.
   */
  pipe: (socket: Socket, head?: Uint8Array) => Promise<SpliceResult>
  /** Resets the tunnel (when it will not be piped after all). */
  abort: (reason?: string) => void
}

/**
 * Opens a tunnel to a container port of a fizz node (`peer`: its peer id on the connection it
 * keeps open to us, or an address). Throws a TunnelError with the fizz node's reason when it
 * refuses, or why the stream could not be opened.
 */
export async function openTunnel (host: TunnelHost, peer: PeerId | Multiaddr, req: TunnelRequest, opts: OpenTunnelOptions = {}): Promise<Tunnel> {
  const request = parseTunnelRequest(req)
  const timeoutMs = opts.timeoutMs ?? 10_000
  const started = Date.now()
  const signal = opts.signal === undefined ? AbortSignal.timeout(timeoutMs) : AbortSignal.any([opts.signal, AbortSignal.timeout(timeoutMs)])
  let stream: Stream
  try {
    stream = await host.dialProtocol(peer, TUNNEL_PROTOCOL, { signal, maxOutboundStreams: opts.maxOutboundStreams ?? 1024 })
  } catch (err) {
    throw new TunnelError(`cannot open a tunnel to ${peer.toString()}: ${oneLine((err as Error).message)}`)
  }
  const reader = new FrameReader(stream)
  const onAbort = (): void => { stream.abort(new Error('tunnel request aborted')) }
  opts.signal?.addEventListener('abort', onAbort)
  let answer: unknown
  try {
    await new Frames(stream).writeJson(request)
    answer = await reader.readJson(MAX_ANSWER_BYTES, Math.max(1, timeoutMs - (Date.now() - started)))
  } catch (err) {
    stream.abort(err as Error)
    throw new TunnelError(`tunnel to ${describe(request)}: ${oneLine((err as Error).message)}`)
  } finally {
    opts.signal?.removeEventListener('abort', onAbort)
  }
  const a = answer as { ok?: unknown, error?: unknown } | null
  if (typeof a !== 'object' || a === null || typeof a.ok !== 'boolean') {
    stream.abort(new Error('malformed answer'))
    throw new TunnelError(`tunnel to ${describe(request)}: malformed answer`)
  }
  if (!a.ok) {
    reader.detach()
    stream.abort(new Error('refused'))
    throw new TunnelError(`tunnel to ${describe(request)} refused: ${typeof a.error === 'string' ? oneLine(a.error) : 'no reason given'}`)
  }
  const leftover = reader.detach()
  let piped = false
  return {
    stream,
    async pipe (socket, head) {
      if (piped) throw new TunnelError('a tunnel is piped once')
      piped = true
      return await splice(stream, socket, { leftover, head })
    },
    abort (reason = 'tunnel not used') {
      stream.abort(new Error(reason))
    }
  }
}
