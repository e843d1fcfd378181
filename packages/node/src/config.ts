/**
 * Node configuration: a YAML or JSON file (`--config`) overlaid by command-line flags.
 * Every problem is a UserError naming the file and field.
 *
 * ```yaml
 * listen: [/ip4/0.0.0.0/tcp/4001]
 * bootstrap: [/ip4/203.0.113.7/tcp/4001/p2p/12D3Koo…]
 * apiPort: 8080
 * provider:
 *   region: eu-west
 *   tier: 7
 *   capacity: { cpu: 8, memory: 16Gi, storage: 200Gi, gpu: { units: 1, model: a100 } }
 *   attributes: { compute: hpc, storage: nvme, gpu: high-1, connectivity: high, compliance: [soc2] }   # paper §4.3.6
 *   tokens: [SPON]
 *   pricing: { strategy: scale, perHour: { cpu: 0.1, memory: 0.02, storage: 0.001, gpu: 1 } }
 *   # or: pricing: { strategy: script, script: ./price.sh, timeout: 5s }
 *   manifestTimeout: 5m                      # close a lease whose manifest never comes
 *   ingress: { bind: 0.0.0.0, host: provider.example.org }   # published ports
 *   pidsLimit: 1024
 * subnet:                                    # a gateway's fizz nodes
 *   accept: [0x…]                            # fizz wallets it takes
 *   ports: 31000-31999                       # ingress TCP ports for their services
 *   httpPort: 8480                           # HTTP routed by host name <lease>-<service>-<port>.<domain>
 *   domain: localhost
 * matcher: { grace: 150ms }
 * ```
 */
import { readFileSync } from 'node:fs'
import { cpus, networkInterfaces, totalmem } from 'node:os'
import { isIP } from 'node:net'
import { resolve, dirname } from 'node:path'
import { parse as parseYaml } from 'yaml'
import { multiaddr } from '@multiformats/multiaddr'
import {
  DEFAULT_ERA_PARAMS, DEVNET_CHAIN_ID, DEVNET_TOKENS, ROLES, formatAmount, parseAmount, parseCpu, parseMillis, parseSize, perHourToPerSecond,
  COMPLIANCE_STANDARDS, COMPUTE_CLASSES, CONNECTIVITY_CLASSES, GPU_CLASSES, STORAGE_CLASSES, encodeCapacity,
  type Address, type Capacity, type DeclaredAttributes, type Hex, type Resources, type Role, type UnitPrices
} from '@dcn/protocol'
import { UserError } from './errors.js'
import { checkRpcUrl, readDeployment, type ChainConfig } from './chain/deployment.js'

export type PricingConfig =
  | { strategy: 'scale', prices: UnitPrices }
  | { strategy: 'script', script: string, timeoutMs: number }

export interface ProviderConfig {
  region: string
  tier: number
  capacity: Resources
  /** Declared attributes (paper §4.3.6), registered with the capacity; they add to the liveness multiplier. */
  attributes: DeclaredAttributes
  tokens: Address[]
  pricing: PricingConfig
  /** Release a bid's reservation when no match or no-match arrives this long after the deadline. */
  matchTimeoutMs: number
  /** Hold a won reservation this long for the user to create the lease. */
  leaseWindowMs: number
  /** Close a lease whose manifest has not arrived this long after the provider learnt of it. */
  manifestTimeoutMs: number
  /** Where published ports bind, and the host name users are given for them. */
  ingress: { bind: string, host: string }
  /** Processes per container. */
  pidsLimit: number
  /**
   * Devnet only: register this many times the real capacity on chain (a spoofing provider, for
   * demos and tests of the slarks). Containers, challenges included, still get only the real one.
   */
  spoofCapacity: number
}

/** A gateway's subnet: which fizz wallets it accepts and how it exposes their services. */
export interface SubnetConfig {
  accept: Address[]
  /** Ingress TCP ports handed to endpoints (both ends included). */
  ports: { from: number, to: number }
  /** The shared HTTP port that routes by host name (0: any free port). */
  httpPort: number
  /** Host names are `<lease>-<service>-<port>.<domain>`. */
  domain: string
}

export interface SlarkConfig {
  /** The fixed part of a challenge's deadline (container start, network); the work's share is added per spec. */
  deadlineMs: number
  /** Devnet only: vote the opposite of what it verified (a lying slark, for tests). */
  lie: boolean
  /** The provider that gets 80 % of this slark's era rewards, delegated in its name (registered on chain). */
  delegateTo?: Address
  /** Era parameters every slark must share: the liveness reward per hour and the tier stake thresholds X1…X7 (wei). */
  baseRewardPerHour: bigint
  stakeThresholds: bigint[]
  /** Seats of slark tiers 1…6 (null: no limit), shared by every slark like the thresholds (§4.5.5). */
  tierSlots: Array<number | null>
  /** The owner opts in to move this slark up a tier when it qualifies and a seat is free (§4.5.5); registered on chain. */
  optIn: boolean
}

export interface MatcherConfig {
  /** Wait this long after the bid deadline for bids still in flight. */
  graceMs: number
}

export interface NodeConfig {
  role: Role
  dataDir: string
  listen: string[]
  announce: string[]
  bootstrap: string[]
  gateway?: string
  /** The settlement chain; absent = gossip only (no registration, no leases). */
  chain?: ChainConfig
  apiPort?: number
  apiHost: string
  chainId: number
  tokens: Record<string, Address>
  heartbeatMs: number
  provider: ProviderConfig
  subnet: SubnetConfig
  matcher: MatcherConfig
  slark: SlarkConfig
}

export interface Flags {
  role?: string
  config?: string
  listen?: string[]
  bootstrap?: string[]
  gateway?: string
  rpc?: string
  deployment?: string
  dataDir: string
  apiPort?: string
  spoofCapacity?: string
}

const TOP_KEYS = ['role', 'listen', 'announce', 'bootstrap', 'gateway', 'rpc', 'deployment', 'apiPort', 'apiHost', 'chainId', 'tokens', 'heartbeat', 'provider', 'subnet', 'matcher', 'slark']

/** Reads `--config` (YAML or JSON) and overlays the flags. */
export function loadConfig (flags: Flags): NodeConfig {
  if (flags.config === undefined) return buildConfig({}, flags)
  let text: string
  try {
    text = readFileSync(flags.config, 'utf8')
  } catch (err) {
    throw new UserError(`cannot read config ${flags.config}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`)
  }
  let parsed: unknown
  try {
    parsed = parseYaml(text)
  } catch (err) {
    throw new UserError(`config ${flags.config} is not valid YAML or JSON: ${(err as Error).message.split('\n')[0]}`)
  }
  if (parsed !== null && parsed !== undefined && (typeof parsed !== 'object' || Array.isArray(parsed))) throw new UserError(`config ${flags.config}: expected a mapping at the top`)
  return buildConfig((parsed ?? {}) as Record<string, unknown>, flags, flags.config, dirname(resolve(flags.config)))
}

/** Validates a parsed config object and overlays the flags; `where` names it in errors. */
export function buildConfig (file: Record<string, unknown>, flags: Flags, where = 'config', base = process.cwd()): NodeConfig {
  const f = new Fields(where)
  f.only('', file, TOP_KEYS)

  const role = (flags.role ?? f.str('role', file.role, ''))
  if (role === '') throw new UserError('missing --role (one of provider, fizz, gateway, slark, matcher)')
  if (!(ROLES as readonly string[]).includes(role)) throw new UserError(`unknown role "${role}" (expected one of ${ROLES.join(', ')})`)

  const tokens: Record<string, Address> = { ...DEVNET_TOKENS }
  for (const [sym, addr] of Object.entries(f.map('tokens', file.tokens))) {
    if (typeof addr !== 'string' || !/^0x[0-9a-fA-F]{40}$/.test(addr)) f.fail(`tokens.${sym}`, 'expected a 0x address')
    tokens[sym] = (addr as string).toLowerCase() as Address
  }

  const listen = flags.listen ?? f.strings('listen', file.listen) ?? (role === 'fizz' ? [] : ['/ip4/0.0.0.0/tcp/0'])
  const bootstrap = flags.bootstrap ?? f.strings('bootstrap', file.bootstrap) ?? []
  const announce = f.strings('announce', file.announce) ?? []
  for (const [name, list] of [['--listen', listen], ['--bootstrap', bootstrap], ['announce', announce]] as const) {
    for (const ma of list) checkMultiaddr(name, ma)
  }
  const gateway = flags.gateway ?? (file.gateway === undefined ? undefined : f.str('gateway', file.gateway, ''))
  if (gateway !== undefined) checkMultiaddr('--gateway', gateway)

  const apiPortRaw = flags.apiPort ?? (file.apiPort === undefined ? undefined : String(file.apiPort))
  let apiPort: number | undefined
  if (apiPortRaw !== undefined) {
    apiPort = Number(apiPortRaw)
    if (!Number.isInteger(apiPort) || apiPort < 0 || apiPort > 65535) throw new UserError(`--api-port: expected a port number 0–65535, got "${apiPortRaw}"`)
  }

  const chain = chainConfig(f, flags, file, base)
  if (chain !== undefined && file.chainId !== undefined && file.chainId !== chain.chainId) f.fail('chainId', `${String(file.chainId)} differs from the deployment's chain id ${chain.chainId}`)
  const p = f.map('provider', file.provider)
  f.only('provider', p, ['region', 'tier', 'capacity', 'attributes', 'tokens', 'pricing', 'matchTimeout', 'leaseWindow', 'manifestTimeout', 'ingress', 'pidsLimit', 'spoofCapacity'])
  const ing = f.map('provider.ingress', p.ingress)
  f.only('provider.ingress', ing, ['bind', 'host'])
  // A fizz node's containers are reached through its gateway's tunnels only.
  const bind = f.str('provider.ingress.bind', ing.bind, role === 'fizz' ? '127.0.0.1' : '0.0.0.0')
  if (isIP(bind) === 0) f.fail('provider.ingress.bind', `expected an IP address, got "${bind}"`)
  const sn = f.map('subnet', file.subnet)
  f.only('subnet', sn, ['accept', 'ports', 'httpPort', 'domain'])
  const accept = (f.strings('subnet.accept', sn.accept) ?? []).map((a, i) => {
    if (!/^0x[0-9a-fA-F]{40}$/.test(a)) f.fail(`subnet.accept[${i}]`, 'expected a 0x wallet address')
    return a.toLowerCase() as Address
  })
  const portsText = f.str('subnet.ports', sn.ports, '31000-31999')
  const pm = /^(\d{1,5})-(\d{1,5})$/.exec(portsText)
  if (pm === null || Number(pm[1]) < 1 || Number(pm[2]) > 65535 || Number(pm[1]) > Number(pm[2])) f.fail('subnet.ports', `expected a port range like 31000-31999, got "${portsText}"`)
  const m = f.map('matcher', file.matcher)
  f.only('matcher', m, ['grace'])
  const sl = f.map('slark', file.slark)
  f.only('slark', sl, ['deadline', 'lie', 'delegateTo', 'baseRewardPerHour', 'stakeThresholds', 'tierSlots', 'optIn'])
  const delegateTo = sl.delegateTo === undefined ? undefined : f.str('slark.delegateTo', sl.delegateTo, '')
  if (delegateTo !== undefined && !/^0x[0-9a-fA-F]{40}$/.test(delegateTo)) f.fail('slark.delegateTo', 'expected a 0x address')
  const thresholdList = Array.isArray(sl.stakeThresholds) ? sl.stakeThresholds.map(String) : sl.stakeThresholds
  const thresholds = (f.strings('slark.stakeThresholds', thresholdList) ?? DEFAULT_ERA_PARAMS.stakeThresholds.map(x => formatAmount(x)))
    .map((t, i) => f.wrap(`slark.stakeThresholds[${i}]`, () => parseAmount(t)))
  if (thresholds.length !== 7) f.fail('slark.stakeThresholds', `expected 7 amounts (X1…X7), got ${thresholds.length}`)
  const tierSlots = sl.tierSlots === undefined ? [...DEFAULT_ERA_PARAMS.slarkTierSlots] : sl.tierSlots
  if (!Array.isArray(tierSlots) || tierSlots.length !== 6 || tierSlots.some(n => n !== null && !(Number.isSafeInteger(n) && (n as number) >= 0))) {
    f.fail('slark.tierSlots', 'expected 6 seat counts (slark tiers 1…6), each a whole number or null for no limit')
  }
  const chainId = chain?.chainId ?? (file.chainId === undefined ? DEVNET_CHAIN_ID : f.int('chainId', file.chainId, 1, 2 ** 40))
  const spoofRaw = flags.spoofCapacity ?? (p.spoofCapacity === undefined ? undefined : String(p.spoofCapacity))
  const spoofCapacity = spoofRaw === undefined ? 1 : Number(spoofRaw)
  if (!Number.isFinite(spoofCapacity) || spoofCapacity < 1 || spoofCapacity > 100) throw new UserError(`--spoof-capacity: expected a factor from 1 to 100, got "${spoofRaw ?? ''}"`)
  const lie = sl.lie === undefined ? false : f.bool('slark.lie', sl.lie)
  if ((spoofCapacity !== 1 || lie) && chainId !== DEVNET_CHAIN_ID) throw new UserError(`${lie ? 'slark.lie' : '--spoof-capacity'} is for devnets only (chain ${DEVNET_CHAIN_ID}), not chain ${chainId}`)

  return {
    role: role as Role,
    dataDir: flags.dataDir,
    listen,
    announce,
    bootstrap,
    gateway,
    chain,
    apiPort,
    apiHost: f.str('apiHost', file.apiHost, '127.0.0.1'),
    chainId,
    tokens,
    heartbeatMs: f.millis('heartbeat', file.heartbeat, 10_000),
    provider: {
      region: f.str('provider.region', p.region, ''),
      tier: p.tier === undefined ? 7 : f.int('provider.tier', p.tier, 1, 7),
      capacity: capacity(f, f.map('provider.capacity', p.capacity)),
      attributes: declaredAttributes(f, f.map('provider.attributes', p.attributes)),
      tokens: (f.strings('provider.tokens', p.tokens) ?? ['SPON']).map((t, i) => token(f, `provider.tokens[${i}]`, t, tokens)),
      pricing: pricing(f, f.map('provider.pricing', p.pricing), base),
      matchTimeoutMs: f.millis('provider.matchTimeout', p.matchTimeout, 15_000),
      leaseWindowMs: f.millis('provider.leaseWindow', p.leaseWindow, 120_000),
      manifestTimeoutMs: f.millis('provider.manifestTimeout', p.manifestTimeout, 300_000),
      ingress: { bind, host: f.str('provider.ingress.host', ing.host, '') || defaultHost(bind) },
      pidsLimit: p.pidsLimit === undefined ? 1024 : f.int('provider.pidsLimit', p.pidsLimit, 16, 1_000_000),
      spoofCapacity
    },
    subnet: {
      accept,
      ports: { from: Number(pm![1]), to: Number(pm![2]) },
      httpPort: sn.httpPort === undefined ? 8480 : f.int('subnet.httpPort', sn.httpPort, 0, 65535),
      domain: f.str('subnet.domain', sn.domain, 'localhost')
    },
    matcher: { graceMs: f.millis('matcher.grace', m.grace, 150) },
    slark: {
      deadlineMs: f.millis('slark.deadline', sl.deadline, 10_000),
      lie,
      delegateTo: delegateTo?.toLowerCase() as Address | undefined,
      baseRewardPerHour: sl.baseRewardPerHour === undefined ? DEFAULT_ERA_PARAMS.baseRewardPerHour : f.wrap('slark.baseRewardPerHour', () => parseAmount(sl.baseRewardPerHour)),
      stakeThresholds: thresholds,
      tierSlots: tierSlots as Array<number | null>,
      optIn: sl.optIn === undefined ? false : f.bool('slark.optIn', sl.optIn)
    }
  }
}

/** What a provider or fizz node registers in its registry attributes: the claimed capacity and the declared attributes. */
export function registryAttributes (config: NodeConfig): Hex {
  return encodeCapacity(claimedCapacity(config), config.provider.attributes)
}

function declaredAttributes (f: Fields, a: Record<string, unknown>): DeclaredAttributes {
  f.only('provider.attributes', a, ['compute', 'storage', 'gpu', 'connectivity', 'compliance'])
  const oneOf = <T extends string>(field: string, v: unknown, list: readonly T[]): T | undefined => {
    if (v === undefined) return undefined
    if (typeof v !== 'string' || !(list as readonly string[]).includes(v)) f.fail(`provider.attributes.${field}`, `expected one of ${list.join(', ')}, got ${JSON.stringify(v)}`)
    return v as T
  }
  const out: DeclaredAttributes = {}
  const compute = oneOf('compute', a.compute, COMPUTE_CLASSES)
  const storage = oneOf('storage', a.storage, STORAGE_CLASSES)
  const gpu = oneOf('gpu', a.gpu, GPU_CLASSES)
  const connectivity = oneOf('connectivity', a.connectivity, CONNECTIVITY_CLASSES)
  const compliance = (f.strings('provider.attributes.compliance', a.compliance) ?? []).map((s, i) => oneOf(`compliance[${i}]`, s, COMPLIANCE_STANDARDS)!)
  if (compute !== undefined) out.compute = compute
  if (storage !== undefined) out.storage = storage
  if (gpu !== undefined) out.gpu = gpu
  if (connectivity !== undefined) out.connectivity = connectivity
  if (compliance.length > 0) out.compliance = [...new Set(compliance)]
  return out
}

/** What a provider or fizz node registers on chain: its capacity, times the devnet's spoof factor. */
export function claimedCapacity (config: NodeConfig): Capacity {
  const { capacity, spoofCapacity: f } = config.provider
  return { cpu: Math.floor(capacity.cpu * f), memory: Math.floor(capacity.memory * f), storage: Math.floor(capacity.storage * f), gpuUnits: Math.floor(capacity.gpuUnits * f) }
}

/** The address users reach published ports on: the bind address, or this machine's first external IPv4. */
function defaultHost (bind: string): string {
  if (bind !== '0.0.0.0' && bind !== '::') return bind
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address
  }
  return '127.0.0.1'
}

function chainConfig (f: Fields, flags: Flags, file: Record<string, unknown>, base: string): ChainConfig | undefined {
  const rpc = flags.rpc ?? (file.rpc === undefined ? undefined : f.str('rpc', file.rpc, ''))
  const deploymentFile = flags.deployment ?? (file.deployment === undefined ? undefined : resolve(base, f.str('deployment', file.deployment, '')))
  if (rpc === undefined && deploymentFile === undefined) return undefined
  if (rpc === undefined || deploymentFile === undefined) throw new UserError('--rpc and a deployment file (--deployment FILE or deployment: in the config) go together')
  const deployment = readDeployment(deploymentFile)
  return { rpcUrl: checkRpcUrl(rpc), chainId: deployment.chainId, deployment }
}

function capacity (f: Fields, c: Record<string, unknown>): Resources {
  f.only('provider.capacity', c, ['cpu', 'memory', 'storage', 'gpu'])
  const g = f.map('provider.capacity.gpu', c.gpu)
  f.only('provider.capacity.gpu', g, ['units', 'model'])
  return {
    cpu: c.cpu === undefined ? cpus().length * 1000 : f.wrap('provider.capacity.cpu', () => parseCpu(c.cpu)),
    memory: c.memory === undefined ? totalmem() : f.wrap('provider.capacity.memory', () => parseSize(c.memory)),
    storage: c.storage === undefined ? 100 * 2 ** 30 : f.wrap('provider.capacity.storage', () => parseSize(c.storage)),
    gpuUnits: g.units === undefined ? 0 : f.int('provider.capacity.gpu.units', g.units, 0, 64),
    gpuModel: f.str('provider.capacity.gpu.model', g.model, '')
  }
}

const DEFAULT_PER_HOUR = { cpu: '0.1', memory: '0.02', storage: '0.001', gpu: '1' }

function pricing (f: Fields, p: Record<string, unknown>, base: string): PricingConfig {
  f.only('provider.pricing', p, ['strategy', 'perHour', 'script', 'timeout'])
  const strategy = f.str('provider.pricing.strategy', p.strategy, 'scale')
  if (strategy === 'script') {
    const script = f.str('provider.pricing.script', p.script, '')
    if (script === '') f.fail('provider.pricing.script', 'is required with strategy: script')
    return { strategy, script: resolve(base, script), timeoutMs: f.millis('provider.pricing.timeout', p.timeout, 5000) }
  }
  if (strategy !== 'scale') f.fail('provider.pricing.strategy', 'expected scale or script')
  const per = f.map('provider.pricing.perHour', p.perHour)
  f.only('provider.pricing.perHour', per, ['cpu', 'memory', 'storage', 'gpu'])
  const price = (k: keyof typeof DEFAULT_PER_HOUR): bigint =>
    perHourToPerSecond(f.wrap(`provider.pricing.perHour.${k}`, () => parseAmount(per[k] ?? DEFAULT_PER_HOUR[k])))
  return { strategy: 'scale', prices: { cpu: price('cpu'), memory: price('memory'), storage: price('storage'), gpu: price('gpu') } }
}

function token (f: Fields, field: string, value: string, tokens: Record<string, Address>): Address {
  if (/^0x[0-9a-fA-F]{40}$/.test(value)) return value.toLowerCase() as Address
  const addr = tokens[value]
  if (addr === undefined) f.fail(field, `unknown token "${value}" (known: ${Object.keys(tokens).join(', ')})`)
  return addr
}

function checkMultiaddr (name: string, ma: string): void {
  try {
    multiaddr(ma)
  } catch {
    throw new UserError(`${name}: invalid multiaddr "${ma}"`)
  }
}

/** Field readers that fail with the config file and field in the message. */
class Fields {
  constructor (private readonly where: string) {}
  fail (field: string, problem: string): never {
    throw new UserError(`${this.where}: ${field}: ${problem}`)
  }

  only (field: string, v: Record<string, unknown>, keys: string[]): void {
    for (const k of Object.keys(v)) if (!keys.includes(k)) this.fail(field === '' ? k : `${field}.${k}`, `unknown field (expected ${keys.join(', ')})`)
  }

  map (field: string, v: unknown): Record<string, unknown> {
    if (v === undefined || v === null) return {}
    if (typeof v !== 'object' || Array.isArray(v)) this.fail(field, 'expected a mapping')
    return v as Record<string, unknown>
  }

  str (field: string, v: unknown, dflt: string): string {
    if (v === undefined || v === null) return dflt
    if (typeof v !== 'string' && typeof v !== 'number') this.fail(field, 'expected a string')
    return String(v)
  }

  strings (field: string, v: unknown): string[] | undefined {
    if (v === undefined || v === null) return undefined
    if (!Array.isArray(v) || v.some(x => typeof x !== 'string')) this.fail(field, 'expected a list of strings')
    return v as string[]
  }

  int (field: string, v: unknown, min: number, max: number): number {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) this.fail(field, `expected a whole number from ${min} to ${max}`)
    return v
  }

  bool (field: string, v: unknown): boolean {
    if (typeof v !== 'boolean') this.fail(field, 'expected true or false')
    return v
  }

  millis (field: string, v: unknown, dflt: number): number {
    return v === undefined ? dflt : this.wrap(field, () => parseMillis(v))
  }

  wrap<T> (field: string, fn: () => T): T {
    try {
      return fn()
    } catch (err) {
      if (err instanceof UserError) throw err
      this.fail(field, (err as Error).message)
    }
  }
}
