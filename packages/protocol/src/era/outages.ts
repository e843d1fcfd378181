/**
 * Offline time → lost reward hours and offline stretches (§4.3.8). An "hour" is one bucket of
 * `hourSeconds`; bucket h covers [h·L, (h+1)·L) of the era.
 * - A bucket with any offline (or paused) second earns nothing: under 100 % uptime that hour.
 * - Reconnect cooldown: no reward for a bucket that overlaps the hour after coming back, i.e.
 *   [end of the outage, end + L). What spills past the era's end is carried to the next era.
 * - A stretch is one outage; one still going at the era's end continues in the next era, which
 *   must then start with an outage at second 0 (otherwise it reconnected at 0).
 */
import type { Incident, LostHour, ProviderHistory, Span, Workload } from './types.js'

export interface OutageScan {
  /** Seconds offline (or paused) this era. */
  downSeconds: number
  lostHours: LostHour[]
  /** Incidents with `rule` and `workloadFee` set and `slash` 0: slashing.ts sizes them. */
  incidents: Incident[]
  /** The carried part of the next history. */
  offlineSeconds: number
  offlineSlashed: boolean
  cooldownSeconds: number
}

const OFFLINE = 1
const COOLDOWN = 2
/** Scratch marks per bucket, reused across providers (computeEra is synchronous). */
let marks = new Uint8Array(24)
/** The scan of a provider that was online all era: shared, read-only. */
const CLEAN: OutageScan = Object.freeze({
  downSeconds: 0,
  lostHours: Object.freeze([]) as unknown as LostHour[],
  incidents: Object.freeze([]) as unknown as Incident[],
  offlineSeconds: 0,
  offlineSlashed: false,
  cooldownSeconds: 0
})

type Carry = Pick<ProviderHistory, 'offlineSeconds' | 'offlineSlashed' | 'cooldownSeconds'>

/** Scans one provider's outages. The result may be shared between providers: do not change it. */
export function scanOutages (offline: readonly Span[], workloads: readonly Workload[], carry: Carry, eraSeconds: number, hourSeconds: number): OutageScan {
  const L = hourSeconds
  const hours = eraSeconds / L
  const continues = carry.offlineSeconds > 0 && offline.length > 0 && offline[0].from === 0
  // the cooldown of a reconnect at second 0: the previous era's outage ended exactly at its end
  const cooldownAtStart = carry.cooldownSeconds > 0 ? carry.cooldownSeconds : carry.offlineSeconds > 0 && !continues ? L : 0
  if (offline.length === 0 && cooldownAtStart === 0) return CLEAN
  if (marks.length < hours) marks = new Uint8Array(hours)
  marks.fill(0, 0, hours)
  if (cooldownAtStart > 0) mark(0, cooldownAtStart, COOLDOWN, L, hours)
  let down = 0
  const incidents: Incident[] = []
  let next = { offlineSeconds: 0, offlineSlashed: false, cooldownSeconds: 0 }
  for (let i = 0; i < offline.length; i++) {
    const { from, to } = offline[i]
    down += to - from
    mark(from, to, OFFLINE, L, hours)
    const carried = i === 0 && continues
    const seconds = (carried ? carry.offlineSeconds : 0) + to - from
    let workloadFee = 0n
    let interrupted = false
    for (const w of workloads) {
      if (w.from < to && w.to > from) { interrupted = true; workloadFee += w.feePerHour }
    }
    const rule: Incident['rule'] = carried && carry.offlineSlashed ? 'already-slashed' : interrupted ? 'workload' : seconds > L ? 'standby' : 'short'
    incidents.push({ from, to, seconds, workloadFee, slash: 0n, rule })
    if (to === eraSeconds) {
      next = { offlineSeconds: seconds, offlineSlashed: rule !== 'short', cooldownSeconds: 0 }
    } else {
      mark(to, to + L, COOLDOWN, L, hours)
      if (i === offline.length - 1) next.cooldownSeconds = Math.max(0, to + L - eraSeconds)
    }
  }
  const lostHours: LostHour[] = []
  for (let h = 0; h < hours; h++) {
    if (marks[h] !== 0) lostHours.push({ hour: h, reason: marks[h] === OFFLINE ? 'offline' : 'cooldown' })
  }
  return { downSeconds: down, lostHours, incidents, ...next }
}

/** Marks every bucket overlapping [from, to) (clipped to the era); offline wins over cooldown. */
function mark (from: number, to: number, kind: number, L: number, hours: number): void {
  const last = Math.min(hours - 1, Math.floor((to - 1) / L))
  for (let h = Math.floor(from / L); h <= last; h++) if (kind === OFFLINE || marks[h] === 0) marks[h] = kind
}
