/**
 * A benchmark worker process: hosts several dcn nodes in-process (real libp2p over TCP on
 * 127.0.0.1) and reports their addresses to the parent over IPC.
 *
 * parent → worker: { type: 'start', role, configs, bootstrap } | { type: 'stop' }
 * worker → parent: { type: 'started', addrs } | { type: 'decision', orderId, decidedAt }
 */
import '../src/polyfill.js'
import { buildConfig } from '../src/config.js'
import { ephemeralIdentity } from '../src/identity.js'
import { startNode, type DcnNode } from '../src/node.js'
import { silent } from '../src/log.js'
import { loopDelayMonitor, nodeTotals } from '../src/cluster/workers.js'

export interface StartMessage { type: 'start', role: 'provider' | 'matcher', configs: Array<Record<string, unknown>>, bootstrap: string[], staggerMs?: number }

const nodes: DcnNode[] = []
const loop = loopDelayMonitor()

process.on('message', (msg: StartMessage | { type: 'stop' } | { type: 'stats', reset?: boolean }) => {
  if (msg.type === 'stats') {
    void nodeTotals(nodes).then(s => {
      if (msg.reset === true) loop.histogram.reset()
      process.send?.({ type: 'stats', stats: { ...s, ...loop.stats() } })
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
      // A withheld decision waited its turn; the one published first is what the user sees.
      node.matcher.onDecision = (d) => { if (!d.withheld) process.send?.({ type: 'decision', orderId: d.order.id, decidedAt: d.decidedAt }) }
    }
    nodes.push(node)
    addrs.push(node.host.getMultiaddrs().map(String))
    // Nodes of a real network do not all start in the same second; a burst of 100 handshakes
    // on two cores makes gossipsub's one-shot stream opens time out.
    await new Promise(resolve => setTimeout(resolve, msg.staggerMs ?? 0))
  }
  loop.histogram.reset()
  process.send?.({ type: 'started', addrs })
}
