/**
 * The ingress end to end: a gateway and a fizz node (real libp2p hosts on 127.0.0.1, the fizz
 * node dialled out and listens on nothing), containers played by a TCP echo server, a TCP byte
 * counter and HTTP servers on the fizz side, clients connecting to the gateway's pool ports and
 * HTTP port.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { Agent } from 'node:http'
import { createHash } from 'node:crypto'
import { connect, createServer, type Server, type Socket } from 'node:net'
import type { Libp2p } from 'libp2p'
import { Ingress, connectTcp, handleTunnels, openTunnel, parseHead, hostName, type Route, type TunnelHandler, type TunnelRequest } from '../src/index.js'
import { hasSlabReads } from '../src/socket-reads.js'
import {
  canListen, counterServer, echoServer, exchange, freePort, freeRange, gatewayAndFizz, get, httpServer, randomBytes, raw, sha256, waitFor,
  type Backend
} from './helpers/net.js'

const DOMAIN = 'gw.test'
let gateway: Libp2p
let fizz: Libp2p
let handler: TunnelHandler
let ingress: Ingress
let httpPort: number
let pool: { from: number, to: number }
const backends: Record<string, Backend> = {}
/** Container port → local port, per service and replica (what the fizz node's runtime knows). */
const containers = new Map<string, number>()
let opened = 0

const key = (r: TunnelRequest): string => `${r.service}/${r.replica}/${r.port}`
const route = (service: string, replica: number, port: number): Route => ({ peer: fizz.peerId, request: { leaseId: '42', service, replica, port } })

test.before(async () => {
  ({ gateway, fizz } = await gatewayAndFizz())
  backends.echo = await echoServer()
  backends.counter = await counterServer()
  backends.alpha = await httpServer('alpha')
  backends.beta = await httpServer('beta')
  backends.r0 = await httpServer('replica-0')
  backends.r1 = await httpServer('replica-1')
  containers.set('echo/0/7', backends.echo.port)
  containers.set('counter/0/9', backends.counter.port)
  containers.set('alpha/0/80', backends.alpha.port)
  containers.set('beta/0/80', backends.beta.port)
  containers.set('web/0/80', backends.r0.port)
  containers.set('web/1/80', backends.r1.port)
  containers.set('web/2/80', await freePort()) // a replica whose container does not answer
  handler = await handleTunnels(fizz, async (r) => {
    const port = containers.get(key(r))
    if (port === undefined) throw new Error(`port ${r.port} is not exposed by ${r.service} replica ${r.replica}`)
    return { host: '127.0.0.1', port }
  })
  const from = await freeRange(20)
  pool = { from, to: from + 19 }
  ingress = new Ingress({
    bindHost: '127.0.0.1',
    ports: pool,
    httpPort: 0,
    domain: DOMAIN,
    open: async (target) => { opened++; return await openTunnel(gateway, target.peer, target.request) }
  })
  httpPort = await ingress.listenHttp()
})

test.after(async () => {
  await ingress.close()
  await handler.close()
  await Promise.all([gateway.stop(), fizz.stop(), ...Object.values(backends).map(async b => await b.close())])
})

test('HTTP heads are parsed: Host without port, case-insensitive; garbage recognised early', () => {
  const head = 'GET /x HTTP/1.1\r\nHost: Alpha.GW.test:8080\r\nAccept: */*\r\n\r\n'
  assert.equal(parseHead(Buffer.from(head + 'body')), { kind: 'ok', host: 'alpha.gw.test', headBytes: head.length })
  assert.equal(parseHead(Buffer.from('GET / HTTP/1.1\nhost: a.b.\n\n')), { kind: 'ok', host: 'a.b', headBytes: 27 })
  assert.equal(parseHead(Buffer.from('GET / HTTP/1.1\r\nHost: a')), { kind: 'incomplete' })
  assert.equal(parseHead(Buffer.from('POS')), { kind: 'incomplete' })
  assert.is(hostName('[::1]:80'), '[::1]')
  assert.is(hostName('bad_host'), null)
  const bad = (s: string | Buffer): string => { const r = parseHead(Buffer.from(s)); return r.kind === 'bad' ? `${r.status} ${r.reason}` : r.kind }
  assert.is(bad('\x16\x03\x01\x02\x00'), '400 not an HTTP/1.x request')
  assert.is(bad('hello there\r\n'), '400 malformed request line')
  assert.is(bad('GET / HTTP/2.0\r\nHost: a\r\n\r\n'), '400 malformed request line')
  assert.is(bad('GET / HTTP/1.1\r\n\r\n'), '400 no Host header')
  assert.is(bad('GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n'), '400 more than one Host header')
  assert.is(bad('GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n'), '400 obsolete line folding')
  assert.is(bad('GET / HTTP/1.1\r\nHost a\r\n\r\n'), '400 malformed header line')
  assert.is(bad('GET / HTTP/1.1\r\nHost: a b\r\n\r\n'), '400 malformed Host header')
  assert.is(bad('GET / HTTP/1.1\r\nX: \x01\r\nHost: a\r\n\r\n'), '400 control characters in header X')
  assert.is(bad(`GET / HTTP/1.1\r\nX: ${'a'.repeat(20_000)}`), '431 request head over 16384 bytes')
})

test('TCP: 20 MB echo through a pool port arrives intact', async () => {
  const { tcpPort, httpHost } = await ingress.expose('echo', [route('echo', 0, 7)], { http: false })
  assert.ok(tcpPort >= pool.from && tcpPort <= pool.to)
  assert.is(httpHost, undefined)
  const data = randomBytes(20 * 2 ** 20)
  const back = await exchange(tcpPort, data)
  assert.is(back.length, data.length)
  assert.is(sha256(back), sha256(data))
})

test('TCP: half-close — the client ends its side and still receives the answer', async () => {
  const { tcpPort } = await ingress.expose('counter', [route('counter', 0, 9)], { http: false })
  const data = randomBytes(2 * 2 ** 20 + 17)
  // The counter answers only after the client's FIN, 100 ms later.
  const answer = (await exchange(tcpPort, data)).toString()
  assert.is(answer, `${data.length} ${sha256(data)}`)
  const empty = (await exchange(tcpPort, new Uint8Array(0))).toString()
  assert.is(empty, `0 ${sha256(new Uint8Array(0))}`)
})

test('HTTP: two names on the shared port reach two different backends', async () => {
  const a = await ingress.expose('alpha', [route('alpha', 0, 80)], { http: true })
  const b = await ingress.expose('beta', [route('beta', 0, 80)], { http: true })
  assert.is(a.httpHost, `alpha.${DOMAIN}`)
  assert.is(b.httpHost, `beta.${DOMAIN}`)
  assert.is(a.httpPort, httpPort)
  const ra = await get(httpPort, `alpha.${DOMAIN}`, { path: '/hello?x=1' })
  assert.is(ra.status, 200)
  assert.equal(JSON.parse(ra.body).name, 'alpha')
  assert.equal(JSON.parse(ra.body).url, '/hello?x=1')
  const rb = await get(httpPort, `BETA.gw.TEST:${httpPort}`)
  assert.equal(JSON.parse(rb.body).name, 'beta')
  // The Host header reaches the backend as the client sent it.
  assert.equal(JSON.parse(rb.body).host, `BETA.gw.TEST:${httpPort}`)
  // The endpoint's own TCP port works too.
  const viaTcp = await get(a.tcpPort, 'anything')
  assert.equal(JSON.parse(viaTcp.body).name, 'alpha')
})

test('HTTP: keep-alive — several requests on one connection, one tunnel', async () => {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 })
  const before = opened
  const ports = new Set<number>()
  for (let i = 0; i < 5; i++) {
    const r = await get(httpPort, `alpha.${DOMAIN}`, { path: `/${i}`, agent })
    assert.is(r.status, 200)
    const body = JSON.parse(r.body)
    assert.is(body.url, `/${i}`)
    ports.add(body.remotePort)
    assert.is(r.reusedSocket, i > 0)
  }
  agent.destroy()
  assert.is(ports.size, 1, 'one connection to the backend')
  assert.is(opened - before, 1, 'one tunnel')
})

test('HTTP: a 5 MB POST body arrives intact', async () => {
  const body = randomBytes(5 * 2 ** 20)
  const r = await get(httpPort, `beta.${DOMAIN}`, { method: 'POST', path: '/upload', body })
  assert.is(r.status, 200)
  const got = JSON.parse(r.body)
  assert.is(got.method, 'POST')
  assert.is(got.bodyBytes, body.length)
  assert.is(got.bodySha, sha256(body))
})

test('HTTP: an unknown host gets a 404, garbage a 400, each with a one-line body', async () => {
  const r = await get(httpPort, `nobody.${DOMAIN}`)
  assert.is(r.status, 404)
  assert.is(r.body, `no service at nobody.${DOMAIN}\n`)
  assert.is(r.headers.connection, 'close')
  const tls = await raw(httpPort, Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03]))
  assert.match(tls, /^HTTP\/1\.1 400 Bad Request\r\n/)
  assert.match(tls, /\r\n\r\nnot an HTTP\/1\.x request\n$/)
  const text = await raw(httpPort, 'hello there\r\n\r\n')
  assert.match(text, /^HTTP\/1\.1 400 /)
  assert.match(text, /malformed request line\n$/)
  const noHost = await raw(httpPort, 'GET / HTTP/1.1\r\n\r\n')
  assert.match(noHost, /^HTTP\/1\.1 400 [^]*no Host header\n$/)
  // A client that ends its side inside the head gets a 400.
  const ended = await new Promise<string>((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port: httpPort, allowHalfOpen: true })
    let out = ''
    s.on('data', (d: Buffer) => { out += d.toString() })
    s.on('end', () => { s.end(); resolve(out) })
    s.on('error', reject)
    s.end('GET / HTTP/1.1\r\nHost: alpha')
  })
  assert.match(ended, /^HTTP\/1\.1 400 [^]*connection ended inside the request head\n$/)
})

test('round robin over two replicas, and a replica that does not answer is skipped', async () => {
  const { httpHost, tcpPort } = await ingress.expose('web', [route('web', 0, 80), route('web', 1, 80)], { http: true })
  const names: string[] = []
  for (let i = 0; i < 6; i++) names.push(JSON.parse((await get(httpPort, httpHost!)).body).name)
  assert.equal(names, ['replica-0', 'replica-1', 'replica-0', 'replica-1', 'replica-0', 'replica-1'])
  // Replica 2's container refuses connections; replica 3 is not known to the fizz node.
  ingress.update('web', [route('web', 2, 80), route('web', 0, 80), route('web', 3, 80), route('web', 1, 80)])
  const after: string[] = []
  for (let i = 0; i < 8; i++) {
    const r = await get(httpPort, httpHost!)
    assert.is(r.status, 200)
    after.push(JSON.parse(r.body).name)
  }
  assert.ok(after.includes('replica-0') && after.includes('replica-1'), after.join(','))
  // TCP port of the same endpoint: same routes.
  assert.is((await get(tcpPort, 'x')).status, 200)
  // No replica reachable: 502 on HTTP, a reset on TCP.
  ingress.update('web', [route('web', 2, 80)])
  const r = await get(httpPort, httpHost!)
  assert.is(r.status, 502)
  assert.match(r.body, /^no replica of web is reachable\n$/)
  const tcp = await new Promise<string>(resolve => {
    const s = connect({ host: '127.0.0.1', port: tcpPort })
    s.on('error', (err: NodeJS.ErrnoException) => { resolve(err.code ?? 'error') })
    s.on('close', () => { resolve('closed') })
    s.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n')
  })
  assert.ok(tcp === 'ECONNRESET' || tcp === 'closed', tcp)
  const info = ingress.endpoints().find(e => e.key === 'web')
  assert.is(info?.routes.length, 1)
  assert.throws(() => { ingress.update('nope', []) }, /endpoint "nope" is not exposed/)
})

test('unexpose frees the port and the name', async () => {
  const { tcpPort, httpHost } = await ingress.expose('temp', [route('alpha', 0, 80)], { http: true })
  assert.is(JSON.parse((await get(httpPort, httpHost!)).body).name, 'alpha')
  // An open connection is cut by unexpose.
  const agent = new Agent({ keepAlive: true, maxSockets: 1 })
  await get(tcpPort, 'x', { agent })
  // (The first request's connection may take a moment to finish closing.)
  await waitFor(() => ingress.endpoints().some(e => e.key === 'temp' && e.connections === 1), 5000, 'one open connection')
  assert.is(await ingress.unexpose('temp'), true)
  assert.is(await ingress.unexpose('temp'), false)
  agent.destroy()
  assert.not.ok(ingress.endpoints().some(e => e.key === 'temp'))
  const refused = await new Promise<string>(resolve => {
    const s = connect({ host: '127.0.0.1', port: tcpPort })
    s.on('error', (err: NodeJS.ErrnoException) => { resolve(err.code ?? '') })
    s.on('connect', () => { s.destroy(); resolve('connected') })
  })
  assert.is(refused, 'ECONNREFUSED')
  assert.ok(await canListen(tcpPort), 'another program can take the port')
  assert.is((await get(httpPort, httpHost!)).status, 404)
})

test('ports in use by other programs are skipped; a full pool says so', async () => {
  // A small ingress of its own: two ports, the first one taken by someone else.
  const from = await freeRange(2)
  const squatter: Server = createServer()
  await new Promise<void>(resolve => { squatter.listen(from, '127.0.0.1', resolve) })
  const small = new Ingress({ bindHost: '127.0.0.1', ports: { from, to: from + 1 }, httpPort: 0, domain: DOMAIN, open: async (t) => await openTunnel(gateway, t.peer, t.request) })
  try {
    const { tcpPort } = await small.expose('one', [route('echo', 0, 7)], { http: false })
    assert.is(tcpPort, from + 1)
    try {
      await small.expose('two', [route('echo', 0, 7)], { http: false })
      assert.unreachable('exposed')
    } catch (err) {
      assert.is((err as Error).message, `no free port in ${from}-${from + 1} on 127.0.0.1: 1 used by endpoints, 1 by other programs`)
    }
    try {
      await small.expose('one', [], { http: false })
      assert.unreachable('exposed twice')
    } catch (err) {
      assert.match((err as Error).message, 'endpoint "one" is already exposed')
    }
    try {
      await small.expose('Not A Label', [], { http: false })
      assert.unreachable('bad key')
    } catch (err) {
      assert.match((err as Error).message, 'must be a DNS label')
    }
    // The freed port is handed out again.
    await small.unexpose('one')
    const again = await small.expose('two', [route('echo', 0, 7)], { http: false })
    assert.is(again.tcpPort, from + 1)
    assert.equal((await exchange(again.tcpPort, Buffer.from('ping'))).toString(), 'ping')
    // A port asked for (an endpoint restored after a restart): outside the pool, taken by an
    // endpoint, taken by another program; and free.
    const asked = async (port: number): Promise<string> => await small.expose('three', [], { http: false, port }).then(e => `got ${e.tcpPort}`, (err: Error) => err.message)
    assert.is(await asked(from + 2), `port ${from + 2} is outside the pool ${from}-${from + 1}`)
    assert.is(await asked(from + 1), `port ${from + 1} is used by another endpoint`)
    assert.is(await asked(from), `port ${from} is in use by another program`)
    await small.unexpose('two')
    assert.is(await asked(from + 1), `got ${from + 1}`)
  } finally {
    await small.close()
    squatter.close()
  }
  assert.throws(() => new Ingress({ bindHost: '127.0.0.1', ports: { from: 10, to: 5 }, httpPort: 0, domain: DOMAIN, open: async () => { throw new Error('x') } }), /ports.from \(10\) is above ports.to \(5\)/)
})

test('backpressure: a container that does not read holds the client back, then everything arrives', async () => {
  let container: Socket | undefined
  const server = createServer({ allowHalfOpen: true }, s => { container = s; s.on('error', () => {}); s.pause() })
  await new Promise<void>(resolve => { server.listen(0, '127.0.0.1', resolve) })
  containers.set('slow/0/1', (server.address() as { port: number }).port)
  try {
    const { tcpPort } = await ingress.expose('slow', [route('slow', 0, 1)], { http: false })
    const client = connect({ host: '127.0.0.1', port: tcpPort, allowHalfOpen: true })
    await new Promise(resolve => client.once('connect', resolve))
    const chunk = randomBytes(2 ** 20)
    const sent = createHash('sha256')
    let written = 0
    // Write until the writes stop draining: the tunnel must stop taking bytes.
    while (written < 512 * 2 ** 20) {
      written += chunk.length
      sent.update(chunk)
      if (client.write(chunk)) continue
      const drained = await new Promise<boolean>(resolve => {
        const t = setTimeout(() => { client.removeListener('drain', onDrain); resolve(false) }, 500)
        const onDrain = (): void => { clearTimeout(t); resolve(true) }
        client.once('drain', onDrain)
      })
      if (!drained) break
    }
    // Kernel buffers on both sockets, the ingress's queue, the yamux window (16 MiB at most) and
    // the fizz side's queue: bounded, far from everything.
    assert.ok(written < 96 * 2 ** 20, `${written / 2 ** 20} MiB went in while nothing was read`)
    assert.ok(container !== undefined)
    const got = createHash('sha256')
    let received = 0
    container!.on('data', (d: Buffer) => { received += d.length; got.update(d) })
    const ended = new Promise(resolve => container!.once('end', resolve))
    container!.resume()
    client.end()
    await ended
    assert.is(received, written)
    assert.is(got.digest('hex'), sent.digest('hex'))
    client.destroy()
  } finally {
    await ingress.unexpose('slow')
    server.close()
  }
})

test('50 concurrent connections all work, and everything is released afterwards', async () => {
  const echo = ingress.endpoints().find(e => e.key === 'echo')!
  const payloads = Array.from({ length: 50 }, () => randomBytes(64 * 1024 + Math.floor(Math.random() * 64 * 1024)))
  const backs = await Promise.all(payloads.map(async p => await exchange(echo.tcpPort, p)))
  backs.forEach((b, i) => { assert.is(sha256(b), sha256(payloads[i]), `connection ${i}`) })
  const http = await Promise.all(Array.from({ length: 50 }, async (_x, i) => await get(httpPort, `alpha.${DOMAIN}`, { path: `/${i}` })))
  http.forEach((r, i) => { assert.is(JSON.parse(r.body).url, `/${i}`) })
  await waitFor(() => handler.active === 0, 5000, 'tunnels to close')
  await waitFor(() => ingress.endpoints().every(e => e.connections === 0), 5000, 'connections to close')
  await waitFor(() => gateway.getConnections(fizz.peerId)[0].streams.length === 0, 5000, 'streams to close')
})

test('the fast path both ways: client and container sockets read with onread; 32 MB up and 24 MB down intact, with half-close', async () => {
  const up = randomBytes(32 * 2 ** 20 + 5)
  const down = randomBytes(24 * 2 ** 20 + 3)
  // The container sends its payload at once, reads everything until the client's FIN, then
  // answers what it got and ends.
  const server = createServer({ allowHalfOpen: true }, s => {
    s.on('error', () => {})
    const hash = createHash('sha256')
    let n = 0
    s.on('data', (d: Buffer) => { n += d.length; hash.update(d) })
    s.on('end', () => { s.end(` ${n} ${hash.digest('hex')}`) })
    s.write(down)
  })
  await new Promise<void>(resolve => { server.listen(0, '127.0.0.1', resolve) })
  containers.set('both/0/5', (server.address() as { port: number }).port)
  const piped: boolean[] = []
  const fast = new Ingress({
    bindHost: '127.0.0.1',
    ports: await freeRange(1).then(from => ({ from, to: from })),
    httpPort: 0,
    domain: DOMAIN,
    open: async (target) => {
      const tunnel = await openTunnel(gateway, target.peer, target.request)
      return { pipe: async (socket, head) => { piped.push(hasSlabReads(socket)); return await tunnel.pipe(socket, head) }, abort: tunnel.abort }
    }
  })
  try {
    const { tcpPort } = await fast.expose('both', [route('both', 0, 5)], { http: false })
    const back = await exchange(tcpPort, up, { chunk: 1024 * 1024 })
    assert.equal(piped, [true], 'the ingress socket reads with onread')
    assert.is(back.length, down.length + ` ${up.length} ${sha256(up)}`.length)
    assert.is(sha256(back.subarray(0, down.length)), sha256(down))
    assert.is(back.subarray(down.length).toString(), ` ${up.length} ${sha256(up)}`)
    // The fizz side connects to containers the same way.
    const container = await connectTcp('127.0.0.1', backends.echo.port, 5000)
    assert.ok(hasSlabReads(container))
    container.destroy()
  } finally {
    await fast.close()
    server.close()
  }
})

test('backpressure the other way: a client that does not read holds the container back, then everything arrives', async () => {
  let written = 0
  let stalled!: () => void
  const stall = new Promise<void>(resolve => { stalled = resolve })
  const sent = createHash('sha256')
  // The container writes until its writes stop draining for a while (or far too much went out),
  // then ends: its FIN goes after what it wrote.
  const server = createServer({ allowHalfOpen: true }, s => {
    s.on('error', () => {})
    const chunk = randomBytes(2 ** 20)
    const write = (): void => {
      while (written < 512 * 2 ** 20) {
        written += chunk.length
        sent.update(chunk)
        if (!s.write(chunk)) {
          const onDrain = (): void => { clearTimeout(t); write() }
          const t = setTimeout(() => { s.removeListener('drain', onDrain); s.end(); stalled() }, 500)
          s.once('drain', onDrain)
          return
        }
      }
      s.end()
      stalled()
    }
    write()
  })
  await new Promise<void>(resolve => { server.listen(0, '127.0.0.1', resolve) })
  containers.set('talker/0/6', (server.address() as { port: number }).port)
  try {
    const { tcpPort } = await ingress.expose('talker', [route('talker', 0, 6)], { http: false })
    const client = connect({ host: '127.0.0.1', port: tcpPort, allowHalfOpen: true })
    client.pause()
    await stall
    // Kernel buffers, the fizz node's queue, the yamux window (16 MiB at most), the ingress's
    // socket buffer: bounded, far from everything.
    assert.ok(written < 96 * 2 ** 20, `${written / 2 ** 20} MiB went out while nothing was read`)
    const got = createHash('sha256')
    let received = 0
    client.on('data', (d: Buffer) => { received += d.length; got.update(d) })
    const ended = new Promise(resolve => client.once('end', resolve))
    client.resume()
    await ended
    assert.is(received, written)
    assert.is(got.digest('hex'), sent.digest('hex'))
    client.destroy()
  } finally {
    await ingress.unexpose('talker')
    server.close()
  }
})

test('Ingress.close() completes with connections open, piping, half-read and already closed', async () => {
  const from = await freeRange(2)
  const other = new Ingress({ bindHost: '127.0.0.1', ports: { from, to: from + 1 }, httpPort: 0, domain: DOMAIN, open: async (t) => await openTunnel(gateway, t.peer, t.request) })
  const port = await other.listenHttp()
  const { tcpPort } = await other.expose('echo2', [route('echo', 0, 7)], { http: true })
  // One connection that came and went, one piping (an echo answered, still open), one HTTP
  // keep-alive connection routed, one HTTP connection still inside its head.
  assert.equal((await exchange(tcpPort, Buffer.from('gone'))).toString(), 'gone')
  const piping = connect({ host: '127.0.0.1', port: tcpPort })
  const echoed = new Promise<string>(resolve => { piping.once('data', d => { resolve(d.toString()) }) })
  piping.write('still here')
  assert.is(await echoed, 'still here')
  const routed = connect({ host: '127.0.0.1', port })
  const routedAnswer = new Promise<string>(resolve => { routed.once('data', d => { resolve(d.toString()) }) })
  routed.write(`GET / HTTP/1.1\r\nHost: echo2.${DOMAIN}\r\n\r\n`)
  assert.match(await routedAnswer, /^GET \/ HTTP\/1\.1\r\n/)
  const heading = connect({ host: '127.0.0.1', port })
  heading.write('GET / HTTP/1.1\r\nHost: ech')
  const clients = [piping, routed, heading]
  const closed = clients.map(async c => await new Promise<void>(resolve => { c.on('error', () => {}); c.once('close', () => { resolve() }) }))
  await waitFor(() => other.endpoints()[0]?.connections === 2, 5000, 'two connections on the endpoint')
  const closing = other.close()
  const timeout = new Promise<string>(resolve => setTimeout(() => { resolve('timed out') }, 5000).unref())
  assert.is(await Promise.race([closing.then(() => 'closed'), timeout]), 'closed')
  await Promise.all(closed)
  assert.ok(await canListen(tcpPort), 'the pool port is free')
  assert.ok(await canListen(port), 'the HTTP port is free')
})

test.run()
