/**
 * Benchmark of the tunnel between two processes on this machine: this one is the gateway (a
 * libp2p host and an Ingress), a forked worker is the fizz node (a libp2p host that dialled the
 * gateway and the tunnel handler). The test equipment runs in two more processes, as it would in
 * real use (equipment.ts): the "containers" (a TCP sink and an HTTP server) and the user's
 * TCP client.
 *
 * Throughput, the same payload each run, rounds interleaved, median of the rounds (the target's
 * ratio: median of the per-round ratios of (c) and (b), which run back to back):
 *   (a) plain loopback TCP: the client → the TCP sink;
 *   (b) a raw libp2p stream (Noise + Yamux) on the gateway's connection to the fizz node → a sink
 *       protocol in the worker, sent in 64 KiB pieces like the TCP client's writes; (b′) the
 *       same sent in 1 MiB pieces;
 *   (c) TCP to an Ingress pool port → tunnel over that same connection → fizz → the TCP sink.
 * Each run ends when the sink's answer (the byte count, sent after the client's FIN) is back,
 * so every byte has arrived. Reported in MB/s (10^6 bytes) with (c)/(b) (target ≥ 0.8), (c)/(b′)
 * and (c)/(a), and the CPU time both processes spent per MB (user + system, all threads) — the
 * machine's cores are shared by client, gateway, fizz node and sink, so throughput is mostly a
 * matter of CPU per byte.
 *
 * HTTP latency: sequential keep-alive requests (one connection each way) to the worker's HTTP
 * server directly, and through the Ingress HTTP port by Host; p50 and p99 of each and the
 * difference (target: under 1 ms added at p50).
 *
 * Environment: DCN_BENCH_TUNNEL_MIB (payload, default 256), DCN_BENCH_TUNNEL_ROUNDS (default 9),
 * DCN_BENCH_TUNNEL_WINDOW_MIB (yamux maxStreamWindowSize on both hosts, default yamux's 16),
 * DCN_BENCH_TUNNEL_REQUESTS (default 2000), DCN_BENCH_TUNNEL_MODES (any of a, b, B (b′), c; e.g. 'c'
 * to profile one kind of run), DCN_BENCH_PROF=<dir> (CPU profile of the worker written there).
 */
import type { BenchResult } from '@dcn/protocol'
import { fork, type ChildProcess } from 'node:child_process'
import { Agent, request } from 'node:http'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'
import { randomBytes } from 'node:crypto'
import { cpus } from 'node:os'
import { peerIdFromString } from '@libp2p/peer-id'
import type { PeerId } from '@libp2p/interface'
import type { Libp2p } from 'libp2p'
import { Ingress, openTunnel } from '../src/index.js'
import { SINK_PROTOCOL, benchHost, type ReadyMessage, type StartMessage, type YamuxTuning } from './common.js'


const WORKER = fileURLToPath(new URL('./tunnel-worker.js', import.meta.url))
const EQUIPMENT = fileURLToPath(new URL('./equipment.js', import.meta.url))
const MIB = 2 ** 20
const PAYLOAD_MIB = Number(process.env.DCN_BENCH_TUNNEL_MIB ?? 256)
const ROUNDS = Number(process.env.DCN_BENCH_TUNNEL_ROUNDS ?? 9)
const REQUESTS = Number(process.env.DCN_BENCH_TUNNEL_REQUESTS ?? 2000)
/** Which throughput runs (profiling one of them): any of a, b, B (b′), c. */
const MODES = process.env.DCN_BENCH_TUNNEL_MODES ?? 'abBc'
/** What the senders write at a time (a socket read is at most 64 KiB too). */
const CHUNK = 64 * 1024
/** The raw stream's sends in run (b′). */
const BIG_CHUNK = 1024 * 1024
const DOMAIN = 'bench.test'

function percentile (xs: number[], p: number): number {
  if (xs.length === 0) return NaN
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.ceil(p / 100 * s.length) - 1)]
}
const median = (xs: number[]): number => percentile(xs, 50)
const r2 = (x: number): number => Math.round(x * 100) / 100
const r3 = (x: number): number => Math.round(x * 1000) / 1000

async function startWorker (gateway: Libp2p, tuning: YamuxTuning, sink: SinkPorts): Promise<{ child: ChildProcess, ready: ReadyMessage }> {
  const child = fork(WORKER, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: process.env.DCN_BENCH_PROF === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${process.env.DCN_BENCH_PROF}`] })
  const ready = await new Promise<ReadyMessage>((resolve, reject) => {
    child.once('exit', code => { reject(new Error(`tunnel bench worker exited with ${String(code)}`)) })
    child.on('message', (m: ReadyMessage) => { if (m.type === 'ready') resolve(m) })
    const start: StartMessage = { type: 'start', gateway: gateway.getMultiaddrs()[0].toString(), yamux: tuning, ...sink }
    child.send(start)
  })
  child.removeAllListeners('exit')
  return { child, ready }
}

interface SinkPorts { sinkPort: number, httpPort: number }

/** Asks a child process for its CPU time so far (user + system, all threads), in ms. */
async function childCpu (child: ChildProcess): Promise<number> {
  return await new Promise<number>(resolve => {
    const onMessage = (m: { type: string, ms?: number }): void => {
      if (m.type !== 'cpu') return
      child.removeListener('message', onMessage)
      resolve(m.ms!)
    }
    child.on('message', onMessage)
    child.send({ type: 'cpu' })
  })
}

/** CPU time of the gateway (this process), the fizz worker and the two equipment processes, in ms. */
async function cpuNow (fizz: ChildProcess, equipment: ChildProcess[]): Promise<{ gateway: number, fizz: number, equipment: number }> {
  const u = process.cpuUsage()
  const [f, ...e] = await Promise.all([childCpu(fizz), ...equipment.map(childCpu)])
  return { gateway: (u.user + u.system) / 1000, fizz: f, equipment: e.reduce((a, b) => a + b, 0) }
}

/** Forks an equipment process (`sink` or `client`) and waits for it to be ready. */
async function startEquipment (role: 'sink' | 'client'): Promise<{ child: ChildProcess, ready: { sinkPort?: number, httpPort?: number } }> {
  const child = fork(EQUIPMENT, [role], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const ready = await new Promise<{ sinkPort?: number, httpPort?: number }>((resolve, reject) => {
    child.once('exit', code => { reject(new Error(`tunnel bench ${role} exited with ${String(code)}`)) })
    child.on('message', (m: { type: string, sinkPort?: number, httpPort?: number }) => { if (m.type === 'ready') resolve(m) })
  })
  child.removeAllListeners('exit')
  return { child, ready }
}

/** The client process sends `total` bytes in `chunk`-byte writes to a port; returns seconds. */
async function tcpRun (client: ChildProcess, port: number, chunk: number, total: number): Promise<number> {
  return await new Promise<number>((resolve, reject) => {
    const onMessage = (m: { type: string, secs?: number, message?: string }): void => {
      if (m.type !== 'sent' && m.type !== 'error') return
      client.removeListener('message', onMessage)
      if (m.type === 'sent') resolve(m.secs!)
      else reject(new Error(m.message))
    }
    client.on('message', onMessage)
    client.send({ type: 'send', port, total, chunk })
  })
}

async function stopWorker (child: ChildProcess): Promise<void> {
  await new Promise<void>(resolve => {
    const timer = setTimeout(() => { child.kill('SIGKILL') }, 5000)
    child.once('exit', () => { clearTimeout(timer); resolve() })
    child.send({ type: 'stop' })
  })
}

/** The same over a raw libp2p stream on the gateway's connection to the worker. */
async function streamRun (gateway: Libp2p, peer: PeerId, chunk: Buffer, total: number): Promise<number> {
  const stream = await gateway.dialProtocol(peer, SINK_PROTOCOL)
  const started = performance.now()
  const answer = new Promise<number>((resolve, reject) => {
    let got = 0
    let value = -1
    stream.addEventListener('message', (evt) => {
      const b = evt.data.subarray()
      if (b.byteLength >= 8) value = Number(new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0))
      got += b.byteLength
    })
    stream.addEventListener('close', (evt) => {
      if (evt.error !== undefined) reject(evt.error)
      else if (got !== 8 || value !== total) reject(new Error(`sink counted ${value} of ${total} bytes`))
      else resolve((performance.now() - started) / 1000)
    })
  })
  // Sent as the tunnel sends (splice.ts): at most 256 KiB queued in the stream, resuming on a
  // 'drain' that left the queue short. (`onDrain()` of libp2p 3 resolves at once after the first
  // drain, so `if (!send()) await onDrain()` would queue the whole payload.)
  await new Promise<void>((resolve, reject) => {
    let sent = 0
    const pump = (): void => {
      while (sent < total && stream.writeBufferLength < 256 * 1024) {
        sent += chunk.length
        stream.send(chunk)
      }
      if (sent >= total) { cleanup(); resolve() }
    }
    const onDrain = (): void => { queueMicrotask(pump) }
    const onClose = (): void => { cleanup(); reject(new Error('stream closed while sending')) }
    const cleanup = (): void => {
      stream.removeEventListener('drain', onDrain)
      stream.removeEventListener('idle', onDrain)
      stream.removeEventListener('close', onClose)
    }
    stream.addEventListener('drain', onDrain)
    stream.addEventListener('idle', onDrain)
    stream.addEventListener('close', onClose)
    pump()
  })
  await stream.close()
  return await answer
}

async function freeRange (count: number): Promise<number> {
  const free = async (port: number): Promise<boolean> => await new Promise(resolve => {
    const s = createServer()
    s.once('error', () => { resolve(false) })
    s.listen(port, '127.0.0.1', () => { s.close(() => { resolve(true) }) })
  })
  for (let attempt = 0; attempt < 200; attempt++) {
    const from = 20_000 + Math.floor(Math.random() * 30_000)
    let ok = true
    for (let p = from; p < from + count && ok; p++) ok = await free(p)
    if (ok) return from
  }
  throw new Error('no free port range')
}

async function timedGet (agent: Agent, port: number, host: string): Promise<number> {
  const t = performance.now()
  await new Promise<void>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/', headers: { host }, agent }, res => {
      res.on('data', () => {})
      res.on('end', () => { res.statusCode === 200 ? resolve() : reject(new Error(`status ${String(res.statusCode)}`)) })
    })
    req.on('error', reject)
    req.end()
  })
  return performance.now() - t
}

async function latencies (port: number, host: string, n: number): Promise<number[]> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 })
  try {
    for (let i = 0; i < 200; i++) await timedGet(agent, port, host)
    const out: number[] = []
    for (let i = 0; i < n; i++) out.push(await timedGet(agent, port, host))
    return out
  } finally {
    agent.destroy()
  }
}

/** One full measurement with the given yamux settings on both hosts. */
async function measure (tuning: YamuxTuning, label: string, withLatency: boolean): Promise<BenchResult[]> {
  const gateway = await benchHost(tuning, true)
  const sinkProc = await startEquipment('sink')
  const clientProc = await startEquipment('client')
  const equipment = [sinkProc.child, clientProc.child]
  const sink = { sinkPort: sinkProc.ready.sinkPort!, httpPort: sinkProc.ready.httpPort! }
  const { child, ready } = await startWorker(gateway, tuning, sink)
  const fizz = peerIdFromString(ready.peerId)
  const from = await freeRange(4)
  const ingress = new Ingress({
    bindHost: '127.0.0.1',
    ports: { from, to: from + 3 },
    httpPort: 0,
    domain: DOMAIN,
    open: async (route) => await openTunnel(gateway, route.peer, route.request)
  })
  const out: BenchResult[] = []
  try {
    while (gateway.getConnections(fizz).length === 0) await new Promise(resolve => setTimeout(resolve, 10))
    const sinkRoute = { peer: fizz, request: { leaseId: '1', service: 'sink', replica: 0, port: 1 } }
    const webRoute = { peer: fizz, request: { leaseId: '1', service: 'web', replica: 0, port: 80 } }
    const sinkEndpoint = await ingress.expose('sink', [sinkRoute], { http: false })
    const web = await ingress.expose('web', [webRoute], { http: true })

    const chunk = randomBytes(CHUNK)
    const bigChunk = Buffer.concat(Array.from({ length: BIG_CHUNK / CHUNK }, () => chunk))
    const total = Math.ceil(PAYLOAD_MIB * MIB / BIG_CHUNK) * BIG_CHUNK
    // Warm-up: JIT, yamux window growth, TCP buffers.
    const warm = Math.min(total, 32 * MIB)
    await tcpRun(clientProc.child, sink.sinkPort, CHUNK, warm)
    await streamRun(gateway, fizz, chunk, warm)
    await tcpRun(clientProc.child, sinkEndpoint.tcpPort, CHUNK, warm)
    type Kind = 'tcp' | 'libp2p' | 'libp2pBig' | 'tunnel'
    const runs: Record<Kind, { secs: number[], gatewayCpu: number, fizzCpu: number, equipmentCpu: number }> = {
      tcp: { secs: [], gatewayCpu: 0, fizzCpu: 0, equipmentCpu: 0 },
      libp2p: { secs: [], gatewayCpu: 0, fizzCpu: 0, equipmentCpu: 0 },
      libp2pBig: { secs: [], gatewayCpu: 0, fizzCpu: 0, equipmentCpu: 0 },
      tunnel: { secs: [], gatewayCpu: 0, fizzCpu: 0, equipmentCpu: 0 }
    }
    const timed = async (kind: Kind, f: () => Promise<number>): Promise<void> => {
      const before = await cpuNow(child, equipment)
      runs[kind].secs.push(await f())
      const after = await cpuNow(child, equipment)
      runs[kind].gatewayCpu += after.gateway - before.gateway
      runs[kind].fizzCpu += after.fizz - before.fizz
      runs[kind].equipmentCpu += after.equipment - before.equipment
    }
    const raw = async (): Promise<void> => { if (MODES.includes('b')) await timed('libp2p', async () => await streamRun(gateway, fizz, chunk, total)) }
    const tunnel = async (): Promise<void> => { if (MODES.includes('c')) await timed('tunnel', async () => await tcpRun(clientProc.child, sinkEndpoint.tcpPort, CHUNK, total)) }
    for (let round = 0; round < ROUNDS; round++) {
      if (MODES.includes('a')) await timed('tcp', async () => await tcpRun(clientProc.child, sink.sinkPort, CHUNK, total))
      if (MODES.includes('B')) await timed('libp2pBig', async () => await streamRun(gateway, fizz, bigChunk, total))
      // The pair the target compares runs back to back, in alternating order, so that a change
      // in the machine's load (its cores are shared) hits both sides of a round alike.
      if (round % 2 === 0) { await raw(); await tunnel() } else { await tunnel(); await raw() }
    }
    const mbps = (k: Kind): number => Math.round(total / 1e6 / median(runs[k].secs))
    /** tunnel ÷ raw stream in each round (same-round pairs), then the median over the rounds. */
    const pairedRatio = median(runs.tunnel.secs.map((t, i) => runs.libp2p.secs[i] / t))
    /** CPU time (both processes, all threads, user + system) per MB moved. */
    const cpuPerMB = (k: Kind, which: 'both' | 'gatewayCpu' | 'fizzCpu' | 'equipmentCpu' = 'both'): number => {
      const r = runs[k]
      const ms = which === 'both' ? r.gatewayCpu + r.fizzCpu : r[which]
      return r3(ms / (r.secs.length * total / 1e6))
    }
    const ratio = r2(pairedRatio)
    out.push({
      name: 'tunnel throughput',
      params: { payloadMiB: total / MIB, writeKiB: CHUNK / 1024, rounds: ROUNDS, yamux: label },
      results: {
        tcpMBps: mbps('tcp'),
        libp2pStreamMBps: mbps('libp2p'),
        libp2pStream1MiBWritesMBps: mbps('libp2pBig'),
        tunnelMBps: mbps('tunnel'),
        tunnelVsLibp2p: ratio,
        tunnelVsLibp2pMedians: r2(mbps('tunnel') / mbps('libp2p')),
        tunnelVsLibp2pWorstRound: r2(Math.min(...runs.tunnel.secs.map((t, i) => runs.libp2p.secs[i] / t))),
        tunnelVsLibp2p1MiBWrites: r2(mbps('tunnel') / mbps('libp2pBig')),
        tunnelVsTcp: r2(mbps('tunnel') / mbps('tcp')),
        tcpCpuMsPerMB: cpuPerMB('tcp'),
        libp2pCpuMsPerMB: cpuPerMB('libp2p'),
        libp2p1MiBWritesCpuMsPerMB: cpuPerMB('libp2pBig'),
        tunnelCpuMsPerMB: cpuPerMB('tunnel'),
        tunnelGatewayCpuMsPerMB: cpuPerMB('tunnel', 'gatewayCpu'),
        tunnelFizzCpuMsPerMB: cpuPerMB('tunnel', 'fizzCpu'),
        tunnelEquipmentCpuMsPerMB: cpuPerMB('tunnel', 'equipmentCpu'),
        tcpEquipmentCpuMsPerMB: cpuPerMB('tcp', 'equipmentCpu')
      },
      target: { tunnelVsLibp2p: '>= 0.8' },
      baseline: { tunnelMBps: 'libp2pStreamMBps', tunnelVsLibp2p: 'libp2pStreamMBps', tunnelVsTcp: 'tcpMBps' },
      pass: ratio >= 0.8,
      note: 'MB = 10^6 bytes, median of the rounds; tunnelVsLibp2p is the median of the rounds\' ratios, (b) and (c) running back to back in each round (tunnelVsLibp2pMedians: ratio of the two medians). (a) loopback TCP to the fizz process\'s sink; (b) raw libp2p stream (Noise + Yamux) on the gateway→fizz connection, 64 KiB sends like the TCP client\'s writes (b′: 1 MiB sends); (c) TCP → Ingress pool port → tunnel → fizz → the same TCP sink. CPU ms per MB: both processes, user + system. The machine has ' + String(cpus().length) + ' cores shared by client, gateway, fizz node and sink.'
    })

    if (withLatency) {
      const direct = await latencies(sink.httpPort, 'direct', REQUESTS)
      const through = await latencies(web.httpPort!, web.httpHost!, REQUESTS)
      const added50 = median(through) - median(direct)
      out.push({
        name: 'tunnel http latency',
        params: { requests: REQUESTS, keepAlive: true, yamux: label },
        results: {
          directP50Ms: r3(median(direct)),
          directP99Ms: r3(percentile(direct, 99)),
          ingressP50Ms: r3(median(through)),
          ingressP99Ms: r3(percentile(through, 99)),
          addedP50Ms: r3(added50),
          addedP99Ms: r3(percentile(through, 99) - percentile(direct, 99))
        },
        target: { addedP50Ms: '< 1' },
        baseline: { ingressP50Ms: 'directP50Ms', ingressP99Ms: 'directP99Ms', addedP50Ms: 'directP50Ms' },
        pass: added50 < 1,
        note: 'sequential requests on one keep-alive connection: to the backend directly vs through the Ingress HTTP port (Host routing, one tunnel)'
      })
    }
  } finally {
    await ingress.close()
    await stopWorker(child)
    for (const e of equipment) e.kill()
    await gateway.stop()
  }
  return out
}

export async function run (): Promise<BenchResult[]> {
  const window = process.env.DCN_BENCH_TUNNEL_WINDOW_MIB
  return window === undefined
    ? await measure({}, 'default (window grows to 16 MiB)', true)
    : await measure({ maxStreamWindowSize: Number(window) * MIB }, `maxStreamWindowSize ${window} MiB`, true)
}
