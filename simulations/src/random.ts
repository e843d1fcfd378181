/**
 * The simulations' randomness (both modes): sfc32 seeded through splitmix32 from (scenario seed,
 * stream). Each concern (setup, orders, churn, latency, chain randomness) draws from its own
 * stream, so adding draws to one does not shift the others; nothing reads the clock or Math.random.
 */
export interface Rng {
  /** Uniform in [0, 1). */
  next: () => number
  /** Uniform integer in [0, n). */
  int: (n: number) => number
  /** Exponential with the given mean (Poisson inter-arrival times). */
  exp: (mean: number) => number
  /** Standard normal (Box–Muller; the pair's second value serves the next call). */
  normal: () => number
  /** 32 random bytes as 0x-hex: the chain's randomness (slot seeds, beacons). */
  hex32: () => `0x${string}`
}

function splitmix32 (a: number): () => number {
  return () => {
    a = (a + 0x9e3779b9) | 0
    let t = a ^ (a >>> 16)
    t = Math.imul(t, 0x21f0aaad)
    t = t ^ (t >>> 15)
    t = Math.imul(t, 0x735a2d97)
    return (t ^ (t >>> 15)) >>> 0
  }
}

export function rng (seed: number, stream: string): Rng {
  let h = seed >>> 0
  for (let i = 0; i < stream.length; i++) h = Math.imul(h ^ stream.charCodeAt(i), 0x01000193) >>> 0
  const sm = splitmix32(h)
  let a = sm()
  let b = sm()
  let c = sm()
  let d = sm()
  const u32 = (): number => {
    const t = (((a + b) | 0) + d) | 0
    d = (d + 1) | 0
    a = b ^ (b >>> 9)
    b = (c + (c << 3)) | 0
    c = (c << 21) | (c >>> 11)
    c = (c + t) | 0
    return t >>> 0
  }
  for (let i = 0; i < 12; i++) u32()
  const next = (): number => (u32() * 2 ** 21 + (u32() >>> 11)) / 2 ** 53
  let spare = NaN
  const normal = (): number => {
    if (!Number.isNaN(spare)) { const z = spare; spare = NaN; return z }
    const r = Math.sqrt(-2 * Math.log(1 - next()))
    const a = 2 * Math.PI * next()
    spare = r * Math.sin(a)
    return r * Math.cos(a)
  }
  return {
    next,
    int: n => Math.floor(next() * n),
    exp: mean => -Math.log(1 - next()) * mean,
    normal,
    hex32: () => {
      let s = '0x'
      for (let i = 0; i < 8; i++) s += u32().toString(16).padStart(8, '0')
      return s as `0x${string}`
    }
  }
}
