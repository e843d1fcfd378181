/**
 * `parseScenario(text, file)`: a scenario YAML file → Scenario, strictly: unknown keys are
 * refused, every value is checked, absent ones take the defaults below, and an error is one line
 * naming the file and the field path, e.g.
 * `busy.yaml: adversaries.spoofers.fraction must be a number in [0, 1] (got 1.5)`.
 *
 * The YAML keys are the Scenario type's, except that every `…Ms` field drops the suffix and takes
 * a duration string ('500ms', '20s', '10m', '2h'): `duration`, `timing.slot`, `timing.bidWindow`,
 * `timing.heartbeat`, `churn.fizzDowntime`, `workloads.duration.{min,max}`, the latency
 * parameters. `nat` may stand in for `nodes.fizz`. Resources use the manifests' units
 * (cpu '0.5' or '500m', memory '256Mi', storage '1Gi'). The question is the comment that opens
 * the file (or a `question:` key).
 */
import { basename, extname } from 'node:path'
import { LineCounter, parseDocument } from 'yaml'
import { parseAmount, parseCpu, parseDuration, parseSize } from '@dcn/protocol'
import type {
  Adversaries, Churn, LatencyDistribution, NodeCounts, Scenario, SimMode, Timing, WorkloadKind, Workloads
} from './types.js'

export class ScenarioError extends Error {
  constructor (readonly file: string, readonly field: string, problem: string) {
    super(`${file}: ${field === '' ? '' : field + ' '}${problem}`)
    this.name = 'ScenarioError'
  }
}

type Obj = Record<string, unknown>

/** The real protocol's timing: 1-hour slots, 24-slot eras (SPEC.md), 2 s bid window, 10 s heartbeats. */
export const DEFAULT_TIMING: Readonly<Timing> = { slotMs: 3_600_000, eraSlots: 24, bidWindowMs: 2000, heartbeatMs: 10_000 }

const DEFAULT_KIND: Readonly<WorkloadKind> = {
  name: 'small',
  weight: 1,
  resources: { cpu: 500, memory: 256 * 2 ** 20, storage: 2 ** 30, gpu: 0 },
  mode: 'any',
  minTrustTier: 7,
  maxPricePerHour: 1
}

/** Largest count of any one role: beyond this a model run would not fit in memory anyway. */
const MAX_COUNT = 10_000_000

export function parseScenario (text: string, file: string): Scenario {
  const v = new Validator(file)
  const lineCounter = new LineCounter()
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true, lineCounter })
  if (doc.errors.length > 0) {
    const e = doc.errors[0]
    const line = lineCounter.linePos(e.pos[0]).line
    throw new ScenarioError(file, '', `is not valid YAML${line === undefined ? '' : ` (line ${line})`}: ${e.message.split('\n')[0]}`)
  }
  const root = doc.toJS() as unknown
  if (root === null || root === undefined) throw new ScenarioError(file, '', 'is empty: a scenario needs at least nodes.providers and duration')
  const top = v.object(root, '')
  v.only(top, '', ['name', 'question', 'mode', 'seed', 'duration', 'nodes', 'nat', 'latency', 'churn', 'adversaries', 'workloads', 'timing', 'chain'])

  const comment = leadingComment(text)
  const question = top.question === undefined ? comment : v.string(top.question, 'question')
  if (question === '') throw new ScenarioError(file, 'question', 'is missing: open the file with a comment saying which question the scenario answers (or give question:)')

  const timing = parseTiming(v, top.timing)
  const { nodes, natFraction } = parseNodes(v, top.nodes, top.nat)
  const durationMs = v.duration(v.required(top, 'duration', ''), 'duration', 1)
  const scenario: Scenario = {
    name: top.name === undefined ? basename(file, extname(file)) : v.string(top.name, 'name'),
    question,
    mode: top.mode === undefined ? 'model' : v.oneOf<SimMode>(top.mode, 'mode', ['model', 'emulation']),
    seed: top.seed === undefined ? 1 : v.int(top.seed, 'seed', 0, 2 ** 32 - 1),
    durationMs,
    nodes,
    natFraction,
    latency: top.latency === undefined ? { kind: 'constant', ms: 0 } : parseLatency(v, top.latency),
    churn: parseChurn(v, top.churn),
    adversaries: parseAdversaries(v, top.adversaries),
    workloads: parseWorkloads(v, top.workloads),
    timing,
    chain: top.chain === undefined ? false : v.bool(top.chain, 'chain')
  }
  if (scenario.adversaries.spammers.count + scenario.adversaries.forgers.count > nodes.providers + nodes.gateways + nodes.fizz + nodes.slarks + nodes.matchers + nodes.users) {
    throw new ScenarioError(file, 'adversaries', 'has more spammers and forgers than the scenario has nodes')
  }
  return scenario
}

/** The comment lines that open the file, joined: the question the scenario answers. */
function leadingComment (text: string): string {
  const lines: string[] = []
  for (const raw of text.split('\n')) {
    const line = raw.trim()
    if (line.startsWith('#')) lines.push(line.replace(/^#+\s?/, '').trim())
    else if (line === '' && lines.length === 0) continue
    else break
  }
  return lines.filter(l => l !== '').join(' ')
}

function parseNodes (v: Validator, raw: unknown, rawNat: unknown): { nodes: NodeCounts, natFraction: number } {
  const o = v.object(v.present(raw, 'nodes'), 'nodes')
  v.only(o, 'nodes', ['providers', 'gateways', 'fizz', 'slarks', 'matchers', 'users'])
  const count = (key: keyof NodeCounts, fallback: number, min = 0): number =>
    o[key] === undefined ? fallback : v.int(o[key], `nodes.${key}`, min, MAX_COUNT)
  const providers = v.int(v.required(o, 'providers', 'nodes'), 'nodes.providers', 0, MAX_COUNT)
  const gateways = count('gateways', 0)
  const nat = rawNat === undefined ? undefined : v.fraction(rawNat, 'nat')
  if (nat !== undefined && nat >= 1) throw new ScenarioError(v.file, 'nat', 'must be below 1: fizz nodes need gateways, which are not behind NAT')
  const derived = nat === undefined ? 0 : Math.round(nat * (providers + gateways) / (1 - nat))
  const fizz = o.fizz === undefined ? derived : v.int(o.fizz, 'nodes.fizz', 0, MAX_COUNT)
  if (nat !== undefined && o.fizz !== undefined && fizz !== derived) {
    throw new ScenarioError(v.file, 'nat', `(${nat}) and nodes.fizz (${fizz}) disagree: nat ${nat} with ${providers + gateways} providers and gateways means ${derived} fizz nodes; give one of them`)
  }
  if (fizz > 0 && gateways === 0) throw new ScenarioError(v.file, 'nodes.gateways', `must be at least 1 for ${fizz} fizz nodes (they sell through gateways)`)
  if (providers + gateways + fizz === 0) throw new ScenarioError(v.file, 'nodes.providers', 'must be at least 1 (or give gateways or fizz): nothing would sell compute')
  const nodes: NodeCounts = { providers, gateways, fizz, slarks: count('slarks', 3), matchers: count('matchers', 1), users: count('users', 1) }
  const compute = providers + gateways + fizz
  return { nodes, natFraction: compute === 0 ? 0 : fizz / compute }
}

function parseLatency (v: Validator, raw: unknown): LatencyDistribution {
  const o = v.object(raw, 'latency')
  const kind = v.oneOf(v.required(o, 'kind', 'latency'), 'latency.kind', ['constant', 'uniform', 'normal', 'lognormal'] as const)
  const ms = (key: string): number => v.duration(v.required(o, key, 'latency'), `latency.${key}`, 0)
  switch (kind) {
    case 'constant':
      v.only(o, 'latency', ['kind', 'ms'])
      return { kind, ms: ms('ms') }
    case 'uniform': {
      v.only(o, 'latency', ['kind', 'min', 'max'])
      const minMs = ms('min')
      const maxMs = ms('max')
      if (maxMs < minMs) throw new ScenarioError(v.file, 'latency.max', `must not be below latency.min (${minMs} ms)`)
      return { kind, minMs, maxMs }
    }
    case 'normal':
      v.only(o, 'latency', ['kind', 'mean', 'stddev'])
      return { kind, meanMs: ms('mean'), stddevMs: ms('stddev') }
    case 'lognormal': {
      v.only(o, 'latency', ['kind', 'median', 'p99'])
      const medianMs = ms('median')
      const p99Ms = ms('p99')
      if (medianMs <= 0) throw new ScenarioError(v.file, 'latency.median', 'must be above 0 for a log-normal distribution')
      if (p99Ms < medianMs) throw new ScenarioError(v.file, 'latency.p99', `must not be below latency.median (${medianMs} ms)`)
      return { kind, medianMs, p99Ms }
    }
  }
}

function parseChurn (v: Validator, raw: unknown): Churn {
  if (raw === undefined) return { joinsPerHour: 0, leavesPerHour: 0, fizzDisconnectsPerHour: 0, fizzDowntimeMs: 30_000 }
  const o = v.object(raw, 'churn')
  v.only(o, 'churn', ['joinsPerHour', 'leavesPerHour', 'fizzDisconnectsPerHour', 'fizzDowntime'])
  const rate = (key: string): number => o[key] === undefined ? 0 : v.number(o[key], `churn.${key}`, 0, 1e9)
  return {
    joinsPerHour: rate('joinsPerHour'),
    leavesPerHour: rate('leavesPerHour'),
    fizzDisconnectsPerHour: rate('fizzDisconnectsPerHour'),
    fizzDowntimeMs: o.fizzDowntime === undefined ? 30_000 : v.duration(o.fizzDowntime, 'churn.fizzDowntime', 0)
  }
}

function parseAdversaries (v: Validator, raw: unknown): Adversaries {
  const a: Adversaries = {
    spoofers: { fraction: 0, factor: 2 },
    lazySlarks: { fraction: 0 },
    lyingSlarks: { fraction: 0 },
    spammers: { count: 0, perSecond: 10 },
    forgers: { count: 0, perSecond: 10 },
    priceDumpers: { fraction: 0, factor: 0.5 }
  }
  if (raw === undefined) return a
  const o = v.object(raw, 'adversaries')
  v.only(o, 'adversaries', Object.keys(a))
  const part = (key: keyof Adversaries, keys: string[]): Obj | undefined => {
    if (o[key] === undefined) return undefined
    const p = v.object(o[key], `adversaries.${key}`)
    v.only(p, `adversaries.${key}`, keys)
    return p
  }
  const fraction = (p: Obj | undefined, key: string): number | undefined => p?.fraction === undefined ? undefined : v.fraction(p.fraction, `adversaries.${key}.fraction`)
  const s = part('spoofers', ['fraction', 'factor'])
  a.spoofers = { fraction: fraction(s, 'spoofers') ?? 0, factor: s?.factor === undefined ? 2 : v.number(s.factor, 'adversaries.spoofers.factor', 1, 1000, '≥ 1 (the claimed ÷ the real capacity)') }
  a.lazySlarks = { fraction: fraction(part('lazySlarks', ['fraction']), 'lazySlarks') ?? 0 }
  a.lyingSlarks = { fraction: fraction(part('lyingSlarks', ['fraction']), 'lyingSlarks') ?? 0 }
  if (a.lazySlarks.fraction + a.lyingSlarks.fraction > 1) throw new ScenarioError(v.file, 'adversaries.lyingSlarks.fraction', `plus adversaries.lazySlarks.fraction must not exceed 1 (got ${a.lazySlarks.fraction + a.lyingSlarks.fraction})`)
  for (const key of ['spammers', 'forgers'] as const) {
    const p = part(key, ['count', 'perSecond'])
    a[key] = {
      count: p?.count === undefined ? 0 : v.int(p.count, `adversaries.${key}.count`, 0, MAX_COUNT),
      perSecond: p?.perSecond === undefined ? 10 : v.number(p.perSecond, `adversaries.${key}.perSecond`, 0, 1e6)
    }
  }
  const d = part('priceDumpers', ['fraction', 'factor'])
  a.priceDumpers = { fraction: fraction(d, 'priceDumpers') ?? 0, factor: d?.factor === undefined ? 0.5 : v.number(d.factor, 'adversaries.priceDumpers.factor', 1e-6, 1, 'in (0, 1] (their price ÷ the usual price)') }
  if (a.spoofers.fraction + a.priceDumpers.fraction > 1) throw new ScenarioError(v.file, 'adversaries.priceDumpers.fraction', `plus adversaries.spoofers.fraction must not exceed 1 (got ${a.spoofers.fraction + a.priceDumpers.fraction})`)
  return a
}

function parseWorkloads (v: Validator, raw: unknown): Workloads {
  if (raw === undefined) return { perMinute: 0, mix: [{ ...DEFAULT_KIND }], durationMs: { minMs: 300_000, maxMs: 3_600_000 } }
  const o = v.object(raw, 'workloads')
  v.only(o, 'workloads', ['perMinute', 'mix', 'duration'])
  const perMinute = o.perMinute === undefined ? 0 : v.number(o.perMinute, 'workloads.perMinute', 0, 1e9)
  let mix: WorkloadKind[] = [{ ...DEFAULT_KIND }]
  if (o.mix !== undefined) {
    if (!Array.isArray(o.mix) || o.mix.length === 0) throw new ScenarioError(v.file, 'workloads.mix', `must be a non-empty list of workload kinds (got ${show(o.mix)})`)
    mix = o.mix.map((k, i) => parseKind(v, k, `workloads.mix[${i}]`))
    const names = new Set<string>()
    mix.forEach((k, i) => {
      if (names.has(k.name)) throw new ScenarioError(v.file, `workloads.mix[${i}].name`, `"${k.name}" is used twice`)
      names.add(k.name)
    })
  }
  let durationMs = { minMs: 300_000, maxMs: 3_600_000 }
  if (o.duration !== undefined) {
    const d = v.object(o.duration, 'workloads.duration')
    v.only(d, 'workloads.duration', ['min', 'max'])
    const minMs = v.duration(v.required(d, 'min', 'workloads.duration'), 'workloads.duration.min', 1)
    const maxMs = v.duration(v.required(d, 'max', 'workloads.duration'), 'workloads.duration.max', 1)
    if (maxMs < minMs) throw new ScenarioError(v.file, 'workloads.duration.max', `must not be below workloads.duration.min (${minMs} ms)`)
    durationMs = { minMs, maxMs }
  }
  return { perMinute, mix, durationMs }
}

function parseKind (v: Validator, raw: unknown, at: string): WorkloadKind {
  const o = v.object(raw, at)
  v.only(o, at, ['name', 'weight', 'resources', 'mode', 'minTrustTier', 'maxPricePerHour'])
  const r = o.resources === undefined ? undefined : v.object(o.resources, `${at}.resources`)
  if (r !== undefined) v.only(r, `${at}.resources`, ['cpu', 'memory', 'storage', 'gpu'])
  const unit = <T>(value: unknown, path: string, parse: (x: unknown) => T): T => {
    try { return parse(value) } catch (err) { throw new ScenarioError(v.file, path, `is invalid: ${(err as Error).message}`) }
  }
  const d = DEFAULT_KIND.resources
  const price = o.maxPricePerHour === undefined ? DEFAULT_KIND.maxPricePerHour : Number(unit(o.maxPricePerHour, `${at}.maxPricePerHour`, x => { parseAmount(x); return String(x) }))
  return {
    name: o.name === undefined ? `kind${at.replace(/\D/g, '')}` : v.string(o.name, `${at}.name`),
    weight: o.weight === undefined ? 1 : v.number(o.weight, `${at}.weight`, 1e-9, 1e9, 'above 0'),
    resources: {
      cpu: r?.cpu === undefined ? d.cpu : unit(r.cpu, `${at}.resources.cpu`, parseCpu),
      memory: r?.memory === undefined ? d.memory : unit(r.memory, `${at}.resources.memory`, parseSize),
      storage: r?.storage === undefined ? d.storage : unit(r.storage, `${at}.resources.storage`, parseSize),
      gpu: r?.gpu === undefined ? 0 : v.int(r.gpu, `${at}.resources.gpu`, 0, 64)
    },
    mode: o.mode === undefined ? 'any' : v.oneOf(o.mode, `${at}.mode`, ['provider', 'fizz', 'any'] as const),
    minTrustTier: o.minTrustTier === undefined ? 7 : v.int(o.minTrustTier, `${at}.minTrustTier`, 1, 7),
    maxPricePerHour: price
  }
}

function parseTiming (v: Validator, raw: unknown): Timing {
  if (raw === undefined) return { ...DEFAULT_TIMING }
  const o = v.object(raw, 'timing')
  v.only(o, 'timing', ['slot', 'eraSlots', 'bidWindow', 'heartbeat'])
  const t: Timing = {
    slotMs: o.slot === undefined ? DEFAULT_TIMING.slotMs : v.duration(o.slot, 'timing.slot', 1000),
    eraSlots: o.eraSlots === undefined ? DEFAULT_TIMING.eraSlots : v.int(o.eraSlots, 'timing.eraSlots', 1, 10_000),
    bidWindowMs: o.bidWindow === undefined ? DEFAULT_TIMING.bidWindowMs : v.duration(o.bidWindow, 'timing.bidWindow', 1),
    heartbeatMs: o.heartbeat === undefined ? DEFAULT_TIMING.heartbeatMs : v.duration(o.heartbeat, 'timing.heartbeat', 100)
  }
  if (t.slotMs % 1000 !== 0) throw new ScenarioError(v.file, 'timing.slot', `must be whole seconds (the chain counts slots in seconds; got ${t.slotMs} ms)`)
  return t
}

const show = (x: unknown): string => x === undefined ? 'nothing' : typeof x === 'string' ? JSON.stringify(x) : Array.isArray(x) ? 'a list' : typeof x === 'object' && x !== null ? 'a mapping' : String(x)

/** Checks of one value at a field path; each failure is a ScenarioError naming the file and the path. */
class Validator {
  constructor (readonly file: string) {}

  fail (path: string, problem: string): never { throw new ScenarioError(this.file, path, problem) }

  present (x: unknown, path: string): unknown {
    if (x === undefined || x === null) this.fail(path, 'is required')
    return x
  }

  required (o: Obj, key: string, at: string): unknown {
    return this.present(o[key], at === '' ? key : `${at}.${key}`)
  }

  object (x: unknown, path: string): Obj {
    if (typeof x !== 'object' || x === null || Array.isArray(x)) this.fail(path === '' ? '' : path, `must be a mapping of keys to values (got ${show(x)})`)
    return x as Obj
  }

  only (o: Obj, path: string, keys: string[]): void {
    for (const k of Object.keys(o)) {
      if (!keys.includes(k)) this.fail(path === '' ? k : `${path}.${k}`, `is not a known field (expected one of ${keys.join(', ')})`)
    }
  }

  string (x: unknown, path: string): string {
    if (typeof x !== 'string' || x.trim() === '') this.fail(path, `must be a non-empty string (got ${show(x)})`)
    return x.trim()
  }

  bool (x: unknown, path: string): boolean {
    if (typeof x !== 'boolean') this.fail(path, `must be true or false (got ${show(x)})`)
    return x
  }

  number (x: unknown, path: string, min: number, max: number, range = `in [${min}, ${max}]`): number {
    if (typeof x !== 'number' || !Number.isFinite(x) || x < min || x > max) this.fail(path, `must be a number ${range} (got ${show(x)})`)
    return x
  }

  fraction (x: unknown, path: string): number { return this.number(x, path, 0, 1) }

  int (x: unknown, path: string, min: number, max: number): number {
    if (typeof x !== 'number' || !Number.isInteger(x) || x < min || x > max) this.fail(path, `must be a whole number from ${min} to ${max} (got ${show(x)})`)
    return x
  }

  oneOf<T extends string> (x: unknown, path: string, values: readonly T[]): T {
    if (typeof x !== 'string' || !values.includes(x as T)) this.fail(path, `must be one of ${values.join(', ')} (got ${show(x)})`)
    return x as T
  }

  /** A duration string ('500ms', '20s', '10m', '2h', '1h30m'; 0 alone) in milliseconds, at least `minMs`. */
  duration (x: unknown, path: string, minMs: number): number {
    const s = typeof x === 'string' ? x.trim() : typeof x === 'number' && x === 0 ? '0' : undefined
    let ms: number | undefined
    if (s !== undefined) {
      const m = /^(\d+(?:\.\d+)?)ms$/.exec(s)
      if (m !== null) ms = Math.round(Number(m[1]))
      else if (s === '0') ms = 0
      else if (!/^\d+$/.test(s)) { try { ms = parseDuration(s) * 1000 } catch {} }
    }
    if (ms === undefined) this.fail(path, `must be a duration like 500ms, 20s, 10m or 2h (got ${show(x)})`)
    if (ms < minMs) this.fail(path, `must be at least ${minMs} ms (got ${show(x)})`)
    return ms
  }
}
