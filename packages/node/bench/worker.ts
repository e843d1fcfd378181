/**
 * A benchmark worker process: hosts several dcn nodes in-process (real libp2p over TCP on
 * 127.0.0.1) and reports their addresses to the parent over IPC.
 *
 * parent → worker: { type: 'start', role, configs, bootstrap } | { type: 'stop' }
 * worker → parent: { type: 'started', addrs } | { type: 'decision', orderId, decidedAt }
 */
import '../src/polyfill.js'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { buildConfig } from '../src/config.js'
import { ephemeralIdentity } from '../src/identity.js'
import { startNode, type DcnNode } from '../src/node.js'
import { silent } from '../src/log.js'
import { gossipInternals } from '../src/host.js'
import { TOPICS } from '@dcn/protocol'

export interface StartMessage { type: 'start', role: 'provider' | 'matcher', configs: Array<Record<string, unknown>>, bootstrap: string[], staggerMs?: number }

const nodes: DcnNode[] = []
const loopDelay = monitorEventLoopDelay({ resolution: 10 })
loopDelay.enable()

process.on('message', (msg: StartMessage | { type: 'stop' } | { type: 'stats', reset?: boolean }) => {
  if (msg.type === 'stats') {
    void stats().then(s => {
      if (msg.reset === true) loopDelay.reset()
      process.send?.({ type: 'stats', stats: s })
    })
    return
  }
  if (msg.type === 'stop') {
    void Promise.allSettled(nodes.map(async n => await n.stop())).then(() => process.exit(0))
    return
  }
  void start(msg).catch((err: Error) => {
    process.stderr.write(`worker failed: ${err.stack ?? err.message}\n`)
    process.exit(1)
  })
})

async function start (msg: StartMessage): Promise<void> {
  const addrs: string[][] = []
  for (const raw of msg.configs) {
    const config = buildConfig(raw, { role: msg.role, dataDir: '/nonexistent', listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap: msg.bootstrap })
    const node = await startNode(config, await ephemeralIdentity(), { log: silent, libp2pMetrics: false })
    if (node.matcher !== undefined) {
      node.matcher.onDecision = (d) => { process.send?.({ type: 'decision', orderId: d.order.id, decidedAt: d.decidedAt }) }
    }
    nodes.push(node)
    addrs.push(node.host.getMultiaddrs().map(String))
    // Nodes of a real network do not all start in the same second; a burst of 100 handshakes
    // on two cores makes gossipsub's one-shot stream opens time out.
    await new Promise(resolve => setTimeout(resolve, msg.staggerMs ?? 0))
  }
  loopDelay.reset()
  process.send?.({ type: 'started', addrs })
}

/** Totals over this worker's nodes, for diagnosing delivery. */
async function stats (): Promise<Record<string, number>> {
  const out: Record<string, number> = {
    nodes: nodes.length, connections: 0, ordersMesh: 0, negativePeers: 0,
    loopDelayP50Ms: loopDelay.percentile(50) / 1e6, loopDelayP99Ms: loopDelay.percentile(99) / 1e6, loopDelayMaxMs: loopDelay.max / 1e6
  }
  for (const n of nodes) {
    for (const p of n.host.getPeers()) if (gossipInternals(n.host).getScore(p.toString()) < 0) out.negativePeers++
    out.connections += n.host.getPeers().length
    out.ordersMesh += gossipInternals(n.host).getMeshPeers(TOPICS.orders).length
    for (const metric of await n.metrics.registry.getMetricsAsJSON()) {
      for (const v of metric.values) {
        const key = metric.name.replace(/^dcn_/, '') + Object.values(v.labels ?? {}).map(l => `:${String(l)}`).join('')
        out[key] = (out[key] ?? 0) + Number(v.value)
      }
    }
  }
  return out
}
