/**
 * The discrete-event queue: a binary heap ordered by time, then by insertion, so events at the
 * same simulated millisecond run in the order they were scheduled (deterministic).
 */
export interface Event<T> { at: number, seq: number, data: T }

export class EventQueue<T> {
  private readonly heap: Array<Event<T>> = []
  private seq = 0

  get size (): number { return this.heap.length }

  push (at: number, data: T): void {
    const h = this.heap
    h.push({ at, seq: this.seq++, data })
    let i = h.length - 1
    while (i > 0) {
      const p = (i - 1) >> 1
      if (!before(h[i], h[p])) break
      ;[h[i], h[p]] = [h[p], h[i]]
      i = p
    }
  }

  /** The time of the next event, or Infinity. */
  peek (): number { return this.heap.length === 0 ? Infinity : this.heap[0].at }

  pop (): Event<T> | undefined {
    const h = this.heap
    if (h.length === 0) return undefined
    const top = h[0]
    const last = h.pop()!
    if (h.length > 0) {
      h[0] = last
      let i = 0
      for (;;) {
        const l = 2 * i + 1
        const r = l + 1
        let m = i
        if (l < h.length && before(h[l], h[m])) m = l
        if (r < h.length && before(h[r], h[m])) m = r
        if (m === i) break
        ;[h[i], h[m]] = [h[m], h[i]]
        i = m
      }
    }
    return top
  }
}

const before = <T>(a: Event<T>, b: Event<T>): boolean => a.at < b.at || (a.at === b.at && a.seq < b.seq)
