/**
 * Many dcn nodes on one machine, spread over worker processes so every core works as it would
 * for separate machines: the parent forks workers and talks to them over IPC; each worker hosts
 * several nodes in-process. Used by the market benchmark and the simulation harness.
 */
import { fork, type ChildProcess } from 'node:child_process'
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks'
import { TOPICS } from '@dcn/protocol'
import { gossipInternals } from '../host.js'
import type { DcnNode } from '../node.js'

/** A message over IPC: every one carries its `type`. */
export interface IpcMessage { type: string }

/** Forks a worker module (with extra `execArgv`, e.g. a heap limit); `DCN_BENCH_PROF=DIR` profiles it. */
export function forkWorker (file: string, opts: { env?: NodeJS.ProcessEnv, execArgv?: string[] } = {}): ChildProcess {
  const prof = process.env.DCN_BENCH_PROF
  return fork(file, [], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: opts.env === undefined ? process.env : { ...process.env, ...opts.env },
    execArgv: [...(opts.execArgv ?? []), ...(prof === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${prof}`])]
  })
}

/**
 * Sends `msg` and resolves with the worker's first message of type `reply` that `accept` takes
 * (tell concurrent requests apart); rejects if the worker exits first.
 */
export async function ask<R extends IpcMessage> (child: ChildProcess, msg: IpcMessage, reply: R['type'], accept: (m: R) => boolean = () => true): Promise<R> {
  return await new Promise<R>((resolve, reject) => {
    const onExit = (code: number | null): void => { cleanup(); reject(new Error(`worker exited with ${String(code)} while asked for ${msg.type}`)) }
    const onMessage = (m: IpcMessage): void => {
      if (m.type !== reply || !accept(m as R)) return
      cleanup()
      resolve(m as R)
    }
    const cleanup = (): void => { child.off('exit', onExit); child.off('message', onMessage) }
    child.on('exit', onExit)
    child.on('message', onMessage)
    child.send(msg)
  })
}

/** Asks each worker to stop (`{ type: 'stop' }`), kills it after `graceMs`. */
export async function stopWorkers (workers: ChildProcess[], graceMs = 5000): Promise<void> {
  await Promise.all(workers.map(async w => {
    if (w.exitCode !== null || w.signalCode !== null) return
    const exited = new Promise(resolve => w.once('exit', resolve))
    try { w.send({ type: 'stop' }) } catch { w.kill('SIGKILL') }
    const t = setTimeout(() => w.kill('SIGKILL'), graceMs)
    await exited
    clearTimeout(t)
  }))
}

/**
 * Each worker's totals (`{ type: 'stats', reset }` → `{ type: 'stats', stats }`); `reset`
 * starts its event-loop delay histogram afresh.
 */
export async function workerStats (workers: ChildProcess[], reset = false): Promise<Array<Record<string, number>>> {
  return await Promise.all(workers.map(async w => (await ask<{ type: 'stats', stats: Record<string, number> }>(w, { type: 'stats', reset } as IpcMessage, 'stats')).stats))
}

/** Waits until every worker's event loop is calm (p99 delay < 100 ms over 3 s), at most `maxMs`; false if it never was. */
export async function settleWorkers (workers: ChildProcess[], maxMs: number): Promise<boolean> {
  const until = Date.now() + maxMs
  await workerStats(workers, true)
  while (Date.now() < until) {
    await new Promise(resolve => setTimeout(resolve, 3000))
    const stats = await workerStats(workers, true)
    if (stats.every(st => st.loopDelayP99Ms < 100)) return true
  }
  return false
}

/** This process's event-loop delay (a worker's health: a lagging loop delays every message). */
export function loopDelayMonitor (): { histogram: IntervalHistogram, stats: () => Record<string, number> } {
  const histogram = monitorEventLoopDelay({ resolution: 10 })
  histogram.enable()
  return {
    histogram,
    stats: () => ({ loopDelayP50Ms: histogram.percentile(50) / 1e6, loopDelayP99Ms: histogram.percentile(99) / 1e6, loopDelayMaxMs: histogram.max / 1e6 })
  }
}

/** Totals over a worker's nodes: connections, mesh sizes, negatively scored peers and every dcn_* metric (`name:label…`). */
export async function nodeTotals (nodes: DcnNode[]): Promise<Record<string, number>> {
  const out: Record<string, number> = { nodes: nodes.length, connections: 0, ordersMesh: 0, negativePeers: 0 }
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
