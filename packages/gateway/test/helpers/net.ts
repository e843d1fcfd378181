/**
 * Test fixtures: minimal libp2p hosts on 127.0.0.1 (TCP, Noise, Yamux — the stack of every dcn
 * node, without the DHT and gossip), a "gateway" and a "fizz" node connected the way they are in
 * reality (the fizz node dials out and listens on nothing), and backends standing in for
 * containers: a TCP echo server, a TCP byte counter that answers after the client's FIN, and
 * HTTP servers that say who they are.
 */
import { createHash, randomBytes } from 'node:crypto'
import { createServer as createHttpServer, request as httpRequest, type Agent, type IncomingHttpHeaders, type Server as HttpServer } from 'node:http'
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net'
import { createLibp2p, type Libp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'

export async function makeHost (listen = true): Promise<Libp2p> {
  return await createLibp2p({
    addresses: { listen: listen ? ['/ip4/127.0.0.1/tcp/0'] : [] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()]
  })
}

/** A gateway listening on 127.0.0.1 and a fizz node (listening on nothing) connected to it. */
export async function gatewayAndFizz (): Promise<{ gateway: Libp2p, fizz: Libp2p }> {
  const gateway = await makeHost(true)
  const fizz = await makeHost(false)
  await fizz.dial(gateway.getMultiaddrs()[0])
  // The gateway registers the inbound connection a moment after the fizz node's dial returns.
  await waitFor(() => gateway.getConnections(fizz.peerId).length > 0, 5000, 'the gateway to see the fizz node')
  return { gateway, fizz }
}

export const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex')

export interface Backend { server: Server | HttpServer, port: number, connections: number, close: () => Promise<void> }

async function listenLocal (server: Server | HttpServer): Promise<number> {
  await new Promise<void>(resolve => { server.listen(0, '127.0.0.1', resolve) })
  return (server.address() as AddressInfo).port
}

function backend (server: Server | HttpServer, port: number): Backend {
  const sockets = new Set<Socket>()
  const b: Backend = {
    server,
    port,
    connections: 0,
    close: async () => {
      for (const s of sockets) s.destroy()
      await new Promise<void>(resolve => { server.close(() => { resolve() }) })
    }
  }
  server.on('connection', (s: Socket) => { b.connections++; sockets.add(s); s.once('close', () => sockets.delete(s)) })
  return b
}

/** Echoes every byte; ends its side after the client's FIN. */
export async function echoServer (): Promise<Backend> {
  const server = createServer({ allowHalfOpen: true }, s => { s.on('error', () => {}); s.pipe(s) })
  return backend(server, await listenLocal(server))
}

/** Reads until the client's FIN, waits a little, then answers `<bytes> <sha256>` and ends. */
export async function counterServer (): Promise<Backend> {
  const server = createServer({ allowHalfOpen: true }, s => {
    s.on('error', () => {})
    const hash = createHash('sha256')
    let n = 0
    s.on('data', (d: Buffer) => { n += d.length; hash.update(d) })
    s.on('end', () => { setTimeout(() => { s.end(`${n} ${hash.digest('hex')}`) }, 100) })
  })
  return backend(server, await listenLocal(server))
}

/** Answers JSON `{ name, method, url, host, bodyBytes, bodySha, remotePort }`. */
export async function httpServer (name: string): Promise<Backend> {
  const server = createHttpServer((req, res) => {
    const hash = createHash('sha256')
    let n = 0
    req.on('data', (d: Buffer) => { n += d.length; hash.update(d) })
    req.on('end', () => {
      res.setHeader('content-type', 'application/json')
      res.end(JSON.stringify({ name, method: req.method, url: req.url, host: req.headers.host, bodyBytes: n, bodySha: hash.digest('hex'), remotePort: req.socket.remotePort }))
    })
  })
  server.keepAliveTimeout = 30_000
  return backend(server, await listenLocal(server))
}

export interface HttpAnswer { status: number, headers: IncomingHttpHeaders, body: string, reusedSocket: boolean }

export async function get (port: number, host: string, opts: { method?: string, path?: string, body?: Uint8Array, agent?: Agent } = {}): Promise<HttpAnswer> {
  return await new Promise<HttpAnswer>((resolve, reject) => {
    const req = httpRequest({
      host: '127.0.0.1',
      port,
      method: opts.method ?? 'GET',
      path: opts.path ?? '/',
      headers: { host, ...(opts.body === undefined ? {} : { 'content-length': opts.body.length }) },
      agent: opts.agent ?? false
    }, res => {
      const chunks: Buffer[] = []
      res.on('data', (d: Buffer) => chunks.push(d))
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString(), reusedSocket: req.reusedSocket }) })
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end(opts.body)
  })
}

/** Writes `data` (then FIN unless `keepOpen`) on a TCP connection and collects all it receives until the server's FIN. */
export async function exchange (port: number, data: Uint8Array, opts: { chunk?: number } = {}): Promise<Buffer> {
  return await new Promise<Buffer>((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port, allowHalfOpen: true })
    const chunks: Buffer[] = []
    s.on('data', (d: Buffer) => chunks.push(d))
    s.on('end', () => { s.end(); resolve(Buffer.concat(chunks)) })
    s.on('error', reject)
    s.on('connect', () => {
      void (async () => {
        const step = opts.chunk ?? 256 * 1024
        for (let i = 0; i < data.length; i += step) {
          if (!s.write(data.subarray(i, i + step))) await new Promise(resolve => s.once('drain', resolve))
        }
        s.end()
      })()
    })
  })
}

/** Sends raw bytes and returns everything until the server closes. */
export async function raw (port: number, data: string | Uint8Array): Promise<string> {
  return await new Promise<string>((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port })
    let out = ''
    s.on('data', (d: Buffer) => { out += d.toString('latin1') })
    s.on('close', () => { resolve(out) })
    s.on('error', reject)
    s.write(data)
  })
}

/** A port nothing listens on (bound, then closed). */
export async function freePort (): Promise<number> {
  const s = createServer()
  const port = await listenLocal(s)
  await new Promise<void>(resolve => { s.close(() => { resolve() }) })
  return port
}

export async function canListen (port: number, host = '127.0.0.1'): Promise<boolean> {
  const s = createServer()
  return await new Promise<boolean>(resolve => {
    s.once('error', () => { resolve(false) })
    s.listen(port, host, () => { s.close(() => { resolve(true) }) })
  })
}

/** `count` consecutive ports from which all can be bound right now. */
export async function freeRange (count: number): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const from = 20_000 + Math.floor(Math.random() * 30_000)
    let ok = true
    for (let p = from; p < from + count && ok; p++) ok = await canListen(p)
    if (ok) return from
  }
  throw new Error(`no ${count} consecutive free ports`)
}

export async function waitFor (cond: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const until = Date.now() + timeoutMs
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 20))
  }
}

export { randomBytes }
