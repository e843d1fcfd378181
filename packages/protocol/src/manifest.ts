/**
 * The deployment manifest (YAML, in the manner of Akash SDL / Spheron ICL). `parseManifest`
 * validates it and derives what an order needs; every error names the field and its line.
 *
 * Pricing: `maxPerHour` is per replica, so the order's maximum is Σ maxPerHour × count.
 */
import { keccak256, toBytes } from 'viem'
import { LineCounter, parseDocument, isMap, isScalar, isSeq, type Document } from 'yaml'
import { parseAmount, parseCpu, parseDuration, parseSize, perHourToPerSecond } from './units.js'
import type { Address, Hex, Mode, Order, Resources } from './types.js'

export interface ExposedPort {
  port: number
  /** Port users reach it on; defaults to `port`. */
  as: number
  proto: 'tcp' | 'udp' | 'http'
  global: boolean
}

export interface Service {
  image: string
  command: string[]
  args: string[]
  env: Record<string, string>
  expose: ExposedPort[]
  pullPolicy: 'always' | 'if-not-present' | 'never'
}

export interface ComputeProfile { cpu: number, memory: number, storage: number, gpu: { units: number, model: string } }
export interface PlacementProfile { region: string, tier: number, mode: Mode, pricing: { token: Address, maxPerHour: bigint } }
export interface DeploymentEntry { placement: string, profile: string, count: number }

export interface Manifest {
  version: string
  services: Record<string, Service>
  profiles: { compute: Record<string, ComputeProfile>, placement: Record<string, PlacementProfile> }
  deployment: Record<string, DeploymentEntry>
  /** Lease duration in seconds. */
  duration: number
}

/** What an order is made of, derived from a manifest. */
export type OrderSpec = Pick<Order, 'resources' | 'region' | 'minTrustTier' | 'mode' | 'token' | 'maxPricePerSecond' | 'duration' | 'manifestHash'>

export class ManifestError extends Error {
  constructor (readonly field: string, readonly line: number | null, problem: string) {
    super(`${field}${line === null ? '' : ` (line ${line})`}: ${problem}`)
    this.name = 'ManifestError'
  }
}

export interface ManifestOptions {
  /** Token symbols users may write instead of addresses, e.g. { SPON: '0x…' }. */
  tokens?: Record<string, Address>
}

/** keccak256 of the manifest file's bytes: what the order commits to. */
export function manifestHash (text: string): Hex {
  return keccak256(toBytes(text))
}

export function parseManifest (text: string, opts: ManifestOptions = {}): { manifest: Manifest, order: OrderSpec } {
  const lines = new LineCounter()
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true })
  if (doc.errors.length > 0) {
    const e = doc.errors[0]
    throw new ManifestError('manifest', e.linePos?.[0].line ?? lines.linePos(e.pos[0]).line, e.message.split('\n')[0])
  }
  const ctx = new Ctx(doc, lines)
  const root = ctx.map([], true)
  ctx.only([], root, ['version', 'services', 'profiles', 'deployment', 'duration'])

  const version = String(ctx.req([], root, 'version'))
  if (!['1', '1.0'].includes(version)) ctx.fail(['version'], `unsupported version "${version}" (expected "1.0")`)

  const services: Record<string, Service> = {}
  const svcMap = ctx.map(['services'], true)
  if (Object.keys(svcMap).length === 0) ctx.fail(['services'], 'needs at least one service')
  for (const name of Object.keys(svcMap)) services[ctx.name(['services', name], name)] = parseService(ctx, ['services', name])

  const profiles = ctx.map(['profiles'], true)
  ctx.only(['profiles'], profiles, ['compute', 'placement'])
  const compute: Record<string, ComputeProfile> = {}
  for (const name of Object.keys(ctx.map(['profiles', 'compute'], true))) compute[name] = parseCompute(ctx, ['profiles', 'compute', name])
  const placement: Record<string, PlacementProfile> = {}
  for (const name of Object.keys(ctx.map(['profiles', 'placement'], true))) placement[name] = parsePlacement(ctx, ['profiles', 'placement', name], opts)

  const deployment: Record<string, DeploymentEntry> = {}
  const dep = ctx.map(['deployment'], true)
  if (Object.keys(dep).length === 0) ctx.fail(['deployment'], 'needs at least one entry')
  for (const svc of Object.keys(dep)) {
    const p = ['deployment', svc]
    const d = ctx.map(p, true)
    ctx.only(p, d, ['placement', 'profile', 'count'])
    if (services[svc] === undefined) ctx.fail(p, `no service named "${svc}" in services`)
    const entry = {
      placement: String(ctx.req(p, d, 'placement')),
      profile: String(ctx.req(p, d, 'profile')),
      count: d.count === undefined ? 1 : ctx.int([...p, 'count'], d.count, 1, 100)
    }
    if (placement[entry.placement] === undefined) ctx.fail([...p, 'placement'], `no placement profile named "${entry.placement}"`)
    if (compute[entry.profile] === undefined) ctx.fail([...p, 'profile'], `no compute profile named "${entry.profile}"`)
    deployment[svc] = entry
  }
  for (const svc of Object.keys(services)) {
    if (deployment[svc] === undefined) ctx.fail(['services', svc], `service "${svc}" has no deployment entry`)
  }

  const duration = ctx.wrap(['duration'], () => parseDuration(ctx.req([], root, 'duration')))
  if (duration <= 0) ctx.fail(['duration'], 'must be more than zero')

  const manifest: Manifest = { version, services, profiles: { compute, placement }, deployment, duration }
  return { manifest, order: orderSpec(ctx, manifest, manifestHash(text)) }
}

function orderSpec (ctx: Ctx, m: Manifest, hash: Hex): OrderSpec {
  const resources: Resources = { cpu: 0, memory: 0, storage: 0, gpuUnits: 0, gpuModel: '' }
  let maxPerHour = 0n
  let place: PlacementProfile | undefined
  for (const [svc, d] of Object.entries(m.deployment)) {
    const c = m.profiles.compute[d.profile]
    const p = m.profiles.placement[d.placement]
    resources.cpu += c.cpu * d.count
    resources.memory += c.memory * d.count
    resources.storage += c.storage * d.count
    resources.gpuUnits += c.gpu.units * d.count
    if (c.gpu.model !== '') {
      if (resources.gpuModel !== '' && resources.gpuModel !== c.gpu.model) ctx.fail(['deployment', svc, 'profile'], 'all GPUs of one deployment must be the same model')
      resources.gpuModel = c.gpu.model
    }
    maxPerHour += p.pricing.maxPerHour * BigInt(d.count)
    if (place !== undefined && (place.region !== p.region || place.tier !== p.tier || place.mode !== p.mode || place.pricing.token !== p.pricing.token)) {
      ctx.fail(['deployment', svc, 'placement'], 'every service of one deployment must share region, tier, mode and token')
    }
    place ??= p
  }
  const maxPricePerSecond = perHourToPerSecond(maxPerHour)
  if (maxPricePerSecond === 0n) ctx.fail(['profiles', 'placement'], 'maxPerHour is too small to pay anything per second')
  return {
    resources,
    region: place!.region,
    minTrustTier: place!.tier,
    mode: place!.mode,
    token: place!.pricing.token,
    maxPricePerSecond,
    duration: m.duration,
    manifestHash: hash
  }
}

function parseService (ctx: Ctx, p: string[]): Service {
  const s = ctx.map(p, true)
  ctx.only(p, s, ['image', 'command', 'args', 'env', 'expose', 'pull_policy'])
  const image = String(ctx.req(p, s, 'image'))
  if (!/^[a-z0-9][a-z0-9._\-/:@]*$/i.test(image)) ctx.fail([...p, 'image'], `"${image}" is not an image reference`)
  const strings = (key: string): string[] => {
    const v = s[key]
    if (v === undefined || v === null) return []
    if (typeof v === 'string') return [v]
    if (!Array.isArray(v)) ctx.fail([...p, key], 'expected a list of strings')
    return (v as unknown[]).map(x => String(x))
  }
  const env: Record<string, string> = {}
  if (Array.isArray(s.env)) {
    for (const [i, kv] of (s.env as unknown[]).entries()) {
      const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(String(kv))
      if (m == null) ctx.fail([...p, 'env', String(i)], `expected NAME=value, got "${String(kv)}"`)
      env[m![1]] = m![2]
    }
  } else if (s.env !== undefined && s.env !== null) {
    for (const [k, v] of Object.entries(ctx.map([...p, 'env'], true))) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) ctx.fail([...p, 'env', k], 'not a valid variable name')
      env[k] = String(v)
    }
  }
  const expose: ExposedPort[] = []
  if (s.expose !== undefined && s.expose !== null) {
    if (!Array.isArray(s.expose)) ctx.fail([...p, 'expose'], 'expected a list')
    for (let i = 0; i < (s.expose as unknown[]).length; i++) {
      const ep = [...p, 'expose', String(i)]
      const e = ctx.map(ep, true)
      ctx.only(ep, e, ['port', 'as', 'proto', 'global'])
      const port = ctx.int([...ep, 'port'], ctx.req(ep, e, 'port'), 1, 65535)
      const proto = e.proto === undefined ? 'tcp' : String(e.proto)
      if (!['tcp', 'udp', 'http'].includes(proto)) ctx.fail([...ep, 'proto'], 'expected tcp, udp or http')
      if (e.global !== undefined && typeof e.global !== 'boolean') ctx.fail([...ep, 'global'], 'expected true or false')
      expose.push({ port, as: e.as === undefined ? port : ctx.int([...ep, 'as'], e.as, 1, 65535), proto: proto as ExposedPort['proto'], global: e.global === true })
    }
  }
  const pull = s.pull_policy === undefined ? 'if-not-present' : String(s.pull_policy)
  if (!['always', 'if-not-present', 'never'].includes(pull)) ctx.fail([...p, 'pull_policy'], 'expected always, if-not-present or never')
  return { image, command: strings('command'), args: strings('args'), env, expose, pullPolicy: pull as Service['pullPolicy'] }
}

function parseCompute (ctx: Ctx, p: string[]): ComputeProfile {
  const c = ctx.map(p, true)
  ctx.only(p, c, ['cpu', 'memory', 'storage', 'gpu'])
  const gpu = { units: 0, model: '' }
  if (c.gpu !== undefined) {
    const g = ctx.map([...p, 'gpu'], true)
    ctx.only([...p, 'gpu'], g, ['units', 'model'])
    gpu.units = ctx.int([...p, 'gpu', 'units'], g.units ?? 0, 0, 64)
    gpu.model = g.model === undefined ? '' : String(g.model)
  }
  return {
    cpu: ctx.wrap([...p, 'cpu'], () => parseCpu(ctx.req(p, c, 'cpu'))),
    memory: ctx.wrap([...p, 'memory'], () => parseSize(ctx.req(p, c, 'memory'))),
    storage: c.storage === undefined ? 0 : ctx.wrap([...p, 'storage'], () => parseSize(c.storage)),
    gpu
  }
}

function parsePlacement (ctx: Ctx, p: string[], opts: ManifestOptions): PlacementProfile {
  const c = ctx.map(p, true)
  ctx.only(p, c, ['region', 'tier', 'mode', 'pricing'])
  const mode = c.mode === undefined ? 'any' : String(c.mode)
  if (!['provider', 'fizz', 'any'].includes(mode)) ctx.fail([...p, 'mode'], 'expected provider, fizz or any')
  const pp = [...p, 'pricing']
  const pricing = ctx.map(pp, true)
  ctx.only(pp, pricing, ['token', 'maxPerHour'])
  const tokenName = String(ctx.source([...pp, 'token'], ctx.req(pp, pricing, 'token')))
  let token: Address
  if (/^0x[0-9a-fA-F]{40}$/.test(tokenName)) token = tokenName.toLowerCase() as Address
  else if (opts.tokens?.[tokenName] !== undefined) token = opts.tokens[tokenName].toLowerCase() as Address
  else {
    const known = Object.keys(opts.tokens ?? {})
    ctx.fail([...pp, 'token'], `unknown token "${tokenName}"${known.length > 0 ? ` (known: ${known.join(', ')})` : ''}; use a symbol the network lists or a 0x address`)
  }
  return {
    region: c.region === undefined || c.region === null ? '' : String(c.region),
    tier: c.tier === undefined ? 7 : ctx.int([...p, 'tier'], c.tier, 1, 7),
    mode: mode as Mode,
    pricing: { token: token!, maxPerHour: ctx.wrap([...pp, 'maxPerHour'], () => parseAmount(ctx.decimal([...pp, 'maxPerHour'], ctx.req(pp, pricing, 'maxPerHour')))) }
  }
}

/** Walks the parsed document and turns problems into ManifestErrors with line numbers. */
class Ctx {
  private readonly js: unknown
  constructor (private readonly doc: Document, private readonly lines: LineCounter) {
    this.js = doc.toJS()
  }

  /** The line of a field's key (or list item); a missing field is reported at its nearest present parent. */
  line (path: string[]): number | null {
    for (let n = path.length; n > 0; n--) {
      const parent = this.doc.getIn(path.slice(0, n - 1), true)
      const key = path[n - 1]
      const node = isMap(parent)
        ? parent.items.find(pair => String(isScalar(pair.key) ? pair.key.value : pair.key) === key)?.key
        : isSeq(parent) ? parent.items[Number(key)] : undefined
      const range = (node as { range?: [number, number, number] } | undefined)?.range
      if (range != null) return this.lines.linePos(range[0]).line
    }
    const root = this.doc.contents
    if (root?.range != null) return this.lines.linePos(root.range[0]).line
    return isMap(root) ? 1 : null
  }

  fail (path: string[], problem: string): never {
    throw new ManifestError(path.length === 0 ? 'manifest' : path.join('.'), this.line(path), problem)
  }

  get (path: string[]): unknown {
    let v: unknown = this.js
    for (const k of path) v = (v as Record<string, unknown> | undefined)?.[k]
    return v
  }

  map (path: string[], required: boolean): Record<string, unknown> {
    const v = this.get(path)
    if (v === undefined || v === null) {
      if (required) this.fail(path, 'is required')
      return {}
    }
    if (typeof v !== 'object' || Array.isArray(v)) this.fail(path, 'expected a mapping')
    return v as Record<string, unknown>
  }

  only (path: string[], v: Record<string, unknown>, keys: string[]): void {
    for (const k of Object.keys(v)) if (!keys.includes(k)) this.fail([...path, k], `unknown field (expected ${keys.join(', ')})`)
  }

  req (path: string[], v: Record<string, unknown>, key: string): unknown {
    if (v[key] === undefined || v[key] === null || v[key] === '') this.fail([...path, key], 'is required')
    return v[key]
  }

  name (path: string[], name: string): string {
    if (!/^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$/.test(name)) this.fail(path, 'service names are lowercase letters, digits and dashes')
    return name
  }

  int (path: string[], v: unknown, min: number, max: number): number {
    const n = typeof v === 'number' ? v : /^\d+$/.test(String(v)) ? Number(v) : NaN
    if (!Number.isInteger(n) || n < min || n > max) this.fail(path, `expected a whole number from ${min} to ${max}, got ${JSON.stringify(v)}`)
    return n
  }

  /** A YAML number as it was written ("0.000000000000000001", not 1e-18), so amounts keep every digit. */
  decimal (path: string[], v: unknown): unknown {
    const node = this.doc.getIn(path, true)
    return typeof v === 'number' && isScalar(node) && /^\d+(\.\d+)?$/.test(node.source ?? '') ? node.source : v
  }

  /** A scalar as written: an unquoted 0x address is a number to YAML. */
  source (path: string[], v: unknown): unknown {
    const node = this.doc.getIn(path, true)
    return typeof v === 'number' && isScalar(node) && typeof node.source === 'string' ? node.source : v
  }

  wrap<T> (path: string[], fn: () => T): T {
    try {
      return fn()
    } catch (err) {
      if (err instanceof ManifestError) throw err
      this.fail(path, (err as Error).message)
    }
  }
}
