/**
 * A fizz node at rest: resident memory and CPU of its process over 30 s, on a devnet with a
 * gateway (the fizz node holds its relay reservation, answers the gateway's polls every 5 s,
 * follows the chain and the Docker engine). Targets: RSS < 100 MB, CPU < 1%.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startDevnet } from '../src/devnet/devnet.js'
import { silent } from '../src/log.js'
import type { BenchResult } from '@dcn/protocol'

const SETTLE_MS = 10_000
const WINDOW_MS = 30_000
/** Linux clock ticks per second (USER_HZ), what /proc/<pid>/stat counts CPU time in. */
const TICKS = 100

function cpuTicks (pid: number): number {
  // Fields after the command name (which may hold spaces) — utime and stime are 14th and 15th.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return Number(fields[11]) + Number(fields[12])
}

/** Memory only this process holds (private pages); RSS also counts the node binary's shared code. */
function privateMb (pid: number): number {
  const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8')
  const kb = (field: string): number => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(rollup)?.[1] ?? NaN)
  return (kb('Private_Clean') + kb('Private_Dirty')) / 1024
}

function rssMb (pid: number): number {
  const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return kb === null ? NaN : Number(kb[1]) / 1024
}

export async function run (): Promise<BenchResult[]> {
  const dataDir = mkdtempSync(join(tmpdir(), 'dcn-bench-fizz-'))
  const devnet = await startDevnet({ dataDir, providers: 1, fizz: 1, matchers: 1, log: silent, heartbeat: '10s' })
  try {
    const fizz = devnet.info.nodes.find(n => n.role === 'fizz')!
    const { pid } = await (await fetch(`${fizz.api}/status`)).json() as { pid: number }
    await new Promise(resolve => setTimeout(resolve, SETTLE_MS))
    const t0 = cpuTicks(pid)
    const started = Date.now()
    const samples: number[] = []
    while (Date.now() - started < WINDOW_MS) {
      samples.push(rssMb(pid))
      await new Promise(resolve => setTimeout(resolve, 1000))
    }
    const peak = Math.max(...samples)
    const mean = samples.reduce((a, b) => a + b, 0) / samples.length
    const priv = privateMb(pid)
    const cpu = (cpuTicks(pid) - t0) / TICKS / ((Date.now() - started) / 1000) * 100
    const round = (x: number): number => Math.round(x * 10) / 10
    const results = { rssMb: round(mean), rssPeakMb: round(peak), privateMb: round(priv), cpuPercent: Math.round(cpu * 100) / 100, windowS: WINDOW_MS / 1000 }
    return [{
      name: 'fizz node idle footprint',
      params: { settleS: SETTLE_MS / 1000, windowS: WINDOW_MS / 1000, gatewayPoll: '5s' },
      results,
      target: { rssMb: '< 100', cpuPercent: '< 1' },
      pass: results.rssMb < 100 && results.cpuPercent < 1,
      note: 'one fizz node process on a devnet (relay reservation held, gateway polls, chain and Docker followed); RSS sampled each second (mean = steady state, and the peak; about 48 MB of it is the node binary\'s code, shared with every other node process), private memory at the end, CPU over the window'
    }]
  } finally {
    await devnet.stop()
    rmSync(dataDir, { recursive: true, force: true })
  }
}
