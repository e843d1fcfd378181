/**
 * The fizz side of the tunnel benchmark, in a process of its own: a libp2p host that dials the
 * gateway (the parent) and serves `/dcn/tunnel/1.0.0` to the sink process's ports (the
 * containers), and a raw libp2p sink protocol (counts bytes until the remote closes, answers
 * the count as 8 bytes).
 *
 * parent → worker: { type: 'start', gateway, yamux, sinkPort, httpPort } | { type: 'cpu' } | { type: 'stop' }
 * worker → parent: { type: 'ready', peerId } | { type: 'cpu', ms } (its CPU time so far)
 */
import './polyfill.js'
import type { Libp2p } from 'libp2p'
import { multiaddr } from '@multiformats/multiaddr'
import type { Stream, StreamMessageEvent } from '@libp2p/interface'
import { handleTunnels } from '../src/index.js'
import { SINK_PROTOCOL, benchHost, countBytes, type ReadyMessage, type StartMessage } from './common.js'

/** Counts a stream's bytes until the remote closes, answers the count, closes. */
function sinkStream (stream: Stream): void {
  let n = 0
  stream.addEventListener('message', (evt: StreamMessageEvent) => { n += evt.data.byteLength })
  const end = (): void => {
    stream.send(countBytes(n))
    void stream.close().catch(() => {})
  }
  if (stream.readableEnded) end()
  else stream.addEventListener('end', end, { once: true })
}

let host: Libp2p | undefined

process.on('message', (msg: StartMessage | { type: 'stop' } | { type: 'cpu' }) => {
  if (msg.type === 'cpu') {
    const u = process.cpuUsage()
    process.send?.({ type: 'cpu', ms: (u.user + u.system) / 1000 })
    return
  }
  if (msg.type === 'stop') {
    void (host?.stop() ?? Promise.resolve()).finally(() => process.exit(0))
    return
  }
  void start(msg).catch((err: Error) => {
    process.stderr.write(`tunnel bench worker failed: ${err.stack ?? err.message}\n`)
    process.exit(1)
  })
})

async function start (msg: StartMessage): Promise<void> {
  const { sinkPort, httpPort } = msg
  host = await benchHost(msg.yamux, false)
  await host.handle(SINK_PROTOCOL, (stream) => { sinkStream(stream) }, { maxInboundStreams: 64 })
  await handleTunnels(host, async (req) => {
    if (req.port === 1) return { host: '127.0.0.1', port: sinkPort }
    if (req.port === 80) return { host: '127.0.0.1', port: httpPort }
    throw new Error(`port ${req.port} is not exposed`)
  })
  await host.dial(multiaddr(msg.gateway))
  const ready: ReadyMessage = { type: 'ready', peerId: host.peerId.toString() }
  process.send?.(ready)
}
