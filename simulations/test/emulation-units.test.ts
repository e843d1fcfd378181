import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { histogramOf, mergeInto, summarise } from '../src/emulation/distribution.js'
import { busyBetween, parseProcStat, readCpuTimes } from '../src/emulation/host-cpu.js'
import { poissonTimes } from '../src/emulation/random.js'
import { latencySampler } from '../src/latency.js'
import { rng } from '../src/random.js'

const quantile = (xs: number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.ceil(p * xs.length) - 1]

test('latency draws follow the scenario\'s distribution', () => {
  const r = rng(1, 'test')
  const logn = Array.from({ length: 20_000 }, latencySampler({ kind: 'lognormal', medianMs: 20, p99Ms: 200 }, r))
  assert.ok(Math.abs(quantile(logn, 0.5) - 20) < 1.5, String(quantile(logn, 0.5)))
  assert.ok(Math.abs(quantile(logn, 0.99) - 200) < 30, String(quantile(logn, 0.99)))
  const uni = Array.from({ length: 5000 }, latencySampler({ kind: 'uniform', minMs: 5, maxMs: 15 }, r))
  assert.ok(Math.min(...uni) >= 5 && Math.max(...uni) <= 15)
  const norm = Array.from({ length: 5000 }, latencySampler({ kind: 'normal', meanMs: 10, stddevMs: 30 }, r))
  assert.ok(Math.min(...norm) >= 0, 'a delay is never negative')
  assert.is(latencySampler({ kind: 'constant', ms: 7 }, r)(), 7)
})

test('the seed fixes the draws; Poisson arrivals come at their rate', () => {
  assert.equal(Array.from({ length: 5 }, rng(42, 'test').next), Array.from({ length: 5 }, rng(42, 'test').next))
  assert.not.equal(Array.from({ length: 5 }, rng(42, 'test').next), Array.from({ length: 5 }, rng(43, 'test').next))
  const times = poissonTimes(3600, 3_600_000, rng(3, 'test'))
  assert.ok(times.length > 3400 && times.length < 3800, String(times.length))
  assert.ok(times.every((t, i) => t >= 0 && t < 3_600_000 && (i === 0 || t >= times[i - 1])))
  assert.equal(poissonTimes(0, 60_000, rng(3, 'test')), [])
})

test('a histogram summarises to percentiles, mean, max and a CDF ending at 1', () => {
  const h = histogramOf(Array.from({ length: 100 }, (_, i) => i + 1))
  mergeInto(h, histogramOf([1000]))
  const d = summarise(h)!
  assert.is(d.count, 101)
  assert.is(d.p50, 51)
  assert.is(d.p99, 100)
  assert.is(d.max, 1000)
  assert.ok(Math.abs(d.mean - (5050 + 1000) / 101) < 0.01)
  assert.equal(d.cdf.at(-1), [1000, 1])
  assert.ok(d.cdf.every(([v, f], i) => i === 0 || (v > d.cdf[i - 1][0] && f >= d.cdf[i - 1][1])))
  assert.is(summarise({}), undefined)
})

test('host CPU: /proc/stat\'s cpu line read as busy and total jiffies, busy share between readings', () => {
  // user nice system idle iowait irq softirq steal guest guest_nice
  const a = parseProcStat('cpu  100 0 50 800 50 0 0 0 0 0\ncpu0 50 0 25 400 25 0 0 0 0 0\nintr 1\n')
  assert.equal(a, { busy: 150, total: 1000 })
  const b = parseProcStat('cpu  250 0 100 850 50 0 0 0 0 0\n')
  assert.equal(b, { busy: 350, total: 1250 })
  assert.is(busyBetween(a!, b!), 200 / 250)
  assert.is(busyBetween(a!, a!), undefined, 'no time passed')
  assert.is(parseProcStat('cpu0 1 2 3 4\n'), undefined, 'no aggregate line')
  assert.is(parseProcStat('cpu  1 x 3 4\n'), undefined)
  const now = readCpuTimes()
  if (now !== undefined) assert.ok(now.total > 0 && now.busy >= 0 && now.busy <= now.total)
})

test.run()
