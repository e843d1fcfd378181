/**
 * `/dcn/tunnel/1.0.0` between two real libp2p hosts on 127.0.0.1: a gateway and a fizz node
 * that dialled it (and listens on nothing). Checks the handshake, the resolver's refusals
 * (message passed back, nothing connected), strict request checking, garbage, oversized and
 * missing frames (a refusal each, the host keeps working), half-close and resets both ways.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { connect, createServer, type Server, type Socket } from 'node:net'
import type { Libp2p } from 'libp2p'
import type { PeerId, Stream } from '@libp2p/interface'
import { Frames } from '@dcn/protocol'
import { Uint8ArrayList } from 'uint8arraylist'
import { TUNNEL_PROTOCOL, TunnelError, handleTunnels, openTunnel, parseTunnelRequest, type TunnelHandler, type TunnelRequest } from '../src/index.js'
import { counterServer, echoServer, freePort, gatewayAndFizz, makeHost, randomBytes, sha256, waitFor, type Backend } from './helpers/net.js'

let gateway: Libp2p
let fizz: Libp2p
let handler: TunnelHandler
let echo: Backend
let counter: Backend
let deadPort: number
let specialPort: number | undefined
const resolved: TunnelRequest[] = []

const req = (port: number, replica = 0): TunnelRequest => ({ leaseId: '7', service: 'web', replica, port })

test.before(async () => {
  ({ gateway, fizz } = await gatewayAndFizz())
  echo = await echoServer()
  counter = await counterServer()
  deadPort = await freePort()
  const ports: Record<number, number> = { 7000: echo.port, 7001: counter.port, 7002: deadPort }
  handler = await handleTunnels(fizz, async (r: TunnelRequest, from: PeerId) => {
    resolved.push(r)
    if (!from.equals(gateway.peerId)) throw new Error(`peer ${from.toString()} is not this fizz node's gateway`)
    if (r.service === 'special' && specialPort !== undefined) return { host: '127.0.0.1', port: specialPort }
    if (r.leaseId !== '7') throw new Error(`lease ${r.leaseId} does not run here`)
    const port = ports[r.port]
    if (port === undefined) throw new Error(`port ${r.port} is not exposed by lease ${r.leaseId}`)
    return { host: '127.0.0.1', port }
  }, { requestTimeoutMs: 500 })
})

test.after(async () => {
  await handler.close()
  await Promise.all([gateway.stop(), fizz.stop(), echo.close(), counter.close()])
})

/** Pipes a fresh socket pair end through a tunnel: returns the client end. */
async function through (r: TunnelRequest): Promise<{ client: Socket, done: Promise<unknown> }> {
  const tunnel = await openTunnel(gateway, fizz.peerId, r)
  const server: Server = createServer({ allowHalfOpen: true })
  await new Promise<void>(resolve => { server.listen(0, '127.0.0.1', resolve) })
  const accepted = new Promise<Socket>(resolve => server.once('connection', resolve))
  const client = connect({ host: '127.0.0.1', port: (server.address() as { port: number }).port, allowHalfOpen: true })
  const socket = await accepted
  server.close()
  return { client, done: tunnel.pipe(socket) }
}

async function readAll (s: Socket): Promise<Buffer> {
  const chunks: Buffer[] = []
  s.on('data', (d: Buffer) => chunks.push(d))
  await new Promise<void>((resolve, reject) => { s.once('end', resolve); s.once('error', reject) })
  return Buffer.concat(chunks)
}

/** A raw stream to the fizz node's tunnel protocol, as a rogue gateway would open it. */
async function rawStream (): Promise<Stream> {
  return await gateway.dialProtocol(fizz.peerId, TUNNEL_PROTOCOL)
}

async function answerOf (stream: Stream): Promise<{ ok: boolean, error?: string }> {
  return await new Frames(stream).readJson(5000) as { ok: boolean, error?: string }
}

test('the request is parsed strictly', () => {
  assert.equal(parseTunnelRequest({ leaseId: '12', service: 'web-1', replica: 0, port: 80 }), { leaseId: '12', service: 'web-1', replica: 0, port: 80 })
  const bad: Array<[unknown, RegExp]> = [
    [null, /request: expected an object/],
    [[], /expected an object/],
    [{ leaseId: 12, service: 'web', replica: 0, port: 80 }, /request.leaseId: expected a string/],
    [{ leaseId: '012', service: 'web', replica: 0, port: 80 }, /request.leaseId: does not match/],
    [{ leaseId: '1', service: 'Web', replica: 0, port: 80 }, /request.service/],
    [{ leaseId: '1', service: 'web', replica: -1, port: 80 }, /request.replica/],
    [{ leaseId: '1', service: 'web', replica: 0.5, port: 80 }, /request.replica: expected an integer/],
    [{ leaseId: '1', service: 'web', replica: 0, port: 0 }, /request.port: must be between 1 and 65535/],
    [{ leaseId: '1', service: 'web', replica: 0, port: 65536 }, /request.port/],
    [{ leaseId: '1', service: 'web', replica: 0 }, /request.port: expected an integer, got nothing/],
    [{ leaseId: '1', service: 'web', replica: 0, port: 80, extra: 1 }, /request.extra: unknown field/]
  ]
  for (const [value, re] of bad) {
    try {
      parseTunnelRequest(value)
      assert.unreachable(`${JSON.stringify(value)} was accepted`)
    } catch (err) {
      assert.instance(err, TunnelError)
      assert.match((err as Error).message, re)
      assert.not.match((err as Error).message, /\n/)
    }
  }
})

test('bytes go both ways, with half-close: the client ends its side and still gets the answer', async () => {
  const before = counter.connections
  const { client, done } = await through(req(7001))
  const data = randomBytes(3 * 2 ** 20)
  client.end(data)
  const answer = (await readAll(client)).toString()
  assert.is(answer, `${data.length} ${sha256(data)}`)
  client.end()
  const result = await done as { sent: number, received: number, error?: string }
  assert.is(result.error, undefined)
  assert.is(result.sent, data.length)
  assert.is(result.received, answer.length)
  assert.is(counter.connections, before + 1)
})

test('an echo of 8 MB comes back intact', async () => {
  const { client, done } = await through(req(7000))
  const data = randomBytes(8 * 2 ** 20)
  const got = readAll(client)
  client.end(data)
  const back = await got
  assert.is(back.length, data.length)
  assert.is(sha256(back), sha256(data))
  await done
})

test('a refusal of the resolver comes back as its message and nothing is connected', async () => {
  const before = { echo: echo.connections, counter: counter.connections, active: handler.active }
  try {
    await openTunnel(gateway, fizz.peerId, req(9999))
    assert.unreachable('opened')
  } catch (err) {
    assert.instance(err, TunnelError)
    assert.match((err as Error).message, 'port 9999 is not exposed by lease 7')
    assert.match((err as Error).message, /refused/)
  }
  try {
    await openTunnel(gateway, fizz.peerId, { ...req(7000), leaseId: '8' })
    assert.unreachable('opened')
  } catch (err) {
    assert.match((err as Error).message, 'lease 8 does not run here')
  }
  assert.equal({ echo: echo.connections, counter: counter.connections, active: handler.active }, before)
})

test('a container port that does not answer is refused with the reason', async () => {
  try {
    await openTunnel(gateway, fizz.peerId, req(7002))
    assert.unreachable('opened')
  } catch (err) {
    assert.instance(err, TunnelError)
    assert.match((err as Error).message, /lease 7 service web replica 0 port 7002 is not accepting connections: .*ECONNREFUSED/)
  }
})

test('a malformed request is refused by the gateway side before it is sent', async () => {
  try {
    await openTunnel(gateway, fizz.peerId, { ...req(7000), port: 0 })
    assert.unreachable('opened')
  } catch (err) {
    assert.match((err as Error).message, /invalid tunnel request: request.port/)
  }
})

test('garbage, malformed, oversized and missing request frames each get a refusal', async () => {
  const cases: Array<[string, Uint8Array | Uint8ArrayList | null, RegExp]> = [
    ['oversized', new Uint8Array([0xff, 0xff, 0xff, 0xff, 1, 2, 3]), /frame of 4294967295 bytes is over the 4096-byte limit/],
    ['just over the limit', new Uint8Array([0, 0, 0x10, 0x01]), /frame of 4097 bytes is over the 4096-byte limit/],
    ['not JSON', frame(new TextEncoder().encode('hello there')), /frame is not JSON/],
    ['not UTF-8', frame(new Uint8Array([0x22, 0xff, 0xfe, 0x22])), /frame is not JSON/],
    ['JSON of the wrong shape', frame(new TextEncoder().encode('[1,2,3]')), /invalid tunnel request: request: expected an object/],
    ['a wrong field', frame(new TextEncoder().encode(JSON.stringify({ ...req(7000), port: '7000' }))), /invalid tunnel request: request.port: expected an integer/],
    ['an unknown field', frame(new TextEncoder().encode(JSON.stringify({ ...req(7000), host: '10.0.0.1' }))), /request.host: unknown field/],
    ['nothing within the deadline', null, /no complete frame within 500 ms/],
    ['half a frame, then nothing', new Uint8Array([0, 0, 0, 50, 123]), /no complete frame within 500 ms/]
  ]
  for (const [what, bytes, re] of cases) {
    const stream = await rawStream()
    if (bytes !== null) stream.send(bytes)
    const answer = await answerOf(stream)
    assert.is(answer.ok, false, what)
    assert.match(answer.error ?? '', re, what)
    stream.abort(new Error('done'))
  }
  // A frame cut short by the stream's end: nothing to answer, but no crash either.
  const cut = await rawStream()
  cut.send(new Uint8Array([0, 0, 0, 10, 1, 2]))
  await cut.close()
  // Random bytes in volume.
  for (let i = 0; i < 5; i++) {
    const s = await rawStream()
    s.send(randomBytes(100_000))
    await answerOf(s).catch(() => null)
    s.abort(new Error('done'))
  }
  await waitFor(() => handler.active === 0, 5000, 'no active tunnels')
  // The fizz node still serves tunnels.
  const { client, done } = await through(req(7001))
  client.end('still here')
  assert.is((await readAll(client)).toString(), `10 ${sha256(Buffer.from('still here'))}`)
  await done
})

test('a request from a peer the resolver does not accept is refused', async () => {
  const other = await makeHost(true)
  try {
    // The fizz node listens on nothing: it is the one that connects.
    await fizz.dial(other.getMultiaddrs()[0])
    await waitFor(() => other.getConnections(fizz.peerId).length > 0)
    try {
      await openTunnel(other, fizz.peerId, req(7000))
      assert.unreachable('opened')
    } catch (err) {
      assert.match((err as Error).message, `is not this fizz node's gateway`)
    }
  } finally {
    await other.stop()
  }
})

async function socketPair (): Promise<{ client: Socket, server: Socket }> {
  const server = createServer({ allowHalfOpen: true })
  await new Promise<void>(resolve => { server.listen(0, '127.0.0.1', resolve) })
  const accepted = new Promise<Socket>(resolve => server.once('connection', resolve))
  const client = connect({ host: '127.0.0.1', port: (server.address() as { port: number }).port, allowHalfOpen: true })
  const s = await accepted
  server.close()
  return { client, server: s }
}

/** A container (service 'special') for one test. */
async function special (onConnection: (s: Socket) => void): Promise<() => void> {
  const server = createServer({ allowHalfOpen: true }, s => { s.on('error', () => {}); onConnection(s) })
  await new Promise<void>(resolve => { server.listen(0, '127.0.0.1', resolve) })
  specialPort = (server.address() as { port: number }).port
  return () => { specialPort = undefined; server.close() }
}

test('a reset of the container connection resets the client side', async () => {
  const stop = await special(s => { s.write('bye'); setTimeout(() => { s.resetAndDestroy() }, 50) })
  try {
    const tunnel = await openTunnel(gateway, fizz.peerId, { ...req(1), service: 'special' })
    const pair = await socketPair()
    const done = tunnel.pipe(pair.server)
    let got = ''
    pair.client.on('data', (d: Buffer) => { got += d.toString() })
    const ending = await new Promise<string>(resolve => {
      pair.client.once('error', (err: NodeJS.ErrnoException) => { resolve(err.code ?? err.message) })
      pair.client.once('end', () => { resolve('end') })
    })
    assert.is(got, 'bye')
    assert.is(ending, 'ECONNRESET')
    const result = await done as { error?: string }
    assert.ok(result.error !== undefined)
  } finally {
    stop()
  }
})

test('a client that goes away resets the container connection and frees the tunnel', async () => {
  let received = 0
  let containerClosed!: () => void
  const closed = new Promise<void>(resolve => { containerClosed = resolve })
  const stop = await special(s => { s.on('data', (d: Buffer) => { received += d.length }); s.on('close', containerClosed) })
  try {
    const tunnel = await openTunnel(gateway, fizz.peerId, { ...req(1), service: 'special' })
    const pair = await socketPair()
    const done = tunnel.pipe(pair.server)
    pair.client.on('error', () => {})
    pair.client.write('x'.repeat(1000))
    await waitFor(() => received === 1000)
    pair.client.resetAndDestroy()
    await closed
    const result = await done as { error?: string }
    assert.ok(result.error !== undefined)
    await waitFor(() => handler.active === 0, 5000, 'no active tunnels')
  } finally {
    stop()
  }
})

function frame (payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + payload.length)
  new DataView(out.buffer).setUint32(0, payload.length)
  out.set(payload, 4)
  return out
}

test.run()
