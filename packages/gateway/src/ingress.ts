/**
 * The gateway's public side. Each exposed endpoint gets a TCP port of its own from a pool, and
 * optionally a host name `<key>.<domain>` on one shared HTTP port. Every inbound connection
 * opens a tunnel to one of the endpoint's routes (replicas of a service: round robin, a route
 * whose tunnel fails is skipped and tried last for a while) and the connection's bytes are piped
 * through it unchanged.
 *
 * HTTP routing looks at the first request's Host header only; the connection then belongs to
 * that backend (keep-alive requests, bodies and upgrades go through as bytes). Unknown hosts get
 * a 404, malformed requests a 400, both with a one-line body and the connection closed.
 */
import type { Server, Socket } from 'node:net'
import type { PeerId } from '@libp2p/interface'
import { parseHead } from './http-head.js'
import { createReadingServer } from './reading-server.js'
import { readChunks } from './socket-reads.js'
import { parseTunnelRequest, type TunnelLog, type TunnelRequest } from './tunnel.js'

/** Where a connection to an endpoint goes: a fizz node and the container port behind it. */
export interface Route {
  peer: PeerId
  request: TunnelRequest
}

/** What the ingress needs of an opened tunnel (`Tunnel` of `openTunnel` fits). */
export interface TunnelLike {
  /** Pipes both ways, sending `head` first; settles when the connection is over. */
  pipe: (socket: Socket, head?: Uint8Array) => Promise<unknown>
  abort: (reason?: string) => void
}

export interface IngressOptions {
  /** Address the pool ports and the HTTP port listen on (e.g. '0.0.0.0'). */
  bindHost: string
  /** TCP ports handed to endpoints, both ends included. */
  ports: { from: number, to: number }
  /** The shared HTTP port (0: any free port, see `listenHttp()`). */
  httpPort: number
  /** Endpoints with `http` are `<key>.<domain>`. */
  domain: string
  /** Opens a tunnel along a route; rejects when it cannot (the next route is tried). */
  open: (target: Route) => Promise<TunnelLike>
  /** The first request's head must be complete this soon (default 30 s). */
  headTimeoutMs?: number
  /** Largest request head routed by Host (default 16 KiB; 431 past it). */
  maxHeadBytes?: number
  /** A route whose tunnel failed is tried after the others for this long (default 5 s). */
  retryAfterMs?: number
  log?: TunnelLog
}

export interface ExposeOptions {
  /** Also route `<key>.<domain>` on the HTTP port. */
  http: boolean
  /**
   * This pool port rather than the next free one (an endpoint restored after a restart keeps
   * its port); throws when it is outside the pool or taken.
   */
  port?: number
}

export interface Exposed {
  tcpPort: number
  /** `<key>.<domain>` when exposed with `http`. */
  httpHost?: string
  /** The shared HTTP port, when exposed with `http`. */
  httpPort?: number
}

export interface EndpointInfo extends Exposed {
  key: string
  routes: Route[]
  /** Client connections open right now (TCP and HTTP). */
  connections: number
}

interface Entry {
  key: string
  server: Server
  tcpPort: number
  httpHost?: string
  routes: Route[]
  next: number
  sockets: Set<Socket>
}

const KEY = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/
const REASONS: Record<number, string> = { 400: 'Bad Request', 404: 'Not Found', 408: 'Request Timeout', 431: 'Request Header Fields Too Large', 502: 'Bad Gateway' }
const noop = (): void => {}
/** Accepted sockets reach `accept`/`acceptHttp` paused and read with `onread` (reading-server.ts). */
const SOCKET_OPTIONS = { allowHalfOpen: true, noDelay: true, keepAlive: true, keepAliveInitialDelay: 30_000 }

function checkPort (n: unknown, what: string, min = 1): number {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > 65535) throw new Error(`${what} must be a port number (${min}-65535), got ${String(n)}`)
  return n
}

const routeId = (r: Route): string => `${r.peer.toString()}/${r.request.leaseId}/${r.request.service}/${r.request.replica}/${r.request.port}`

export class Ingress {
  private readonly entries = new Map<string, Entry>()
  private readonly byHost = new Map<string, Entry>()
  /** Pool ports being bound or bound by an endpoint. */
  private readonly reserved = new Set<number>()
  /** Routes whose last tunnel failed, until when they go last. */
  private readonly failed = new Map<string, number>()
  private readonly httpSockets = new Set<Socket>()
  private readonly domain: string
  private cursor = 0
  private http: Server | undefined
  private httpListening: Promise<number> | undefined
  private closed = false

  constructor (private readonly opts: IngressOptions) {
    checkPort(opts.ports?.from, 'ports.from')
    checkPort(opts.ports?.to, 'ports.to')
    if (opts.ports.from > opts.ports.to) throw new Error(`ports.from (${opts.ports.from}) is above ports.to (${opts.ports.to})`)
    checkPort(opts.httpPort, 'httpPort', 0)
    this.domain = opts.domain.toLowerCase().replace(/^\.+|\.+$/g, '')
    if (!/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/.test(this.domain)) throw new Error(`domain "${opts.domain}" is not a DNS name`)
  }

  /**
   * Exposes `routes` on a free pool port (and `<key>.<domain>` with `http`). Throws when the key
   * is taken or not a DNS label, when every pool port is in use, or the HTTP port cannot be bound.
   */
  async expose (key: string, routes: Route[], opts: ExposeOptions): Promise<Exposed> {
    if (this.closed) throw new Error('the ingress is closed')
    if (!KEY.test(key)) throw new Error(`endpoint key "${key}" must be a DNS label (lowercase letters, digits, dashes; up to 63)`)
    if (this.entries.has(key)) throw new Error(`endpoint "${key}" is already exposed (use update to change its routes)`)
    const checked = this.checkRoutes(routes)
    const httpHost = opts.http ? `${key}.${this.domain}` : undefined
    const httpPort = opts.http ? await this.listenHttp() : undefined
    if (this.entries.has(key)) throw new Error(`endpoint "${key}" is already exposed (use update to change its routes)`)
    const entry: Entry = { key, server: undefined as unknown as Server, tcpPort: 0, httpHost, routes: checked, next: 0, sockets: new Set() }
    this.entries.set(key, entry)
    try {
      const { server, port } = await this.listenPool(socket => { this.accept(entry, socket) }, opts.port)
      entry.server = server
      entry.tcpPort = port
    } catch (err) {
      this.entries.delete(key)
      throw err
    }
    if (this.closed || this.entries.get(key) !== entry) {
      entry.server.close()
      this.reserved.delete(entry.tcpPort)
      throw new Error(`endpoint "${key}" was removed while it was being exposed`)
    }
    if (httpHost !== undefined) this.byHost.set(httpHost, entry)
    this.opts.log?.debug('endpoint exposed', { key, tcpPort: entry.tcpPort, httpHost, routes: checked.length })
    return httpHost === undefined ? { tcpPort: entry.tcpPort } : { tcpPort: entry.tcpPort, httpHost, httpPort }
  }

  /** Replaces an endpoint's routes; connections already piped stay where they are. */
  update (key: string, routes: Route[]): void {
    const entry = this.entries.get(key)
    if (entry === undefined) throw new Error(`endpoint "${key}" is not exposed`)
    entry.routes = this.checkRoutes(routes)
  }

  /** Closes the endpoint's port and host name and its open connections. False if it was not exposed. */
  async unexpose (key: string): Promise<boolean> {
    const entry = this.entries.get(key)
    if (entry === undefined) return false
    this.entries.delete(key)
    if (entry.httpHost !== undefined && this.byHost.get(entry.httpHost) === entry) this.byHost.delete(entry.httpHost)
    for (const s of entry.sockets) s.destroy()
    if (entry.server !== undefined) {
      await new Promise<void>(resolve => { entry.server.close(() => { resolve() }) })
      this.reserved.delete(entry.tcpPort)
    }
    this.opts.log?.debug('endpoint closed', { key, tcpPort: entry.tcpPort })
    return true
  }

  endpoints (): EndpointInfo[] {
    return [...this.entries.values()].filter(e => e.tcpPort !== 0).map(e => ({
      key: e.key,
      tcpPort: e.tcpPort,
      ...(e.httpHost === undefined ? {} : { httpHost: e.httpHost, httpPort: this.boundHttpPort }),
      routes: [...e.routes],
      connections: e.sockets.size
    }))
  }

  /** The HTTP port once it listens. */
  get boundHttpPort (): number | undefined {
    const a = this.http?.address()
    return typeof a === 'object' && a !== null ? a.port : undefined
  }

  /** Starts the shared HTTP port (expose with `http` does it too); resolves with its number. */
  async listenHttp (): Promise<number> {
    if (this.closed) throw new Error('the ingress is closed')
    this.httpListening ??= (async () => {
      const server = createReadingServer(SOCKET_OPTIONS, socket => { this.acceptHttp(socket) })
      this.http = server
      try {
        await listen(server, this.opts.bindHost, this.opts.httpPort)
      } catch (err) {
        this.http = undefined
        throw new Error(`cannot listen on HTTP port ${this.opts.bindHost}:${this.opts.httpPort}: ${(err as Error).message}`)
      }
      return this.boundHttpPort!
    })()
    try {
      return await this.httpListening
    } catch (err) {
      this.httpListening = undefined
      throw err
    }
  }

  /** Closes every endpoint, the HTTP port and all connections. */
  async close (): Promise<void> {
    this.closed = true
    await Promise.all([...this.entries.keys()].map(async k => await this.unexpose(k)))
    for (const s of this.httpSockets) s.destroy()
    const http = this.http
    this.http = undefined
    if (http !== undefined) await new Promise<void>(resolve => { http.close(() => { resolve() }) })
  }

  private checkRoutes (routes: Route[]): Route[] {
    if (!Array.isArray(routes)) throw new Error('routes must be a list')
    return routes.map((r, i) => {
      if (typeof r?.peer?.toString !== 'function') throw new Error(`routes[${i}].peer is not a peer id`)
      return { peer: r.peer, request: parseTunnelRequest(r.request) }
    })
  }

  /** Binds the next free pool port (round the pool from the last one handed out). */
  private async listenPool (onConnection: (socket: Socket) => void, wanted?: number): Promise<{ server: Server, port: number }> {
    const { from, to } = this.opts.ports
    const size = to - from + 1
    const server = (): Server => createReadingServer(SOCKET_OPTIONS, onConnection)
    if (wanted !== undefined) {
      if (!Number.isInteger(wanted) || wanted < from || wanted > to) throw new Error(`port ${wanted} is outside the pool ${from}-${to}`)
      if (this.reserved.has(wanted)) throw new Error(`port ${wanted} is used by another endpoint`)
      this.reserved.add(wanted)
      const s = server()
      try {
        await listen(s, this.opts.bindHost, wanted)
      } catch (err) {
        this.reserved.delete(wanted)
        const code = (err as NodeJS.ErrnoException).code
        throw new Error(code === 'EADDRINUSE' ? `port ${wanted} is in use by another program` : `cannot listen on ${this.opts.bindHost}:${wanted}: ${(err as Error).message}`)
      }
      return { server: s, port: wanted }
    }
    let taken = 0
    for (let i = 0; i < size; i++) {
      const port = from + (this.cursor + i) % size
      if (this.reserved.has(port)) continue
      this.reserved.add(port)
      const s = server()
      try {
        await listen(s, this.opts.bindHost, port)
      } catch (err) {
        this.reserved.delete(port)
        const code = (err as NodeJS.ErrnoException).code
        if (code === 'EADDRINUSE' || code === 'EACCES') { taken++; continue }
        throw new Error(`cannot listen on ${this.opts.bindHost}:${port}: ${(err as Error).message}`)
      }
      this.cursor = (port - from + 1) % size
      return { server: s, port }
    }
    throw new Error(`no free port in ${from}-${to} on ${this.opts.bindHost}: ${size - taken} used by endpoints, ${taken} by other programs`)
  }

  private track (entry: Entry, socket: Socket): void {
    entry.sockets.add(socket)
    socket.once('close', () => { entry.sockets.delete(socket) })
  }

  private accept (entry: Entry, socket: Socket): void {
    socket.on('error', noop)
    if (this.entries.get(entry.key) !== entry) { socket.destroy(); return }
    this.track(entry, socket)
    void this.forward(entry, socket, undefined, false)
  }

  /** Opens a tunnel along the entry's routes (round robin, failed ones last) and pipes `socket` into it. */
  private async forward (entry: Entry, socket: Socket, head: Uint8Array | undefined, http: boolean): Promise<void> {
    const routes = entry.routes
    const now = Date.now()
    for (const [id, until] of this.failed) if (until <= now) this.failed.delete(id)
    const start = entry.next++ % Math.max(1, routes.length)
    const order = routes.map((_r, i) => routes[(start + i) % routes.length])
    const healthy = order.filter(r => (this.failed.get(routeId(r)) ?? 0) <= now)
    const failing = order.filter(r => (this.failed.get(routeId(r)) ?? 0) > now)
    let lastError = 'no routes'
    for (const route of [...healthy, ...failing]) {
      if (socket.destroyed) return
      let tunnel: TunnelLike
      try {
        tunnel = await this.opts.open(route)
      } catch (err) {
        lastError = (err as Error).message
        this.failed.set(routeId(route), Date.now() + (this.opts.retryAfterMs ?? 5_000))
        this.opts.log?.debug('route failed', { key: entry.key, peer: route.peer.toString(), replica: route.request.replica, error: lastError })
        continue
      }
      this.failed.delete(routeId(route))
      if (socket.destroyed || this.entries.get(entry.key) !== entry) {
        tunnel.abort('client connection closed')
        return
      }
      await tunnel.pipe(socket, head)
      return
    }
    this.opts.log?.warn('no route reachable', { key: entry.key, routes: routes.length, error: lastError })
    if (http) respond(socket, 502, `no replica of ${entry.key} is reachable`)
    else socket.resetAndDestroy()
  }

  private acceptHttp (socket: Socket): void {
    socket.on('error', noop)
    this.httpSockets.add(socket)
    socket.once('close', () => { this.httpSockets.delete(socket) })
    const maxHead = this.opts.maxHeadBytes ?? 16 * 1024
    let buf: Buffer = Buffer.alloc(0)
    const timer = setTimeout(() => { finish(); respond(socket, 408, 'no complete request head in time') }, this.opts.headTimeoutMs ?? 30_000)
    timer.unref()
    const finish = (): void => {
      clearTimeout(timer)
      stopReading()
      socket.removeListener('end', onEnd)
      socket.pause()
    }
    const onData = (chunk: Buffer): void => {
      buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk])
      const head = parseHead(buf, maxHead)
      if (head.kind === 'incomplete') return
      finish()
      if (head.kind === 'bad') { respond(socket, head.status, head.reason); return }
      const entry = this.byHost.get(head.host)
      if (entry === undefined) { respond(socket, 404, `no service at ${head.host}`); return }
      this.track(entry, socket)
      void this.forward(entry, socket, buf, true)
    }
    const onEnd = (): void => {
      finish()
      if (buf.length === 0) socket.end()
      else respond(socket, 400, 'connection ended inside the request head')
    }
    const stopReading = readChunks(socket, onData)
    socket.on('end', onEnd)
    socket.resume()
  }
}

/** A one-line plain-text answer, then the connection is closed (what the client still sends is dropped). */
function respond (socket: Socket, status: number, message: string): void {
  if (socket.destroyed || socket.writableEnded) return
  const body = message.replace(/[\r\n]+/g, ' ') + '\n'
  socket.end(`HTTP/1.1 ${status} ${REASONS[status] ?? ''}\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`)
  readChunks(socket, noop)
  socket.resume()
  setTimeout(() => { socket.destroy() }, 5_000).unref()
}

async function listen (server: Server, host: string, port: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error): void => { reject(err) }
    server.once('error', onError)
    server.listen({ host, port, exclusive: true }, () => {
      server.removeListener('error', onError)
      resolve()
    })
  })
}
