/**
 * A whole network on this machine: an embedded anvil chain with the contracts deployed, then
 * matchers (the bootstrap peers), providers, and optionally a gateway with fizz nodes (which
 * listen nowhere and are reached through the gateway's relay), each a real `dcn node` process on 127.0.0.1
 * with its own data dir, config and log under `<data-dir>/devnet/<name>/`, its wallet funded,
 * registering and staking itself, running workloads on the local Docker engine (ports on
 * 127.0.0.1). The user's wallet (`<data-dir>/keys`) gets ETH and SPON.
 * Writes `<data-dir>/devnet.json` once every node is up, so client commands need no flags.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdirSync, openSync, closeSync, writeFileSync, renameSync, rmSync, readFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { cpus } from 'node:os'
import { fileURLToPath } from 'node:url'
import { stringify } from 'yaml'
import { parseEther } from 'viem'
import { loadIdentity } from '../identity.js'
import { devnetFile, type DevnetFile, type DevnetNodeInfo } from '../client/network.js'
import { UserError } from '../errors.js'
import type { Logger } from '../log.js'
import { PROVIDER_PROFILES, type ProviderProfile } from './profiles.js'
import { DEVNET_STAKE_THRESHOLDS, startDevnetChain, type DevnetChain } from './chain.js'
import { connectDocker } from '../runtime/docker.js'
import { removeProviderObjects } from '../runtime/docker-runtime.js'
import { FIZZ_MALLOC_ENV } from '../roles/fizz/malloc-env.js'

const DCN_BIN = fileURLToPath(new URL('../bin/dcn.js', import.meta.url))

export interface DevnetOptions {
  dataDir: string
  providers: number
  /** Fizz nodes, behind one gateway (0: no gateway either). */
  fizz?: number
  matchers: number
  /** Slarks auditing the providers (default 0 here; `dcn devnet` runs 3). */
  slarks?: number
  /** Challenge slot length in seconds (default 20). */
  slotSeconds?: number
  /** Slots per era (default 6). */
  eraSlots?: number
  /** Extra `provider` config per provider, by index (e.g. `spoofCapacity`). */
  providerOverrides?: Array<Record<string, unknown> | undefined>
  /** Extra `provider` config per fizz node, by index (e.g. a smaller `capacity`). */
  fizzOverrides?: Array<Record<string, unknown> | undefined>
  /** Slark config per slark, by index (e.g. `{ lie: true }`). */
  slarkOverrides?: Array<Record<string, unknown> | undefined>
  log: Logger
  /** Heartbeat interval of the providers. */
  heartbeat?: string
  /** Providers close a lease whose manifest has not come in this long (default 5m). */
  manifestTimeout?: string
  readyTimeoutMs?: number
  /** Aborting during start-up stops every node started so far. */
  signal?: AbortSignal
}

export interface Devnet {
  info: DevnetFile
  /** Resolves when a node process exits on its own (not by `stop`). */
  exited: Promise<{ name: string, code: number | null }>
  stop: () => Promise<void>
}

export async function freePort (): Promise<number> {
  return await new Promise((resolve, reject) => {
    const srv = createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port
      srv.close(() => { resolve(port) })
    })
  })
}

function checkNotRunning (dataDir: string): void {
  try {
    const prior = JSON.parse(readFileSync(devnetFile(dataDir), 'utf8')) as DevnetFile
    process.kill(prior.pid, 0)
    throw new UserError(`a devnet is already running from ${dataDir} (pid ${prior.pid}); stop it first or use another --data-dir`, 1)
  } catch (err) {
    if (err instanceof UserError) throw err
  }
}

export async function startDevnet (opts: DevnetOptions): Promise<Devnet> {
  checkNotRunning(opts.dataDir)
  // Providers run workloads on the local Docker engine: say so now, not in a provider's log.
  const docker = await connectDocker()
  const root = join(opts.dataDir, 'devnet')
  mkdirSync(root, { recursive: true })
  const deploymentFile = join(root, 'deployment.json')
  let chain: DevnetChain | undefined
  const children: Array<{ name: string, child: ChildProcess }> = []
  /** Nodes that run workloads: their containers go when the devnet stops. */
  const runners: DevnetNodeInfo[] = []
  let stopping = false
  let onExit: (v: { name: string, code: number | null }) => void = () => {}
  const exited = new Promise<{ name: string, code: number | null }>(resolve => { onExit = resolve })

  const launch = async (name: string, role: 'matcher' | 'provider' | 'gateway' | 'fizz' | 'slark', config: Record<string, unknown>, bootstrap: string[]): Promise<DevnetNodeInfo> => {
    const dir = join(root, name)
    mkdirSync(dir, { recursive: true })
    const id = await loadIdentity(dir)
    await chain!.fund(id.wallet.address, role === 'matcher' || role === 'slark' ? 0n : role === 'fizz' ? parseEther('100') : parseEther('1000'))
    // A fizz node listens nowhere: it is reached through its gateway's relay.
    const listen = role === 'fizz' ? [] : ['--listen', `/ip4/127.0.0.1/tcp/${await freePort()}`]
    const api = await freePort()
    const cfgFile = join(dir, 'config.yaml')
    writeFileSync(cfgFile, stringify({ role, rpc: chain!.anvil.rpcUrl, deployment: deploymentFile, tokens: chain!.deployment.tokens, ...config }))
    const logFile = join(dir, 'node.log')
    const fd = openSync(logFile, 'a')
    const args = [DCN_BIN, 'node', '--role', role, '--config', cfgFile, '--data-dir', dir,
      ...listen, '--api-port', String(api), ...bootstrap.flatMap(b => ['--bootstrap', b])]
    const env = role === 'fizz' ? { ...FIZZ_MALLOC_ENV, ...process.env } : process.env
    const child = spawn(process.execPath, args, { stdio: ['ignore', fd, fd], env })
    closeSync(fd)
    children.push({ name, child })
    child.on('exit', (code) => {
      if (!stopping) {
        opts.log.error(`${name} exited`, { code, log: logFile })
        onExit({ name, code })
      }
    })
    return {
      name, role, peerId: id.peerId, wallet: id.wallet.address,
      addrs: role === 'fizz' ? [`${String(config.gateway)}/p2p-circuit/p2p/${id.peerId}`] : [`${listen[1]}/p2p/${id.peerId}`],
      api: `http://127.0.0.1:${api}`, dataDir: dir, log: logFile
    }
  }

  const stop = async (): Promise<void> => {
    stopping = true
    await Promise.all(children.map(async ({ child }) => {
      if (child.exitCode !== null || child.signalCode !== null) return
      const done = new Promise(resolve => child.once('exit', resolve))
      child.kill('SIGTERM')
      const t = setTimeout(() => child.kill('SIGKILL'), 5000)
      await done
      clearTimeout(t)
    }))
    await chain?.anvil.stop()
    // The leases died with the chain: so do their containers.
    for (const n of runners) await removeProviderObjects(docker, n.wallet).catch(() => 0)
    rmSync(devnetFile(opts.dataDir), { force: true })
  }

  try {
    chain = await startDevnetChain(deploymentFile, { slotSeconds: opts.slotSeconds, eraSlots: opts.eraSlots })
    await chain.fund((await loadIdentity(opts.dataDir)).wallet.address, parseEther('10000'))
    const nodes: DevnetNodeInfo[] = []
    for (let i = 0; i < opts.matchers; i++) {
      opts.signal?.throwIfAborted()
      nodes.push(await launch(`matcher-${i + 1}`, 'matcher', {}, nodes.flatMap(n => n.addrs)))
    }
    const bootstrap = nodes.flatMap(n => n.addrs)
    const tiers = new Map<string, number>()
    const slarks = opts.slarks ?? 0
    for (let i = 0; i < opts.providers; i++) {
      opts.signal?.throwIfAborted()
      const p = PROVIDER_PROFILES[i % PROVIDER_PROFILES.length]
      const tier = Number(opts.providerOverrides?.[i]?.tier ?? p.tier)
      tiers.set(`provider-${i + 1}`, tier)
      runners.push(await launch(`provider-${i + 1}`, 'provider', {
        heartbeat: opts.heartbeat ?? '10s',
        provider: {
          region: p.region, tier, capacity: slarks > 0 ? provable(p.capacity) : p.capacity, tokens: ['SPON'], pricing: { strategy: 'scale', perHour: p.perHour },
          // Workloads are reachable from this machine only.
          ingress: { bind: '127.0.0.1', host: '127.0.0.1' },
          manifestTimeout: opts.manifestTimeout ?? '5m',
          ...opts.providerOverrides?.[i]
        }
      }, bootstrap))
      nodes.push(runners[runners.length - 1])
    }
    for (let i = 0; i < slarks; i++) {
      opts.signal?.throwIfAborted()
      // Era rewards: 80 % delegated to a provider of the devnet (the first), in the slark's name.
      const delegateTo = runners[0]?.wallet
      const s = await launch(`slark-${i + 1}`, 'slark', { slark: { delegateTo, stakeThresholds: DEVNET_STAKE_THRESHOLDS, ...opts.slarkOverrides?.[i] } }, bootstrap)
      nodes.push(s)
      // Devnet slarks may challenge every provider tier (a tier-1 slark only challenges tiers 6–7).
      tiers.set(s.name, 6)
    }
    if ((opts.fizz ?? 0) > 0) {
      const fizzNames = Array.from({ length: opts.fizz ?? 0 }, (_, i) => `fizz-${i + 1}`)
      const accept = await Promise.all(fizzNames.map(async n => (await loadIdentity(join(root, n))).wallet.address.toLowerCase()))
      const base = 31000 + Math.floor(Math.random() * 20) * 1000
      const gw = await launch('gateway-1', 'gateway', {
        heartbeat: opts.heartbeat ?? '10s',
        provider: { region: 'home', ingress: { bind: '127.0.0.1', host: '127.0.0.1' } },
        subnet: { accept, ports: `${base}-${base + 999}`, httpPort: await freePort(), domain: 'localhost' }
      }, bootstrap)
      nodes.push(gw)
      // Fizz nodes register under the gateway: it must be on chain first (its API answers once it is).
      const until = Date.now() + 30_000
      while (!(await fetch(`${gw.api}/status`, { signal: AbortSignal.timeout(1000) }).then(r => r.ok, () => false))) {
        opts.signal?.throwIfAborted()
        if (Date.now() > until) throw new UserError(`the devnet gateway did not come up in 30 s; see ${gw.log}`, 1)
        await new Promise(resolve => setTimeout(resolve, 200))
      }
      for (const [i, name] of fizzNames.entries()) {
        opts.signal?.throwIfAborted()
        const f = await launch(name, 'fizz', {
          gateway: gw.addrs[0],
          provider: {
            region: 'home', capacity: slarks > 0 ? { cpu: 1, memory: '512Mi', storage: '256Mi' } : { cpu: 2 + (i % 2), memory: '2Gi', storage: '20Gi' }, tokens: ['SPON'],
            pricing: { strategy: 'scale', perHour: { cpu: 0.05 + 0.01 * i, memory: 0.005, storage: 0.0001, gpu: 1 } },
            manifestTimeout: opts.manifestTimeout ?? '5m',
            ...opts.fizzOverrides?.[i]
          }
        }, [])
        nodes.push(f)
        runners.push(f)
      }
    }
    await waitReady(nodes, opts.providers, opts.readyTimeoutMs ?? 30_000, exited, opts.signal, async (n) => {
      // Registered providers get their profile's tier (the foundation is the tier authority on a devnet).
      const tier = tiers.get(n.name)
      if (tier !== undefined) await chain!.setTier(n.wallet as `0x${string}`, tier)
      return tier
    })
    const d = chain.deployment
    const info: DevnetFile = {
      chainId: d.chainId, bootstrap, tokens: d.tokens, pid: process.pid, startedAt: new Date().toISOString(), nodes,
      chain: { rpcUrl: chain.anvil.rpcUrl, chainId: d.chainId, deployment: d }
    }
    const file = devnetFile(opts.dataDir)
    writeFileSync(file + '.tmp', JSON.stringify(info, null, 2) + '\n')
    renameSync(file + '.tmp', file)
    return { info, exited, stop }
  } catch (err) {
    await stop()
    throw err
  }
}

/**
 * With slarks, providers register what this machine can prove: their profile's capacity capped
 * at the machine's cores, 1 GiB of memory and 1 GiB of disk, no GPU — room for the examples'
 * orders, while a challenge (up to 90% of it; several providers may be challenged at once)
 * stays within what a laptop or a CI machine can give.
 */
function provable (c: ProviderProfile['capacity']): ProviderProfile['capacity'] {
  return { cpu: String(Math.min(Number(c.cpu), cpus().length)), memory: '1Gi', storage: '1Gi' }
}

/**
 * Every node answers /status with a peer, every matcher has heard every provider's heartbeat, and
 * every provider bids with the tier `assignTier` gave it once it had registered.
 */
async function waitReady (nodes: DevnetNodeInfo[], providers: number, timeoutMs: number, exited: Promise<{ name: string }>, signal: AbortSignal | undefined,
  assignTier: (n: DevnetNodeInfo) => Promise<number | undefined>): Promise<void> {
  const assigned = new Map<string, number | undefined>()
  let failed: string | undefined
  void exited.then(e => { failed = e.name })
  const until = Date.now() + timeoutMs
  const pending = new Set(nodes.map(n => n.name))
  while (pending.size > 0) {
    signal?.throwIfAborted()
    if (failed !== undefined) throw new UserError(`devnet node ${failed} exited during start-up; see ${nodes.find(n => n.name === failed)?.log ?? 'its log'}`, 1)
    if (Date.now() > until) throw new UserError(`devnet did not come up in ${timeoutMs / 1000} s: waiting for ${[...pending].join(', ')}`, 1)
    for (const n of nodes) {
      if (!pending.has(n.name)) continue
      try {
        const s = await (await fetch(`${n.api}/status`, { signal: AbortSignal.timeout(1000) })).json() as { connectedPeers: number, listen: string[], matcher?: { knownProviders: number }, provider?: { tier: number } }
        // A node answers /status only after it has registered (and staked) on chain.
        if (!assigned.has(n.name)) assigned.set(n.name, await assignTier(n))
        const tier = assigned.get(n.name)
        const ok = (nodes.length === 1 || s.connectedPeers > 0) && (s.matcher === undefined || s.matcher.knownProviders >= providers) &&
          (tier === undefined || n.role !== 'provider' || s.provider?.tier === tier) && (n.role !== 'fizz' || s.listen.some(a => a.includes('/p2p-circuit')))
        if (ok) pending.delete(n.name)
      } catch {}
    }
    await new Promise(resolve => setTimeout(resolve, 200))
  }
}
