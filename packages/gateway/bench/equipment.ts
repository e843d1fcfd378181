/**
 * The tunnel benchmark's test equipment, each in a process of its own, as in real use (the user's
 * client is on another machine, the service is a container process), so their work is not
 * serialized onto the gateway's or the fizz node's event loop:
 *
 * - `sink`: the "containers" — a TCP sink (counts bytes until the client's FIN, then answers the
 *   count as 8 bytes) and an HTTP server answering "ok".
 * - `client`: sends a payload over TCP to a port, half-closes, waits for the sink's count.
 *
 * parent → process: { type: 'send', port, total, chunk } | { type: 'cpu' }
 * process → parent: { type: 'ready', sinkPort?, httpPort? } | { type: 'sent', secs } | { type: 'error', message } | { type: 'cpu', ms }
 */
import { createServer as createHttpServer } from 'node:http'
import { connect, createServer, type AddressInfo } from 'node:net'
import { randomBytes } from 'node:crypto'

export function countBytes (n: number): Uint8Array {
  const b = new Uint8Array(8)
  new DataView(b.buffer).setBigUint64(0, BigInt(n))
  return b
}

/** Sends `total` bytes in `chunk`-sized writes, half-closes, waits for the 8-byte count; returns seconds. */
export async function tcpRun (port: number, chunk: Buffer, total: number): Promise<number> {
  return await new Promise<number>((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port, allowHalfOpen: true, noDelay: true })
    const answer: Buffer[] = []
    let started = 0
    s.on('data', (d: Buffer) => answer.push(d))
    s.on('error', reject)
    s.on('end', () => {
      const secs = (performance.now() - started) / 1000
      s.end()
      const got = Buffer.concat(answer)
      if (got.length !== 8 || Number(got.readBigUInt64BE(0)) !== total) reject(new Error(`sink counted ${got.length === 8 ? got.readBigUInt64BE(0) : '?'} of ${total} bytes`))
      else resolve(secs)
    })
    s.on('connect', () => {
      started = performance.now()
      let sent = 0
      const write = (): void => {
        while (sent < total) {
          sent += chunk.length
          if (!s.write(chunk)) { s.once('drain', write); return }
        }
        s.end()
      }
      write()
    })
  })
}

async function startSink (): Promise<{ sinkPort: number, httpPort: number }> {
  const sink = createServer({ allowHalfOpen: true, noDelay: true }, s => {
    let n = 0
    s.on('data', (d: Buffer) => { n += d.length })
    s.on('end', () => { s.end(countBytes(n)) })
    s.on('error', () => {})
  })
  await new Promise<void>(resolve => { sink.listen(0, '127.0.0.1', resolve) })
  const http = createHttpServer((_req, res) => { res.setHeader('content-type', 'text/plain'); res.end('ok\n') })
  http.keepAliveTimeout = 60_000
  await new Promise<void>(resolve => { http.listen(0, '127.0.0.1', resolve) })
  return { sinkPort: (sink.address() as AddressInfo).port, httpPort: (http.address() as AddressInfo).port }
}

// Run as a forked process: the role is the first argument.
if (process.send !== undefined && (process.argv[2] === 'sink' || process.argv[2] === 'client')) {
  const chunks = new Map<number, Buffer>()
  process.on('message', (msg: { type: string, port?: number, total?: number, chunk?: number }) => {
    if (msg.type === 'cpu') {
      const u = process.cpuUsage()
      process.send?.({ type: 'cpu', ms: (u.user + u.system) / 1000 })
    } else if (msg.type === 'send') {
      const size = msg.chunk!
      if (!chunks.has(size)) chunks.set(size, randomBytes(size))
      tcpRun(msg.port!, chunks.get(size)!, msg.total!).then(
        secs => process.send?.({ type: 'sent', secs }),
        (err: Error) => process.send?.({ type: 'error', message: err.message }))
    } else if (msg.type === 'stop') {
      process.exit(0)
    }
  })
  if (process.argv[2] === 'sink') void startSink().then(ports => process.send?.({ type: 'ready', ...ports }))
  else process.send({ type: 'ready' })
}
