/**
 * Integration-test helpers: real `dcn` processes on 127.0.0.1, each with its own data dir,
 * config and log, and a way to run client commands against them.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, writeFileSync, readFileSync, mkdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { stringify } from 'yaml'
import { loadIdentity } from '../../src/identity.js'
import { freePort } from '../../src/devnet/devnet.js'
import type { NodeStatus } from '../../src/node.js'

export const DCN = fileURLToPath(new URL('../../src/bin/dcn.js', import.meta.url))

export interface TestNode {
  name: string
  peerId: string
  wallet: string
  addr: string
  api: string
  dir: string
  child: ChildProcess
  status: () => Promise<NodeStatus>
  metrics: () => Promise<string>
  log: () => string
  stop: (signal?: NodeJS.Signals) => Promise<number | null>
}

export class Cluster {
  readonly root = mkdtempSync(join(tmpdir(), 'dcn-test-'))
  readonly nodes: TestNode[] = []

  /**
   * Starts `dcn node`. `listen`: its TCP address (false: none of its own, a fizz node behind NAT);
   * `wrap`: a command prefix (e.g. `ip netns exec NS`); `apiHost`: where its API listens and is asked.
   */
  async start (name: string, role: string, config: Record<string, unknown> = {}, bootstrap: string[] = [], opts: { listen?: boolean | string, port?: number, wrap?: string[], apiHost?: string } = {}): Promise<TestNode> {
    const dir = join(this.root, name)
    mkdirSync(dir, { recursive: true })
    const id = await loadIdentity(dir)
    const port = opts.port ?? await freePort()
    const apiPort = await freePort()
    const cfg = join(dir, 'config.yaml')
    const apiHost = opts.apiHost ?? '127.0.0.1'
    writeFileSync(cfg, stringify(opts.apiHost === undefined ? config : { ...config, apiHost }))
    const listenHost = typeof opts.listen === 'string' ? opts.listen : '127.0.0.1'
    const logFile = join(dir, 'node.log')
    const wrap = opts.wrap ?? []
    const child = spawn(wrap[0] ?? process.execPath, [...wrap.slice(1), ...(wrap.length > 0 ? [process.execPath] : []), DCN, 'node', '--role', role, '--config', cfg, '--data-dir', dir,
      ...(opts.listen === false ? [] : ['--listen', `/ip4/${listenHost}/tcp/${port}`]), '--api-port', String(apiPort), ...bootstrap.flatMap(b => ['--bootstrap', b])], {
      stdio: ['ignore', 'pipe', 'pipe']
    })
    let log = ''
    child.stdout?.on('data', d => { log += String(d) })
    child.stderr?.on('data', d => { log += String(d) })
    child.on('exit', () => { writeFileSync(logFile, log) })
    const api = `http://${apiHost}:${apiPort}`
    const node: TestNode = {
      name,
      peerId: id.peerId,
      wallet: id.wallet.address.toLowerCase(),
      addr: `/ip4/${listenHost}/tcp/${port}/p2p/${id.peerId}`,
      api,
      dir,
      child,
      status: async () => await (await fetch(`${api}/status`)).json() as NodeStatus,
      metrics: async () => await (await fetch(`${api}/metrics`)).text(),
      log: () => log,
      stop: async (signal = 'SIGTERM') => {
        if (child.exitCode !== null || child.signalCode !== null) return child.exitCode
        const done = new Promise<number | null>(resolve => child.once('exit', code => { resolve(code) }))
        child.kill(signal)
        return await done
      }
    }
    this.nodes.push(node)
    await waitFor(async () => { await node.status(); return true }, 15_000, `${name} API`)
    return node
  }

  /** Waits until every matcher knows `providers` providers and every node has a peer. */
  async ready (providers: number, timeoutMs = 20_000): Promise<void> {
    await waitFor(async () => {
      for (const n of this.nodes) {
        const s = await n.status()
        if (s.connectedPeers === 0) return false
        if (s.matcher !== undefined && s.matcher.knownProviders < providers) return false
      }
      return true
    }, timeoutMs, 'cluster ready')
  }

  /** Runs `dcn ARGS` to completion. */
  async dcn (args: string[], opts: { timeoutMs?: number } = {}): Promise<{ code: number | null, stdout: string, stderr: string }> {
    return await runDcn(args, opts.timeoutMs)
  }

  async stop (): Promise<void> {
    await Promise.all(this.nodes.map(async n => await n.stop('SIGKILL')))
    rmSync(this.root, { recursive: true, force: true })
  }

  file (name: string, text: string): string {
    const p = join(this.root, name)
    writeFileSync(p, text, { mode: 0o755 })
    return p
  }
}

/** `dcn ARGS` with a network's flags, placed before a `--` that starts a shell command. */
export function dcnWith (flags: () => string[], timeoutMs = 60_000): (...args: string[]) => Promise<{ code: number | null, stdout: string, stderr: string }> {
  return async (...args) => {
    const cut = args.includes('--') ? args.indexOf('--') : args.length
    return await runDcn([...args.slice(0, cut), ...flags(), ...args.slice(cut)], timeoutMs)
  }
}

export async function runDcn (args: string[], timeoutMs = 60_000): Promise<{ code: number | null, stdout: string, stderr: string }> {
  return await new Promise(resolve => {
    const child = spawn(process.execPath, [DCN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', d => { stdout += String(d) })
    child.stderr.on('data', d => { stderr += String(d) })
    const t = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.on('close', code => { clearTimeout(t); resolve({ code, stdout, stderr }) })
  })
}

export async function waitFor (check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const until = Date.now() + timeoutMs
  let last: unknown
  while (Date.now() < until) {
    try {
      if (await check()) return
    } catch (err) {
      last = err
    }
    await new Promise(resolve => setTimeout(resolve, 150))
  }
  throw new Error(`timed out waiting for ${what}${last === undefined ? '' : `: ${(last as Error).message}`}`)
}

/** A Prometheus counter's value summed over label sets matching `labels`. */
export function counter (text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue
    const m = /^([a-z_]+)(\{[^}]*\})?\s+([\d.e+-]+)$/.exec(line)
    if (m == null || m[1] !== name) continue
    if (Object.entries(labels).every(([k, v]) => (m[2] ?? '').includes(`${k}="${v}"`))) sum += Number(m[3])
  }
  return sum
}

export function readJson<T> (file: string): T {
  return JSON.parse(readFileSync(file, 'utf8')) as T
}

/** Provider config for tests: SPON per hour per core / GiB / GiB. */
export function providerConfig (region: string, tier: number, cpu: string, memory: string, cpuPerHour: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    heartbeat: '2s',
    provider: {
      region, tier, capacity: { cpu, memory, storage: '100Gi' }, tokens: ['SPON'],
      pricing: { strategy: 'scale', perHour: { cpu: cpuPerHour, memory: '0.01', storage: '0.0001', gpu: '1' } },
      ...extra
    }
  }
}

export function manifest (opts: { cpu?: string, memory?: string, storage?: string, region?: string, tier?: number, maxPerHour?: string } = {}): string {
  return `version: "1.0"
services:
  web:
    image: busybox:stable
    command: ["httpd", "-f", "-p", "8080"]
    expose:
      - port: 8080
        proto: http
profiles:
  compute:
    web:
      cpu: ${opts.cpu ?? '1'}
      memory: ${opts.memory ?? '1Gi'}
      storage: ${opts.storage ?? '1Gi'}
  placement:
    main:
${opts.region === undefined ? '' : `      region: ${opts.region}\n`}${opts.tier === undefined ? '' : `      tier: ${opts.tier}\n`}      pricing:
        token: SPON
        maxPerHour: ${opts.maxPerHour ?? '1'}
deployment:
  web:
    placement: main
    profile: web
    count: 1
duration: 1h
`
}

/** True when the node's process has not exited and its API answers /status with its own peer id. */
export async function alive (node: TestNode): Promise<boolean> {
  if (node.child.exitCode !== null || node.child.signalCode !== null) return false
  try {
    return (await node.status()).peerId === node.peerId
  } catch {
    return false
  }
}

/** Every `name{labels} value` line of a Prometheus metric with a non-zero value, as label-set → value. */
export function series (text: string, name: string): Array<{ labels: Record<string, string>, value: number }> {
  const out: Array<{ labels: Record<string, string>, value: number }> = []
  for (const line of text.split('\n')) {
    const m = /^([a-z_]+)(?:\{([^}]*)\})?\s+([\d.e+-]+)$/.exec(line)
    if (m == null || m[1] !== name) continue
    const labels: Record<string, string> = {}
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_]+)="([^"]*)"/g)) labels[l[1]] = l[2]
    out.push({ labels, value: Number(m[3]) })
  }
  return out
}
