/**
 * The `dcn` binary as users meet it: user errors are one `dcn: …` line on stderr with a non-zero
 * exit code and no stack; identities persist across restarts with private key files; every role
 * starts and answers /status.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createServer, type AddressInfo } from 'node:net'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { DCN, manifest, runDcn, waitFor } from './helpers/cluster.js'
import { freePort } from '../src/devnet/devnet.js'
import type { NodeStatus } from '../src/node.js'
import { VERSION } from '../src/version.js'

const root = mkdtempSync(join(tmpdir(), 'dcn-cli-'))
const procs: ChildProcess[] = []
let seq = 0
const freshDir = (): string => mkdtempSync(join(root, `d${++seq}-`))

test.after(() => {
  for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL')
  rmSync(root, { recursive: true, force: true })
})

/** A multiaddr that parses (real peer id) but where nothing listens. */
let deadAddr = ''
test.before(async () => {
  const peer = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
  deadAddr = `/ip4/127.0.0.1/tcp/9/p2p/${peer}`
})

/** Runs `dcn ARGS` and asserts the user-error contract: exit code, one `dcn: ` line, no stack. */
async function userError (args: string[], code = 2): Promise<string> {
  const r = await runDcn(args, 30_000)
  const what = `dcn ${args.join(' ')}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`
  assert.is(r.code, code, `exit code of ${what}`)
  assert.ok(r.stderr.endsWith('\n'), `stderr ends with a newline: ${what}`)
  const lines = r.stderr.slice(0, -1).split('\n')
  assert.is(lines.length, 1, `exactly one line on stderr: ${what}`)
  assert.ok(lines[0].startsWith('dcn: '), `starts with "dcn: ": ${what}`)
  assert.not.match(r.stderr, /\n\s+at |internal error|Error:/, `no stack or internal error: ${what}`)
  assert.is(r.stdout, '', `nothing on stdout: ${what}`)
  return lines[0]
}

// ---------------------------------------------------------------- user errors

test('node: unknown role', async () => {
  const line = await userError(['node', '--role', 'bogus', '--data-dir', freshDir()])
  assert.match(line, /unknown role "bogus"/)
  assert.match(line, /provider, fizz, gateway, slark, matcher/)
})

test('node: missing role', async () => {
  assert.match(await userError(['node', '--data-dir', freshDir()]), /missing --role/)
})

test('node: invalid --listen multiaddr', async () => {
  assert.match(await userError(['node', '--role', 'matcher', '--listen', '/ip4/x', '--data-dir', freshDir()]), /--listen: invalid multiaddr "\/ip4\/x"/)
})

test('node: missing --config file', async () => {
  assert.match(await userError(['node', '--role', 'matcher', '--config', '/nonexistent', '--data-dir', freshDir()]), /cannot read config \/nonexistent: ENOENT/)
})

test('node: a config error names the file and field', async () => {
  const dir = freshDir()
  const cfg = join(dir, 'node.yaml')
  writeFileSync(cfg, 'role: provider\nprovider:\n  capacity: { cpu: lots }\n')
  const line = await userError(['node', '--config', cfg, '--data-dir', dir])
  assert.ok(line.includes(cfg), line)
  assert.match(line, /provider\.capacity\.cpu: expected CPU units/)
})

test('node: --api-port out of range', async () => {
  assert.match(await userError(['node', '--role', 'matcher', '--api-port', '70000', '--data-dir', freshDir()]), /--api-port: expected a port number/)
})

test('unknown flag', async () => {
  const line = await userError(['node', '--role', 'matcher', '--bogus', '--data-dir', freshDir()])
  assert.match(line, /'--bogus'/)
  assert.match(line, /usage: dcn node/)
})

test('unknown command', async () => {
  const line = await userError(['frobnicate'])
  assert.match(line, /unknown command "frobnicate"/)
  assert.match(line, /dcn --help/)
})

test('quote: no manifest argument', async () => {
  assert.match(await userError(['quote', '--data-dir', freshDir()]), /expected one manifest file \(usage: dcn quote/)
})

test('quote: a manifest that does not exist', async () => {
  const line = await userError(['quote', 'missing.yaml', '--bootstrap', deadAddr, '--data-dir', freshDir()])
  assert.match(line, /cannot read manifest missing\.yaml: ENOENT/)
})

test('quote: a manifest error names the field and the line', async () => {
  const dir = freshDir()
  const file = join(dir, 'bad.yaml')
  writeFileSync(file, manifest({ cpu: 'lots' }))
  const line = await userError(['quote', file, '--bootstrap', deadAddr, '--data-dir', dir])
  assert.ok(line.includes(file), line)
  assert.match(line, /profiles\.compute\.web\.cpu/)
  assert.match(line, /line 12\b/, 'cpu is on line 12 of the manifest')
  assert.match(line, /"lots"/)
})

test('quote: no devnet.json and no --bootstrap', async () => {
  const dir = freshDir()
  const file = join(dir, 'x.yaml')
  writeFileSync(file, manifest())
  const line = await userError(['quote', file, '--data-dir', dir])
  assert.match(line, /no network to join/)
  assert.ok(line.includes(join(dir, 'devnet.json')), line)
  assert.match(line, /dcn devnet/)
})

test('devnet: --providers 0', async () => {
  const dir = freshDir()
  assert.match(await userError(['devnet', '--providers', '0', '--data-dir', dir]), /--providers: expected a whole number from 1 to 200, got "0"/)
  assert.not.ok(existsSync(join(dir, 'devnet')), 'nothing was started')
})

/** Holds a TCP port on 127.0.0.1 while `fn` runs. */
async function withBusyPort<T> (fn: (port: number) => Promise<T>): Promise<T> {
  const srv = createServer()
  await new Promise<void>(resolve => srv.listen(0, '127.0.0.1', resolve))
  try {
    return await fn((srv.address() as AddressInfo).port)
  } finally {
    await new Promise(resolve => srv.close(resolve))
  }
}

test('fizz: a fizz node needs its gateway and a chain (it registers under the gateway)', async () => {
  assert.match(await userError(['node', '--role', 'fizz', '--data-dir', freshDir()]), /a fizz node needs --gateway MULTIADDR .* and a chain/)
  assert.match(await userError(['node', '--role', 'fizz', '--data-dir', freshDir(), '--gateway', deadAddr]), /a fizz node needs --gateway MULTIADDR .* and a chain/)
})

test('devnet and provider on a machine without a reachable Docker engine: one line saying how to start one', async () => {
  const saved = process.env.DOCKER_HOST
  process.env.DOCKER_HOST = `unix://${join(root, 'no-docker.sock')}`
  try {
    for (const args of [['devnet', '--data-dir', freshDir()], ['devnet', '--demo', '--data-dir', freshDir()]]) {
      const line = await userError(args, 1)
      assert.match(line, /no Docker engine reachable at unix:\/\/.*no-docker\.sock/)
      assert.match(line, /dockerd|systemctl start docker/, 'says how to start one')
    }
  } finally {
    if (saved === undefined) delete process.env.DOCKER_HOST
    else process.env.DOCKER_HOST = saved
  }
})

test('node: a busy --listen port exits 1 with one line', async () => {
  await withBusyPort(async port => {
    const line = await userError(['node', '--role', 'matcher', '--listen', `/ip4/127.0.0.1/tcp/${port}`, '--data-dir', freshDir()], 1)
    assert.match(line, /cannot listen: address already in use/)
    assert.ok(line.includes(String(port)), line)
  })
})

test('node: a busy --api-port exits 1 with one line (and does not hang)', async () => {
  await withBusyPort(async port => {
    const line = await userError(['node', '--role', 'matcher', '--listen', '/ip4/127.0.0.1/tcp/0', '--api-port', String(port), '--data-dir', freshDir()], 1)
    assert.match(line, /cannot listen: address already in use/)
    assert.ok(line.includes(String(port)), line)
  })
})

test('--version and --help exit 0', async () => {
  const v = await runDcn(['--version'])
  assert.is(v.code, 0)
  assert.is(v.stdout.trim(), VERSION)
  assert.is(v.stderr, '')
  const h = await runDcn(['--help'])
  assert.is(h.code, 0)
  assert.is(h.stderr, '')
  for (const cmd of ['dcn node --role', 'dcn devnet', 'dcn quote MANIFEST']) assert.ok(h.stdout.includes(cmd), `help mentions ${cmd}`)
  const q = await runDcn(['quote', '--help'])
  assert.is(q.code, 0)
  assert.match(q.stdout, /^dcn quote MANIFEST/)
})

// ---------------------------------------------------------------- running nodes

interface RunningNode {
  child: ChildProcess
  api: string
  log: () => string
  status: () => Promise<NodeStatus>
  /** Sends `signal` and resolves with the exit code. */
  stop: (signal: NodeJS.Signals) => Promise<number | null>
}

async function startNode (args: string[]): Promise<RunningNode> {
  const apiPort = await freePort()
  const child = spawn(process.execPath, [DCN, 'node', ...args, '--api-port', String(apiPort)], { stdio: ['ignore', 'pipe', 'pipe'] })
  procs.push(child)
  let log = ''
  child.stdout?.on('data', d => { log += String(d) })
  child.stderr?.on('data', d => { log += String(d) })
  const exited = new Promise<number | null>(resolve => child.once('exit', code => { resolve(code) }))
  const api = `http://127.0.0.1:${apiPort}`
  const node: RunningNode = {
    child,
    api,
    log: () => log,
    status: async () => await (await fetch(`${api}/status`)).json() as NodeStatus,
    stop: async (signal) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal)
      const t = setTimeout(() => child.kill('SIGKILL'), 10_000)
      const code = await exited
      clearTimeout(t)
      return code
    }
  }
  await waitFor(async () => {
    if (child.exitCode !== null) throw new Error(`exited with ${child.exitCode}: ${log}`)
    await node.status()
    return true
  }, 20_000, `dcn node ${args.join(' ')} /status`)
  return node
}

const mode = (p: string): number => statSync(p).mode & 0o777

let matcherAddr = ''
/** Nodes the last test stops. */
const stopLater: RunningNode[] = []

test('identity: keys are created private, and survive a restart (SIGINT stops cleanly)', async () => {
  const dir = join(freshDir(), 'home')
  const args = ['--role', 'matcher', '--data-dir', dir, '--listen', '/ip4/127.0.0.1/tcp/0']
  const first = await startNode(args)
  const s1 = await first.status()
  assert.is(s1.role, 'matcher')
  assert.match(s1.peerId, /^12D3KooW/)
  assert.match(s1.wallet, /^0x[0-9a-fA-F]{40}$/)
  assert.ok(first.log().includes(s1.peerId), 'the start-up log names the peer id')

  const code = await first.stop('SIGINT')
  assert.is(code, 0, first.log())
  assert.match(first.log(), /stopping signal=SIGINT/)
  assert.match(first.log(), /INFO matcher stopped/)
  assert.not.match(first.log(), /ERROR|\n\s+at /, 'a clean stop logs no errors')

  const keys = join(dir, 'keys')
  for (const f of ['peer.key', 'wallet.key']) {
    assert.ok(existsSync(join(keys, f)), `${f} exists`)
    assert.is(mode(join(keys, f)).toString(8), '600', `${f} is private`)
  }
  assert.is(mode(keys).toString(8), '700', 'keys dir is private')

  const second = await startNode(args)
  const s2 = await second.status()
  assert.is(s2.peerId, s1.peerId, 'same peer id after a restart')
  assert.is(s2.wallet, s1.wallet, 'same wallet after a restart')
  matcherAddr = addrOf(s2)
  // Keep it running: the next test's nodes join it. SIGTERM stops it at the end.
  stopLater.push(second)
})

/** The node's TCP address on 127.0.0.1, with its peer id. */
function addrOf (s: NodeStatus): string {
  const a = s.listen.find(a => a.startsWith('/ip4/127.0.0.1/tcp/'))
  assert.ok(a !== undefined, `listens on 127.0.0.1: ${s.listen.join(', ')}`)
  return a.includes('/p2p/') ? a : `${a}/p2p/${s.peerId}`
}

test('slark and gateway nodes start and answer /status with their role', async () => {
  if (matcherAddr === '') {
    // The identity test failed before leaving its matcher running: start one here.
    const m = await startNode(['--role', 'matcher', '--data-dir', freshDir(), '--listen', '/ip4/127.0.0.1/tcp/0'])
    stopLater.push(m)
    matcherAddr = addrOf(await m.status())
  }
  const slark = await startNode(['--role', 'slark', '--data-dir', freshDir(), '--listen', '/ip4/127.0.0.1/tcp/0', '--bootstrap', matcherAddr])
  const gateway = await startNode(['--role', 'gateway', '--data-dir', freshDir(), '--listen', '/ip4/127.0.0.1/tcp/0', '--bootstrap', matcherAddr])
  stopLater.push(slark, gateway)
  for (const [n, role] of [[slark, 'slark'], [gateway, 'gateway']] as const) {
    const s = await n.status()
    assert.is(s.role, role)
    assert.match(s.peerId, /^12D3KooW/)
    assert.is(s.version, VERSION)
  }
  // Every node reaches the address it was given.
  const mPeer = matcherAddr.split('/p2p/')[1]
  for (const n of [slark, gateway]) {
    await waitFor(async () => (await n.status()).peers.some(p => p.id === mPeer), 15_000, `${(await n.status()).role} connected to the matcher`)
  }
})

test('SIGTERM stops every role with exit code 0', async () => {
  const nodes = stopLater.splice(0)
  assert.ok(nodes.length >= 3)
  const codes = await Promise.all(nodes.map(async n => await n.stop('SIGTERM')))
  for (const [i, code] of codes.entries()) {
    assert.is(code, 0, nodes[i].log())
    assert.match(nodes[i].log(), /stopped/)
  }
})

test.run()
