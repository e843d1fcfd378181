/**
 * Slab reads (socket-reads.ts) and the server that hands out such sockets (reading-server.ts):
 * reads go through `onread` (no 'data' events), short reads are copied out of the shared scratch
 * buffer, bulk reads are views of 1 MiB slabs, bytes arrive intact both ways with half-close and
 * pausing; the server still counts its connections and closes once they are gone.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createHash } from 'node:crypto'
import { connect, type AddressInfo, type Server, type Socket } from 'node:net'
import { createReadingServer } from '../src/reading-server.js'
import { connectSlabReads, hasSlabReads, readChunks } from '../src/socket-reads.js'
import { randomBytes, sha256, waitFor } from './helpers/net.js'

const OPTIONS = { allowHalfOpen: true, noDelay: true, keepAlive: true, keepAliveInitialDelay: 30_000 }
const SLAB = 1024 * 1024

async function listen (server: Server): Promise<number> {
  await new Promise<void>(resolve => { server.listen(0, '127.0.0.1', resolve) })
  return (server.address() as AddressInfo).port
}

async function closeServer (server: Server): Promise<void> {
  await new Promise<void>((resolve, reject) => { server.close(err => { err === undefined ? resolve() : reject(err) }) })
}

/** Everything a socket reads until its FIN, by `readChunks`, with what the chunks looked like. */
function collect (socket: Socket): { done: Promise<Buffer>, chunks: Buffer[] } {
  const chunks: Buffer[] = []
  readChunks(socket, chunk => { chunks.push(chunk) })
  const done = new Promise<Buffer>((resolve, reject) => {
    socket.once('end', () => { resolve(Buffer.concat(chunks)) })
    socket.once('error', reject)
  })
  socket.resume()
  return { done, chunks }
}

/** Writes `data` in steps, waiting for 'drain', then FIN; `given` is how much the socket took so far. */
function writeAll (socket: Socket, data: Buffer, step = 256 * 1024): { done: Promise<void>, given: () => number } {
  let given = 0
  const done = (async () => {
    for (let i = 0; i < data.length; i += step) {
      given += Math.min(step, data.length - i)
      if (!socket.write(data.subarray(i, i + step))) await new Promise(resolve => socket.once('drain', resolve))
    }
    socket.end()
  })()
  return { done, given: () => given }
}

test('both ends read with onread: short reads are copies, bulk reads views of slabs, all intact both ways', async () => {
  let accepted!: Socket
  const server = createReadingServer(OPTIONS, s => { accepted = s })
  const port = await listen(server)
  const client = connectSlabReads({ host: '127.0.0.1', port, allowHalfOpen: true })
  await new Promise(resolve => client.once('connect', resolve))
  await waitFor(() => accepted !== undefined, 5000, 'the connection')
  try {
    assert.ok(hasSlabReads(accepted) && hasSlabReads(client))
    const up = collect(accepted)
    const down = collect(client)
    // A short message first: copied out of the scratch buffer (memory of its own, not a slab).
    client.write('hello')
    await waitFor(() => up.chunks.length > 0, 5000, 'the first read')
    assert.is(up.chunks[0].toString(), 'hello')
    assert.is.not(up.chunks[0].buffer.byteLength, SLAB)
    const upData = randomBytes(24 * SLAB + 123)
    const downData = randomBytes(16 * SLAB + 7)
    await Promise.all([writeAll(client, upData).done, writeAll(accepted, downData).done])
    const [gotUp, gotDown] = await Promise.all([up.done, down.done])
    assert.is(gotUp.length, upData.length + 5)
    assert.is(sha256(gotUp.subarray(5)), sha256(upData))
    assert.is(sha256(gotDown), sha256(downData))
    // No 'data' events: everything came through onread, and bulk reads landed in slabs.
    assert.is(accepted.listenerCount('data'), 0)
    assert.ok(up.chunks.some(c => c.buffer.byteLength === SLAB), 'upload reads in slabs')
    assert.ok(down.chunks.some(c => c.buffer.byteLength === SLAB), 'download reads in slabs')
  } finally {
    client.destroy()
    accepted?.destroy()
    await closeServer(server)
  }
})

test('a paused socket stops reading (the kernel pushes back) and resumes without loss', async () => {
  let accepted!: Socket
  const server = createReadingServer(OPTIONS, s => { accepted = s })
  const port = await listen(server)
  const client = connect({ host: '127.0.0.1', port, allowHalfOpen: true })
  await new Promise(resolve => client.once('connect', resolve))
  await waitFor(() => accepted !== undefined, 5000, 'the connection')
  try {
    const hash = createHash('sha256')
    let received = 0
    readChunks(accepted, chunk => {
      received += chunk.length
      hash.update(chunk)
      if (received >= 4 * SLAB) accepted.pause()
    })
    accepted.resume()
    const data = randomBytes(64 * SLAB)
    const writing = writeAll(client, data, SLAB)
    await waitFor(() => received >= 4 * SLAB, 5000, 'the first 4 MiB')
    await new Promise(resolve => setTimeout(resolve, 300))
    // One read at most after the pause; the kernel buffers hold a few MiB, the rest waits.
    assert.ok(received < 5 * SLAB, `${received} bytes read while paused`)
    assert.ok(writing.given() < 32 * SLAB, `the client could write ${writing.given()} bytes`)
    const ended = new Promise(resolve => accepted.once('end', resolve))
    readChunks(accepted, chunk => { received += chunk.length; hash.update(chunk) })
    accepted.resume()
    await writing.done
    await ended
    assert.is(received, data.length)
    assert.is(hash.digest('hex'), sha256(data))
  } finally {
    client.destroy()
    accepted?.destroy()
    await closeServer(server)
  }
})

test('reads that come before a sink are held, then given to it in order', async () => {
  let accepted!: Socket
  const server = createReadingServer(OPTIONS, s => { accepted = s })
  const port = await listen(server)
  const client = connect({ host: '127.0.0.1', port, allowHalfOpen: true })
  try {
    await waitFor(() => accepted !== undefined, 5000, 'the connection')
    client.write('one ')
    // Resumed without a sink: the first read is held and the socket stops reading.
    accepted.resume()
    await new Promise(resolve => setTimeout(resolve, 100))
    client.end('two')
    await new Promise(resolve => setTimeout(resolve, 100))
    const { done } = collect(accepted)
    assert.is((await done).toString(), 'one two')
  } finally {
    client.destroy()
    accepted?.destroy()
    await closeServer(server)
  }
})

test('the server counts taken-over connections; close() completes once they are closed', async () => {
  const accepted: Socket[] = []
  const server = createReadingServer(OPTIONS, s => { s.on('error', () => {}); accepted.push(s) })
  // The sockets Node accepted (what other 'connection' listeners get): handle-less and destroyed
  // at once, they must emit nothing later but their one 'close'.
  const originals: Array<{ socket: Socket, events: string[] }> = []
  server.on('connection', (socket: Socket) => {
    const events: string[] = []
    for (const e of ['data', 'end', 'error', 'close', 'timeout']) socket.on(e, () => { events.push(e) })
    originals.push({ socket, events })
  })
  const port = await listen(server)
  const clients = Array.from({ length: 3 }, () => connect({ host: '127.0.0.1', port }))
  clients.forEach(c => c.on('error', () => {}))
  try {
    await waitFor(() => accepted.length === 3, 5000, 'three connections')
    const count = async (): Promise<number> => await new Promise((resolve, reject) => { server.getConnections((err, n) => { err == null ? resolve(n) : reject(err) }) })
    assert.is(await count(), 3)
    assert.ok(accepted.every(hasSlabReads))
    assert.ok(accepted.every(s => s.remotePort !== undefined), 'the new sockets own the connections')
    accepted[0].destroy()
    await waitFor(() => accepted[0].closed, 5000, 'the first to close')
    assert.is(await count(), 2)
    // A connection the client closes is counted out too (once this side ends as well: half-open).
    clients[1].end()
    readChunks(accepted[1], () => {})
    accepted[1].once('end', () => { accepted[1].end() })
    accepted[1].resume()
    await waitFor(() => accepted[1].closed, 5000, 'the second to close')
    assert.is(await count(), 1)
    let closed = false
    server.close(() => { closed = true })
    await new Promise(resolve => setTimeout(resolve, 200))
    assert.is(closed, false, 'close() waits for the open connection')
    accepted[2].destroy()
    await waitFor(() => closed, 5000, 'close() to complete')
    assert.is(originals.length, 3)
    for (const o of originals) {
      assert.ok(o.socket.destroyed)
      assert.ok(!accepted.includes(o.socket))
      assert.equal(o.events, ['close'])
    }
  } finally {
    clients.forEach(c => c.destroy())
    accepted.forEach(s => s.destroy())
    if (server.listening) server.close()
  }
})

test.run()
