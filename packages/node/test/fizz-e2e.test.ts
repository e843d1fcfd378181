/**
 * Fizz nodes behind a real NAT (network namespaces, veth, iptables MASQUERADE; see
 * helpers/netns.ts), end to end through the `dcn` binary with anvil, Docker and libp2p over TCP:
 * two fizz nodes that cannot be dialled from outside hold relay reservations on their gateway;
 * the gateway bids for an order with one of them, forwards the manifest, and exposes the service
 * on its ingress (a TCP port, and HTTP by host name) through tunnels; logs and shell reach the
 * lease through the gateway; a cut link pauses the lease (nothing accrues) and restoring it
 * resumes it; a gateway restart brings the endpoint back; outsiders get no reservation, no
 * tunnel, and cannot register under the gateway.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml'
import { join } from 'node:path'
import { request } from 'node:http'
import { connect } from 'node:net'
import type Docker from 'dockerode'
import { parseEther } from 'viem'
import { accrued, deposit, getLease, parseAmount, perHourToPerSecond, type Deployment, type Endpoint, type SettlementClients } from '@dcn/protocol'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { multiaddr } from '@multiformats/multiaddr'
import { openTunnel } from '@dcn/gateway'
import { createHost } from '../src/host.js'
import { startDevnetChain, type DevnetChain } from '../src/devnet/chain.js'
import { connectChain } from '../src/chain/deployment.js'
import { loadIdentity } from '../src/identity.js'
import { freePort } from '../src/devnet/devnet.js'
import { spawn } from 'node:child_process'
import { Cluster, DCN, dcnWith, runDcn, waitFor, type TestNode } from './helpers/cluster.js'
import { HOME_ADDR, MGMT_HOME, MGMT_ROOT, PUBLIC_ADDR, createNatLab, natUnavailable, type NatLab } from './helpers/netns.js'
import { leaseObjects, removeAllOf, testDocker } from './helpers/docker.js'

const SPON = 10n ** 18n
const cluster = new Cluster()
const userDir = join(cluster.root, 'user')
let docker: Docker
let chain: DevnetChain
let d: Deployment
let c: SettlementClients
let matcher: TestNode
let gateway: TestNode
let fizz: TestNode
let fizzB: TestNode
let lab: NatLab
let gatewayConfig: Record<string, unknown>
let flags: string[]
let httpPort = 0
let base: Record<string, unknown>

const WEB = `version: "1.0"
services:
  web:
    image: busybox:stable
    command: ["sh", "-c"]
    args: ["echo '<h1>hello from a fizz node</h1>' > /www/index.html && exec httpd -f -vv -p 8080 -h /www"]
    expose:
      - port: 8080
        proto: http
        global: true
profiles:
  compute:
    web: { cpu: 0.5, memory: 64Mi, storage: 1Gi }
  placement:
    home:
      mode: fizz
      pricing: { token: SPON, maxPerHour: 1 }
deployment:
  web: { placement: home, profile: web, count: 1 }
duration: 1h
`

/** GET with a Host header of our choosing (fetch does not let one set it). */
async function getByHost (port: number, host: string, path: string, addr = PUBLIC_ADDR): Promise<{ status: number, body: string }> {
  return await new Promise((resolve, reject) => {
    const req = request({ host: addr, port, path, headers: { host } }, (res) => {
      let body = ''
      res.on('data', (d: Buffer) => { body += d.toString() })
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, body }) })
    })
    req.on('error', reject)
    req.end()
  })
}

const dcn = dcnWith(() => flags)

async function funded (name: string, spon: bigint): Promise<string> {
  const { wallet } = await loadIdentity(join(cluster.root, name))
  await chain.fund(wallet.address, spon)
  return wallet.address.toLowerCase()
}

test.before(async () => { try {
  const missing = natUnavailable()
  if (missing !== null) throw new Error(`the NAT test ${missing}`)
  docker = await testDocker()
  lab = createNatLab()
  mkdirSync(userDir, { recursive: true })
  const deploymentFile = join(cluster.root, 'deployment.json')
  chain = await startDevnetChain(deploymentFile, { host: PUBLIC_ADDR })
  d = chain.deployment
  base = { rpc: chain.anvil.rpcUrl, deployment: deploymentFile, tokens: d.tokens }
  await funded('matcher', 0n)
  matcher = await cluster.start('matcher', 'matcher', base, [], { listen: PUBLIC_ADDR })
  const accepted = [await funded('fizz', parseEther('100')), await funded('fizz-b', parseEther('100'))]
  await funded('outsider', parseEther('100'))
  await funded('gateway', parseEther('1000'))
  httpPort = await freePort()
  const from = 20000 + Math.floor(Math.random() * 20000)
  gatewayConfig = {
    ...base,
    heartbeat: '2s',
    provider: { ingress: { bind: PUBLIC_ADDR, host: PUBLIC_ADDR } },
    subnet: { accept: accepted, ports: `${from}-${from + 20}`, httpPort, domain: 'fizz.test' }
  }
  gateway = await cluster.start('gateway', 'gateway', gatewayConfig, [matcher.addr], { listen: PUBLIC_ADDR })
  fizz = await startFizz('fizz', '2')
  fizzB = await startFizz('fizz-b', '1')
  const me = await loadIdentity(userDir)
  await chain.fund(me.wallet.address, parseEther('10000'))
  c = await connectChain({ rpcUrl: chain.anvil.rpcUrl, chainId: d.chainId, deployment: d }, me.wallet)
  await deposit(c, d, d.spon, 100n * SPON)
  flags = ['--data-dir', userDir, '--bootstrap', matcher.addr, '--rpc', chain.anvil.rpcUrl, '--deployment', deploymentFile]
} catch (e) { console.error('BEFORE FAILED', e, cluster.nodes.map(n => `--- ${n.name}\n${n.log().slice(-2500)}`).join('\n')); throw e } })

/** Containers and networks of a lease on either fizz node (other tests' leases may share its number). */
async function fizzObjects (leaseId: string): Promise<{ containers: string[], networks: string[] }> {
  const [a, b] = await Promise.all([leaseObjects(docker, leaseId, fizz.wallet), leaseObjects(docker, leaseId, fizzB.wallet)])
  return { containers: [...a.containers, ...b.containers], networks: [...a.networks, ...b.networks] }
}

/** A fizz node in the home namespace: no listen address, its API and Docker ports on the mgmt link. */
async function startFizz (name: string, cpu: string): Promise<TestNode> {
  return await cluster.start(name, 'fizz', {
    ...base,
    gateway: gateway.addr,
    provider: {
      region: 'home', capacity: { cpu, memory: '1Gi', storage: '10Gi' }, tokens: ['SPON'],
      pricing: { strategy: 'scale', perHour: { cpu: '0.1', memory: '0.01', storage: '0.0001', gpu: '1' } },
      ingress: { bind: MGMT_ROOT, host: MGMT_ROOT }
    }
  }, [], { listen: false, wrap: lab.wrap, apiHost: MGMT_HOME })
}

test.after(async () => {
  await cluster.stop()
  await chain?.anvil.stop()
  lab?.teardown()
  for (const n of [fizz, fizzB]) await removeAllOf(docker, n?.wallet)
})

test('fizz nodes behind the NAT hold reservations on their gateway, are online there, and cannot be dialled directly', async () => {
  for (const f of [fizz, fizzB]) {
    await waitFor(async () => (await f.status()).listen.some(a => a.includes('/p2p-circuit')), 20_000, `${f.name}: a relayed address`)
    const s = await f.status()
    assert.ok(s.listen.length > 0 && s.listen.every(a => a.startsWith(`/ip4/${PUBLIC_ADDR}/`) && a.includes(`/p2p/${gateway.peerId}/p2p-circuit`)), `${f.name} is reachable only through the gateway: ${s.listen.join(' ')}`)
  }
  await waitFor(async () => (await gateway.status()).subnet?.fizz.filter(f => f.online).length === 2, 20_000, 'the gateway to see both fizz nodes online')
  // From outside (the root namespace), the home network cannot be reached at all.
  const direct = await new Promise<string>(resolve => {
    const sock = connect({ host: HOME_ADDR, port: 4001, timeout: 3000 })
    sock.once('connect', () => { sock.destroy(); resolve('connected') })
    sock.once('timeout', () => { sock.destroy(); resolve('timeout') })
    sock.once('error', (err: NodeJS.ErrnoException) => { resolve(err.code ?? 'error') })
  })
  assert.ok(['EHOSTUNREACH', 'ENETUNREACH', 'timeout'].includes(direct), `a direct connection to ${HOME_ADDR} must fail, got ${direct}`)
  // …while the home network reaches out (positive control of the NAT): the fizz nodes are online through it.
})

test('a fizz node\'s prices change with its config file, without a restart', async () => {
  const file = join(fizzB.dir, 'config.yaml')
  const cfg = parseYaml(readFileSync(file, 'utf8')) as { provider: { pricing: { perHour: Record<string, string> } } }
  const before = (await gateway.status()).subnet?.fizz.find(f => f.peerId === fizzB.peerId)?.cpuPricePerSecond
  cfg.provider.pricing.perHour.cpu = '0.36'
  writeFileSync(file, stringifyYaml(cfg))
  const expected = perHourToPerSecond(parseAmount('0.36')).toString()
  assert.is.not(before, expected)
  await waitFor(async () => (await gateway.status()).subnet?.fizz.find(f => f.peerId === fizzB.peerId)?.cpuPricePerSecond === expected, 20_000, 'the gateway to see the new price')
  assert.match(fizzB.log(), /pricing reloaded/)
})

test('deploy to a fizz node behind the NAT: the service answers through the gateway (TCP port and HTTP by host name), logs and shell work', async () => {
  const file = join(cluster.root, 'web.yaml')
  writeFileSync(file, WEB)
  const r = await dcn('deploy', file, '--json', '--window', '1s')
  assert.is(r.code, 0, `${r.stderr}\n--- gateway\n${gateway.log().slice(-3000)}\n--- fizz\n${fizz.log().slice(-3000)}`)
  const { leaseId, endpoints } = JSON.parse(r.stdout) as { leaseId: string, endpoints: Endpoint[] }
  assert.is(endpoints.length, 1)
  const [ep] = endpoints
  assert.is(ep.host, PUBLIC_ADDR)
  const page = await fetch(`${ep.url}/index.html`)
  assert.is(page.status, 200)
  assert.match(await page.text(), /hello from a fizz node/)
  assert.ok(ep.httpHost !== undefined && ep.httpHost.endsWith('.fizz.test'), JSON.stringify(ep))
  const byName = await getByHost(httpPort, ep.httpHost, '/index.html')
  assert.is(byName.status, 200)
  assert.match(byName.body, /hello from a fizz node/)
  assert.is((await getByHost(httpPort, 'nobody.fizz.test', '/')).status, 404, 'an unknown name is not routed')
  await fetch(`${ep.url}/through-the-gateway`)

  assert.is((await fizzObjects(leaseId)).containers.length, 1, 'the container runs (on the fizz node)')
  await waitFor(async () => (await dcn('lease', 'logs', leaseId)).stderr.includes('through-the-gateway') || (await dcn('lease', 'logs', leaseId)).stdout.includes('through-the-gateway'), 10_000, 'logs through the gateway')
  // --follow through the gateway: a request made after it started shows up while it runs.
  const follow = spawn(process.execPath, [DCN, 'lease', 'logs', leaseId, '--follow', '--tail', '0', ...flags], { stdio: ['ignore', 'pipe', 'pipe'] })
  let followed = ''
  follow.stdout.on('data', (b: Buffer) => { followed += b.toString() })
  follow.stderr.on('data', (b: Buffer) => { followed += b.toString() })
  try {
    await new Promise(resolve => setTimeout(resolve, 2000))
    await fetch(`${ep.url}/while-following`)
    await waitFor(async () => followed.includes('while-following'), 10_000, `the followed logs to show the request: ${followed}`)
    assert.not.match(followed, /through-the-gateway/, '--tail 0 shows only new lines')
  } finally {
    follow.kill('SIGINT')
  }
  const sh = await dcn('lease', 'shell', leaseId, '--', 'cat', '/www/index.html')
  assert.is(sh.code, 0, sh.stderr)
  assert.match(sh.stdout, /hello from a fizz node/)
  const st = await dcn('lease', 'status', leaseId, '--json')
  assert.is(st.code, 0, st.stderr)
  const status = JSON.parse(st.stdout) as { services: Array<{ ready: number, endpoints: Endpoint[] }> }
  assert.is(status.services[0].ready, 1)
  assert.is(status.services[0].endpoints[0].url, ep.url, 'status shows the gateway endpoint')

  lease = { id: leaseId, url: ep.url }
})

let lease: { id: string, url: string } = { id: '', url: '' }

test('a cut link pauses the lease (nothing accrues while paused); restoring it resumes the lease and the endpoint', async () => {
  assert.ok(lease.id !== '', 'needs the lease of the deploy test')
  lab.cut()
  try {
    await waitFor(async () => (await getLease(c, d, BigInt(lease.id))).pausedAt !== 0n, 30_000, 'the lease to be paused within 30 s')
    const list = await dcn('lease', 'list', '--json')
    assert.ok((JSON.parse(list.stdout) as Array<{ leaseId: string, state: string }>).some(l => l.leaseId === lease.id && l.state === 'paused'), list.stdout)
    const st = await dcn('lease', 'status', lease.id)
    assert.is(st.code, 0, st.stderr)
    assert.match(st.stdout, /paused since/)
    const a1 = await accrued(c, d, BigInt(lease.id))
    await new Promise(resolve => setTimeout(resolve, 2500))
    await chain.foundation.public.request({ method: 'evm_mine' as never, params: [] as never })
    const a2 = await accrued(c, d, BigInt(lease.id))
    assert.is(a2.gross, a1.gross, 'nothing accrues while paused')
  } finally {
    lab.restore()
  }
  await waitFor(async () => (await getLease(c, d, BigInt(lease.id))).pausedAt === 0n, 45_000, 'the lease to resume')
  await waitFor(async () => (await fetch(`${lease.url}/index.html`).then(r => r.status, () => 0)) === 200, 20_000, 'the endpoint to answer again')
})

test('outsiders: an unaccepted fizz node cannot register, a stranger gets no reservation and no tunnel', async () => {
  const r = await runDcn(['node', '--role', 'fizz', '--gateway', gateway.addr, '--rpc', chain.anvil.rpcUrl, '--deployment', join(cluster.root, 'deployment.json'), '--data-dir', join(cluster.root, 'outsider')], 30_000)
  assert.is(r.code, 1, r.stderr)
  assert.match(r.stderr, /^dcn: gateway 0x[0-9a-f]{40} has not accepted this fizz node \(wallet 0x[0-9a-fA-F]{40}\)/)
  assert.is(r.stderr.trim().split('\n').length, 1)

  const stranger = await createHost({ privateKey: await generateKeyPair('Ed25519'), listen: [`${gateway.addr}/p2p-circuit`], client: true }).catch((err: Error) => err)
  if (!(stranger instanceof Error)) {
    try {
      await new Promise(resolve => setTimeout(resolve, 3000))
      assert.ok(!stranger.getMultiaddrs().some(a => a.toString().includes('p2p-circuit')), 'no reservation for a stranger')
      // A tunnel through the relay to the fizz node: refused, it takes tunnels from its gateway only.
      const refused = await openTunnel(stranger, multiaddr(`${gateway.addr}/p2p-circuit/p2p/${fizz.peerId}`), { leaseId: lease.id, service: 'web', replica: 0, port: 8080 }).then(() => 'opened', (err: Error) => err.message)
      assert.match(refused, /only from this fizz node's gateway|refused|cannot open/)
    } finally {
      await stranger.stop()
    }
  }
  assert.match(gateway.log(), /relay reservation refused: not a fizz node of this gateway/)
})

test('a gateway restart: the fizz nodes reconnect and the endpoint comes back without user action', async () => {
  assert.ok(lease.id !== '', 'needs the lease of the deploy test')
  const port = Number(/\/tcp\/(\d+)\//.exec(gateway.addr)![1])
  await gateway.stop('SIGTERM')
  cluster.nodes.splice(cluster.nodes.indexOf(gateway), 1)
  assert.is(await fetch(`${lease.url}/index.html`).then(r => r.status, () => 0), 0, 'down with the gateway')
  gateway = await cluster.start('gateway', 'gateway', gatewayConfig, [matcher.addr], { listen: PUBLIC_ADDR, port })
  await waitFor(async () => (await fetch(`${lease.url}/index.html`).then(r => r.status, () => 0)) === 200, 45_000, 'the endpoint to come back')
  await waitFor(async () => (await gateway.status()).subnet?.fizz.filter(f => f.online).length === 2, 30_000, 'both fizz nodes back online')
  assert.match(gateway.log(), /endpoint restored/)
})

test('closing the lease removes the container on the fizz node and the gateway endpoint', async () => {
  const closed = await dcn('lease', 'close', lease.id)
  assert.is(closed.code, 0, closed.stderr)
  await waitFor(async () => (await fizzObjects(lease.id)).containers.length === 0, 15_000, 'the fizz node to remove the container')
  await waitFor(async () => await fetch(lease.url).then(() => false, () => true), 15_000, 'the gateway endpoint to close')
})

test.run()
