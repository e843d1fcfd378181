/**
 * The host's CPU use over a run, from /proc/stat (Linux). Emulated nodes share the machine's
 * cores: while every core is busy, a message waits for a core at each hop, so latency measured
 * in those seconds is the host's queue as much as the protocol. (At 500 nodes on 2 cores, a
 * worker whose event loop stalled for over a second had run for a sixth of it at the median, and
 * the other workers stalled at the same time.)
 */
import { readFileSync } from 'node:fs'
import type { HostCpu } from '../results/types.js'

/** Jiffies since boot, all cores together. */
export interface CpuTimes { busy: number, total: number }

/** The aggregate `cpu` line of /proc/stat; undefined if it is not there or not numbers. */
export function parseProcStat (text: string): CpuTimes | undefined {
  const line = text.split('\n').find(l => l.startsWith('cpu '))
  // user nice system idle iowait irq softirq steal (guest time is already counted in user)
  const f = line?.trim().split(/\s+/).slice(1, 9).map(Number)
  if (f === undefined || f.length < 4 || f.some(n => !Number.isFinite(n))) return undefined
  const total = f.reduce((a, b) => a + b, 0)
  return { busy: total - f[3] - (f[4] ?? 0), total }
}

/** Now, or undefined where there is no /proc/stat. */
export function readCpuTimes (): CpuTimes | undefined {
  try {
    return parseProcStat(readFileSync('/proc/stat', 'utf8'))
  } catch {
    return undefined
  }
}

/** Share of all cores' time spent busy between two readings (0…1); undefined if no time passed. */
export function busyBetween (a: CpuTimes, b: CpuTimes): number | undefined {
  const dt = b.total - a.total
  return dt > 0 ? Math.min(1, Math.max(0, (b.busy - a.busy) / dt)) : undefined
}

/** `sample` once a second: `points` holds the busy % per second, `summary()` the whole run. */
export function hostCpuSampler (): { sample: (atMs: number) => void, points: Array<[number, number]>, summary: () => HostCpu | undefined } {
  const first = readCpuTimes()
  let last = first
  const points: Array<[number, number]> = []
  return {
    points,
    sample (atMs) {
      const now = readCpuTimes()
      const busy = last === undefined || now === undefined ? undefined : busyBetween(last, now)
      if (busy !== undefined) points.push([atMs, Math.round(busy * 1000) / 10])
      last = now
    },
    summary () {
      const busy = first === undefined || last === undefined ? undefined : busyBetween(first, last)
      if (busy === undefined || points.length === 0) return undefined
      return { busy, saturatedSeconds: points.filter(([, pct]) => pct >= 95).length, seconds: points.length }
    }
  }
}
