/**
 * `dcn devnet --demo` end to end: it writes devnet.json once the network is up, deploys the demo
 * web service and prints a URL that answers, `dcn quote` finds the network from that file alone,
 * and Ctrl-C stops every node, removes the file and the demo's containers.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawn, execFileSync, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type Docker from 'dockerode'
import { leaseObjects, testDocker } from './helpers/docker.js'
import { DCN, manifest, readJson, runDcn, waitFor } from './helpers/cluster.js'
import type { DevnetFile } from '../src/client/network.js'

const dir = mkdtempSync(join(tmpdir(), 'dcn-devnet-'))
const file = join(dir, 'devnet.json')
let devnet: ChildProcess
let out = ''
let exited: Promise<number | null>
let docker: Docker
let demoLease = ''
let demoProvider = ''

/** Processes (other than ps itself) whose command line mentions the devnet's data dir. */
function processesUsing (path: string): string[] {
  const ps = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' })
  return ps.split('\n').filter(l => l.includes(path) && !/^\s*\d+\s+ps\b/.test(l))
}

test.before(async () => {
  docker = await testDocker()
  devnet = spawn(process.execPath, [DCN, 'devnet', '--providers', '3', '--demo', '--data-dir', dir], { stdio: ['ignore', 'pipe', 'pipe'] })
  devnet.stdout?.on('data', d => { out += String(d) })
  devnet.stderr?.on('data', d => { out += String(d) })
  exited = new Promise(resolve => devnet.once('exit', code => { resolve(code) }))
})

test.after(() => {
  if (devnet.exitCode === null && devnet.signalCode === null) devnet.kill('SIGKILL')
  // Whatever the devnet left behind (only if a test failed before it stopped cleanly).
  for (const line of processesUsing(dir)) {
    try { process.kill(Number(line.trim().split(/\s+/)[0]), 'SIGKILL') } catch {}
  }
  rmSync(dir, { recursive: true, force: true })
})

test('devnet writes devnet.json with one matcher, three providers, three slarks and the bootstrap addresses', async () => {
  await waitFor(async () => {
    if (devnet.exitCode !== null) throw new Error(`devnet exited with ${devnet.exitCode}: ${out}`)
    return existsSync(file)
  }, 40_000, `devnet.json\n${out}`)
  const info = readJson<DevnetFile>(file)
  assert.is(info.pid, devnet.pid)
  assert.is(info.chainId, 31337)
  assert.is(typeof info.tokens.SPON, 'string')
  const matchers = info.nodes.filter(n => n.role === 'matcher')
  const providers = info.nodes.filter(n => n.role === 'provider')
  assert.is(matchers.length, 1)
  assert.is(providers.length, 3)
  assert.is(info.nodes.filter(n => n.role === 'slark').length, 3, 'three slarks by default')
  assert.is(info.nodes.length, 7)
  assert.equal(info.bootstrap, matchers[0].addrs)
  assert.is(info.bootstrap.length, 1)
  assert.match(info.bootstrap[0], new RegExp(`^/ip4/127\\.0\\.0\\.1/tcp/\\d+/p2p/${matchers[0].peerId}$`))
  assert.is(new Set(info.nodes.map(n => n.peerId)).size, 7, 'distinct peer ids')
  assert.is(new Set(info.nodes.map(n => n.wallet.toLowerCase())).size, 7, 'distinct wallets')
  // Every node is up and is who devnet.json says.
  for (const n of info.nodes) {
    const s = await (await fetch(`${n.api}/status`)).json() as { role: string, peerId: string, connectedPeers: number }
    assert.is(s.role, n.role)
    assert.is(s.peerId, n.peerId)
    assert.ok(s.connectedPeers > 0, `${n.name} has a peer`)
  }
  assert.match(out, /devnet up in/)
})

test('--demo deploys a web service and prints its URL, which answers', async () => {
  await waitFor(async () => {
    if (devnet.exitCode !== null) throw new Error(`devnet exited with ${devnet.exitCode}: ${out}`)
    return /answering at http/.test(out)
  }, 40_000, `the demo\n${out}`)
  const m = /demo: lease (\d+) deployed in [\d.]+ s and answering at (http:\/\/127\.0\.0\.1:\d+)/.exec(out)
  assert.ok(m !== null, out)
  demoLease = m[1]
  const res = await fetch(m[2])
  assert.is(res.status, 200)
  assert.match(await res.text(), /hello from dcn/)
  const [running] = await docker.listContainers({ filters: { label: [`dcn.lease=${demoLease}`, `dcn.order`] } })
  demoProvider = running.Labels['dcn.provider']
  assert.is((await leaseObjects(docker, demoLease, demoProvider)).containers.length, 1)
  const st = await runDcn(['lease', 'status', demoLease, '--data-dir', dir])
  assert.is(st.code, 0, st.stderr)
  assert.match(st.stdout, /web\s+1\/1/)
})

test('a second devnet on the same data dir refuses to start', async () => {
  const r = await runDcn(['devnet', '--providers', '1', '--data-dir', dir], 30_000)
  assert.is(r.code, 1, r.stderr)
  assert.match(r.stderr, /^dcn: a devnet is already running from .* \(pid \d+\)/)
  assert.is(r.stderr.trim().split('\n').length, 1)
  assert.ok(existsSync(file), 'the running devnet\'s file is left alone')
})

test('dcn quote finds the devnet from devnet.json alone and gets a winner', async () => {
  const info = readJson<DevnetFile>(file)
  const m = join(dir, 'web.yaml')
  // Half of a devnet provider's 1 GiB of memory and disk: the demo already holds some of one of them.
  writeFileSync(m, manifest({ cpu: '1', memory: '512Mi', storage: '512Mi' }))
  const r = await runDcn(['quote', m, '--json', '--data-dir', dir], 60_000)
  assert.is(r.code, 0, `${r.stdout}\n${r.stderr}`)
  const q = JSON.parse(r.stdout) as { bids: Array<{ bid: { bidder: string } }>, winner: { bid: { bidder: string } } | null, decisions: unknown[] }
  const wallets = info.nodes.filter(n => n.role === 'provider').map(n => n.wallet.toLowerCase())
  assert.is(q.bids.length, 3, 'every provider bids')
  assert.equal(q.bids.map(b => b.bid.bidder.toLowerCase()).sort(), [...wallets].sort())
  assert.ok(q.winner !== null, 'a winner')
  assert.ok(wallets.includes(q.winner.bid.bidder.toLowerCase()), 'the winner is a devnet provider')
  assert.is(q.decisions.length, 1, 'one matcher decided')
})

test('SIGINT stops the devnet: exit 0, devnet.json removed, no node processes left', async () => {
  assert.ok(processesUsing(dir).length >= 4, 'the nodes are running before')
  devnet.kill('SIGINT')
  const t = setTimeout(() => devnet.kill('SIGKILL'), 20_000)
  const code = await exited
  clearTimeout(t)
  assert.is(code, 0, out)
  assert.not.ok(existsSync(file), 'devnet.json is removed')
  assert.equal(processesUsing(dir), [], 'no dcn node process is left')
  assert.match(out, /stopping reason=SIGINT/)
  assert.equal(await leaseObjects(docker, demoLease, demoProvider), { containers: [], networks: [] }, 'the demo\'s containers and network are removed')
})

test.run()
