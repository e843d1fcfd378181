/**
 * What a slark sees of the providers between era reports, from gossip: their signed heartbeats
 * (every 10 s; timed by the time they carry, so slarks that received the same messages agree
 * to the second) and the committees' votes (each member's measured acknowledgement time, and
 * its measurements of the other members' votes: the slarks' response times).
 * `offlineSpans` turns heartbeats into the era maths' offline spans.
 */
import type { Address, SlarkLag } from '@dcn/protocol'
import type { Span } from '@dcn/protocol'

/** A gap between heartbeats longer than this many intervals is time offline. */
export const MISSED_BEATS = 3

/**
 * Offline spans within [from, to) (unix seconds) from heartbeat times (unix ms), relative to
 * `from`: a gap of more than MISSED_BEATS intervals is offline from one interval after the last
 * beat until the next beat; no beat at all before the end means offline to the end.
 */
export function offlineSpans (beatsMs: number[], from: number, to: number, intervalMs: number): Span[] {
  const limit = MISSED_BEATS * intervalMs
  const beats = beatsMs.filter(t => t >= (from * 1000) - limit && t < to * 1000).sort((a, b) => a - b)
  const spans: Span[] = []
  const push = (startMs: number, endMs: number): void => {
    const a = Math.max(0, Math.floor(startMs / 1000) - from)
    const b = Math.min(to - from, Math.ceil(endMs / 1000) - from)
    if (b <= a) return
    const last = spans[spans.length - 1]
    if (last !== undefined && a <= last.to) last.to = Math.max(last.to, b)
    else spans.push({ from: a, to: b })
  }
  let prev = from * 1000 - intervalMs
  for (const t of beats) {
    if (t - prev > limit) push(prev + intervalMs, t)
    prev = Math.max(prev, t)
  }
  if (to * 1000 - prev > limit) push(prev + intervalMs, to * 1000)
  return spans
}

export class EraObserver {
  private readonly beats = new Map<string, number[]>()
  /**
   * Unix ms from which this observer's heartbeats mean anything: it started listening then, and
   * a provider's silence before that is no evidence (slarks that started apart must agree).
   */
  readonly since: number

  constructor (now = Date.now()) {
    this.since = now
  }
  private readonly responses = new Map<string, Array<{ slot: number, slark: string, ms: number, seen: readonly SlarkLag[] }>>()

  heartbeat (wallet: Address, createdMs: number): void {
    const list = this.beats.get(wallet.toLowerCase()) ?? []
    list.push(createdMs)
    this.beats.set(wallet.toLowerCase(), list)
  }

  vote (provider: Address, slot: number, slark: Address, responseMs: number, seen: readonly SlarkLag[] = []): void {
    const list = this.responses.get(provider.toLowerCase()) ?? []
    if (!list.some(r => r.slot === slot && r.slark === slark.toLowerCase())) list.push({ slot, slark: slark.toLowerCase(), ms: responseMs, seen })
    this.responses.set(provider.toLowerCase(), list)
  }

  /** Offline spans of the wallet in [from, to), counted only from when silence became evidence (see `since`). */
  offline (wallet: Address, from: number, to: number, intervalMs: number): Span[] {
    const observedFrom = Math.ceil((this.since + MISSED_BEATS * intervalMs) / 1000)
    if (observedFrom >= to) return []
    const start = Math.max(from, observedFrom)
    return offlineSpans(this.beats.get(wallet.toLowerCase()) ?? [], start, to, intervalMs).map(sp => ({ from: sp.from + start - from, to: sp.to + start - from }))
  }

  /** Acknowledgement times measured in the given slots, by the given slarks (the majority's). */
  response (provider: Address, slots: ReadonlySet<number>, by?: (slot: number, slark: string) => boolean): { count: number, totalMs: number } {
    const rs = (this.responses.get(provider.toLowerCase()) ?? []).filter(r => slots.has(r.slot) && (by === undefined || by(r.slot, r.slark)))
    return { count: rs.length, totalMs: rs.reduce((a, r) => a + r.ms, 0) }
  }

  /**
   * A slark's response time from the other members' measurements (see SlarkLag) carried by the
   * votes cast in the given slots by the given voters (the majority's, which the chain names, so
   * every slark counts the same votes). Per challenge, the lower median of what its observers
   * measured is one sample: one observer alone cannot make a slark look slow (nor, from three
   * observers up, fast). A slark's measurements of itself do not count.
   */
  slarkResponse (slark: Address, slots: ReadonlySet<number>, by?: (slot: number, voter: string) => boolean): { count: number, totalMs: number } {
    const who = slark.toLowerCase()
    const perChallenge = new Map<string, Map<string, number>>()
    for (const list of this.responses.values()) {
      for (const v of list) {
        if (!slots.has(v.slot) || v.slark === who || (by !== undefined && !by(v.slot, v.slark))) continue
        for (const lag of v.seen) {
          if (lag.slark.toLowerCase() !== who) continue
          const key = `${lag.slot}:${lag.provider.toLowerCase()}`
          const byObserver = perChallenge.get(key) ?? new Map<string, number>()
          // An honest observer measures a challenge once; of repeats the least counts (whatever the order they came in).
          byObserver.set(v.slark, Math.min(byObserver.get(v.slark) ?? lag.ms, lag.ms))
          perChallenge.set(key, byObserver)
        }
      }
    }
    let totalMs = 0
    for (const byObserver of perChallenge.values()) totalMs += lowerMedian([...byObserver.values()])
    return { count: perChallenge.size, totalMs }
  }

  /** Drops what is older than `beforeMs`. */
  prune (beforeMs: number, beforeSlot: number): void {
    for (const [k, v] of this.beats) this.beats.set(k, v.filter(t => t >= beforeMs))
    for (const [k, v] of this.responses) this.responses.set(k, v.filter(r => r.slot >= beforeSlot))
  }
}

/** The lower middle value (the smaller of the two middle ones for an even count). */
export function lowerMedian (xs: readonly number[]): number {
  const sorted = [...xs].sort((a, b) => a - b)
  return sorted[Math.floor((sorted.length - 1) / 2)]
}
