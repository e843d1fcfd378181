/**
 * Running workloads end to end through the `dcn` binary, on a real anvil, a real Docker engine and
 * real libp2p: deploy → the endpoint answers → logs show the request → a shell runs in the
 * container → close removes everything, the provider is paid and the user refunded; manifests
 * from the wrong wallet, with the wrong hash or a stale signature are refused with nothing
 * deployed; a manifest that never comes closes the lease; a provider killed with SIGKILL comes
 * back serving its leases and removes the one closed while it was away.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdirSync, writeFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import type Docker from 'dockerode'
import { parseEther } from 'viem'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import {
  PROTOCOLS, TOPICS, createLease, deposit, escrowBalance, getLease, parseManifest, signManifestDelivery,
  type Address, type Deployment, type Endpoint, type SettlementClients
} from '@dcn/protocol'
import { startDevnetChain, type DevnetChain } from '../src/devnet/chain.js'
import { connectChain } from '../src/chain/deployment.js'
import { loadIdentity } from '../src/identity.js'
import { connect, type LightClient } from '../src/client/light-client.js'
import { quote } from '../src/client/quote.js'
import { deliverManifest, leaseShell } from '../src/client/lease-access.js'
import { multiaddr } from '@multiformats/multiaddr'
import { Uint8ArrayList } from 'uint8arraylist'
import { Frames } from '@dcn/protocol'
import { Cluster, counter, dcnWith, waitFor, type TestNode } from './helpers/cluster.js'
import { leaseObjects, removeAllOf, testDocker } from './helpers/docker.js'

const SPON = 10n ** 18n
const cluster = new Cluster()
const userDir = join(cluster.root, 'user')
let docker: Docker
let chain: DevnetChain
let d: Deployment
let c: SettlementClients
let user: Address
let matcher: TestNode
let provider: TestNode
let providerConfig: Record<string, unknown>
let flags: string[]

const WEB = `version: "1.0"
services:
  web:
    image: busybox:stable
    command: ["sh", "-c"]
    args: ["echo '<h1>hello from dcn</h1>' > /www/index.html && exec httpd -f -vv -p 8080 -h /www"]
    expose:
      - port: 8080
        proto: http
        global: true
profiles:
  compute:
    web: { cpu: 0.5, memory: 64Mi, storage: 1Gi }
  placement:
    main:
      pricing: { token: SPON, maxPerHour: 1 }
deployment:
  web: { placement: main, profile: web, count: 1 }
duration: 1h
`

/** A manifest file with its own hash (every order commits to its manifest). */
function manifestFile (name: string, text = WEB): string {
  const path = join(cluster.root, `${name}.yaml`)
  writeFileSync(path, `${text}# ${name}\n`)
  return path
}

/** Runs `dcn ARGS` against this network. */
const dcn = dcnWith(() => flags)

async function deployJson (name: string): Promise<{ leaseId: string, endpoints: Endpoint[] }> {
  const r = await dcn('deploy', manifestFile(name), '--json', '--window', '700ms')
  assert.is(r.code, 0, `deploy ${name}: ${r.stderr}\n${provider.log().slice(-2000)}`)
  return JSON.parse(r.stdout) as { leaseId: string, endpoints: Endpoint[] }
}

async function startProvider (): Promise<TestNode> {
  return await cluster.start('provider', 'provider', providerConfig, [matcher.addr])
}

test.before(async () => {
  docker = await testDocker()
  mkdirSync(userDir, { recursive: true })
  const deploymentFile = join(cluster.root, 'deployment.json')
  chain = await startDevnetChain(deploymentFile)
  d = chain.deployment
  const base = { rpc: chain.anvil.rpcUrl, deployment: deploymentFile, tokens: d.tokens }
  await chain.fund((await loadIdentity(join(cluster.root, 'matcher'))).wallet.address, 0n)
  matcher = await cluster.start('matcher', 'matcher', base)
  providerConfig = {
    ...base,
    heartbeat: '2s',
    provider: {
      region: 'eu', capacity: { cpu: 4, memory: '2Gi', storage: '20Gi' }, tokens: ['SPON'],
      pricing: { strategy: 'scale', perHour: { cpu: '0.2', memory: '0.01', storage: '0.0001', gpu: '1' } },
      ingress: { bind: '127.0.0.1', host: '127.0.0.1' },
      manifestTimeout: '4s'
    }
  }
  const { wallet } = await loadIdentity(join(cluster.root, 'provider'))
  await chain.fund(wallet.address, parseEther('1000'))
  provider = await startProvider()
  await cluster.ready(1)
  const me = await loadIdentity(userDir)
  user = me.wallet.address.toLowerCase() as Address
  await chain.fund(me.wallet.address, parseEther('10000'))
  c = await connectChain({ rpcUrl: chain.anvil.rpcUrl, chainId: d.chainId, deployment: d }, me.wallet)
  await deposit(c, d, d.spon, 100n * SPON)
  flags = ['--data-dir', userDir, '--bootstrap', matcher.addr, '--rpc', chain.anvil.rpcUrl, '--deployment', deploymentFile]
})

test.after(async () => {
  await cluster.stop()
  await chain?.anvil.stop()
  await removeAllOf(docker, provider?.wallet)
})

test('deploy → endpoint answers → logs show the request → shell → close: everything removed, provider paid, user refunded', async () => {
  const providerBefore = await escrowBalance(c, d, d.spon, provider.wallet as Address)
  const { leaseId, endpoints } = await deployJson('first')
  assert.is(endpoints.length, 1)
  const [ep] = endpoints
  assert.is(ep.host, '127.0.0.1')
  assert.match(ep.url, /^http:\/\/127\.0\.0\.1:\d+$/)
  const res = await fetch(`${ep.url}/index.html`)
  await fetch(`${ep.url}/from-test`)
  assert.is(res.status, 200)
  assert.match(await res.text(), /hello from dcn/)

  const objects = await leaseObjects(docker, leaseId)
  assert.is(objects.containers.length, 1, 'one container')
  assert.is(objects.networks.length, 1, 'a network of its own')

  await waitFor(async () => (await dcn('lease', 'logs', leaseId)).stdout.includes('from-test') || (await dcn('lease', 'logs', leaseId)).stderr.includes('from-test'), 10_000, 'the request in the logs')
  const logs = await dcn('lease', 'logs', leaseId, '--tail', '1')
  assert.is(logs.code, 0, logs.stderr)
  assert.is((logs.stdout + logs.stderr).trim().split('\n').length, 1, '--tail 1 gives one line')

  const hostname = (await docker.getContainer(objects.containers[0].slice(1)).inspect()).Config.Hostname
  const sh = await dcn('lease', 'shell', leaseId, '--', 'cat', '/etc/hostname')
  assert.is(sh.code, 0, sh.stderr)
  assert.is(sh.stdout.trim(), hostname, 'the shell runs inside the lease container')
  const failing = await dcn('lease', 'shell', leaseId, '--', 'sh', '-c', 'echo oops >&2; exit 7')
  assert.is(failing.code, 7, 'the remote exit code is the command’s')
  assert.is(failing.stderr.trim(), 'oops')

  const st = await dcn('lease', 'status', leaseId, '--json')
  assert.is(st.code, 0, st.stderr)
  const status = JSON.parse(st.stdout) as { state: string, services: Array<{ service: string, ready: number, replicas: number, endpoints: Endpoint[] }> }
  assert.is(status.state, 'active')
  assert.is(status.services[0].ready, 1)
  assert.is(status.services[0].endpoints[0].url, ep.url)

  const closed = await dcn('lease', 'close', leaseId, '--json')
  assert.is(closed.code, 0, closed.stderr)
  const { refund } = JSON.parse(closed.stdout) as { refund: string }
  await waitFor(async () => {
    const o = await leaseObjects(docker, leaseId)
    return o.containers.length === 0 && o.networks.length === 0
  }, 10_000, 'containers and network of the closed lease to be removed')
  assert.is(await fetch(ep.url).then(() => 'answered', () => 'refused'), 'refused', 'the endpoint is gone')

  const lease = await getLease(c, d, BigInt(leaseId))
  const gross = (lease.paidUntil - lease.start) * lease.pricePerSecond
  assert.ok(lease.paidUntil > lease.start, 'some seconds were used')
  const providerAfter = await escrowBalance(c, d, d.spon, provider.wallet as Address)
  assert.is(providerAfter.unlocked - providerBefore.unlocked, gross - gross * 2000n / 10_000n, 'provider paid the seconds used less the 20% fee')
  assert.ok(BigInt(refund) > 0n, 'the user got the rest back')
  const u = await escrowBalance(c, d, d.spon, user)
  assert.is(u.locked, 0n, 'nothing stays locked')
  await waitFor(async () => readdirSync(join(provider.dir, 'leases')).length === 0, 5000, 'the provider to forget the lease')
})

/** A lease on chain whose manifest has not been sent, made with the library (the CLI would send it). */
async function bareLease (client: LightClient, text: string): Promise<bigint> {
  const spec = parseManifest(text, { tokens: d.tokens }).order
  const q = await quote(client, spec, { windowMs: 700, chainId: d.chainId, refBlock: Number(await c.public.getBlockNumber()) })
  const decision = q.decisions.find(x => x.signed !== undefined)
  assert.ok(q.winner !== null && decision?.signed !== undefined, 'matched')
  const lease = await createLease(c, d, { order: q.order, orderSig: q.orderSig, bid: q.winner.bid, bidSig: q.winner.sig, match: decision.signed.body, matchSig: decision.signed.sig })
  return lease.leaseId
}

test('a manifest from another wallet, with another hash, or with a stale signature is refused and nothing is deployed; a missing manifest closes the lease', async () => {
  const { wallet } = await loadIdentity(userDir)
  const client = await connect({ chainId: d.chainId, bootstrap: [matcher.addr], tokens: d.tokens }, { wallet, receive: ['bid', 'match', 'no-match'], publish: [TOPICS.orders] })
  try {
    const text = `${WEB}# refusals\n`
    const leaseId = await bareLease(client, text)
    const ctx = { host: client.host, wallet, chainId: d.chainId }
    const ref = { leaseId, peerId: provider.peerId }
    const refusals: string[] = []
    const attempt = async (what: string, run: () => Promise<unknown>, re: RegExp): Promise<void> => {
      try {
        await run()
        assert.unreachable(`${what} was accepted`)
      } catch (err) {
        assert.match((err as Error).message, re, what)
        refusals.push(what)
      }
    }
    const stranger = privateKeyToAccount(generatePrivateKey())
    await attempt('another wallet', async () => await deliverManifest({ ...ctx, wallet: stranger }, ref, text), /only the lease's owner/)
    await attempt('another manifest', async () => await deliverManifest(ctx, ref, `${text}# changed\n`), /manifest hash .* differs from the order's/)
    // A correctly signed request from two minutes ago, sent raw.
    const stale = await signManifestDelivery(wallet, d.chainId, leaseId, text, Math.floor(Date.now() / 1000) - 120)
    await attempt('a stale signature', async () => await sendRaw(client, stale), /signature is 1[12]\d s old/)
    assert.is(refusals.length, 3)
    assert.equal(await leaseObjects(docker, leaseId), { containers: [], networks: [] }, 'nothing deployed')
    const m = await provider.metrics()
    assert.ok(counter(m, 'dcn_lease_requests_total', { op: 'manifest', result: 'refused' }) >= 3)

    // No valid manifest within the provider's 4 s: it closes the lease and frees the capacity.
    await waitFor(async () => (await getLease(c, d, leaseId)).closedAt !== 0n, 15_000, 'the provider to close the lease without a manifest')
    let last: unknown
    await waitFor(async () => { const s = await provider.status(); last = s.provider; return s.provider?.reservations === 0 }, 5000, 'the reservation released')
      .catch(err => { throw new Error(`${(err as Error).message}: ${JSON.stringify(last)}\n${provider.log().slice(-3000)}`) })
    const u = await escrowBalance(c, d, d.spon, user)
    assert.is(u.locked, 0n, 'the user’s funds are unlocked again')
  } finally {
    await client.stop()
  }
})

/** Sends a pre-built delivery as is (the client library would sign a fresh one). */
async function sendRaw (client: LightClient, delivery: unknown): Promise<void> {
  const stream = await client.host.dialProtocol(multiaddr(provider.addr), PROTOCOLS.manifest)
  const frames = new Frames(stream)
  await frames.writeJson(delivery)
  const answer = await frames.readJson() as { ok: boolean, error?: string }
  await frames.close()
  if (!answer.ok) throw new Error(answer.error)
}

test('an interactive shell: a tty, typed input, a resize, the exit code', async () => {
  const { leaseId } = await deployJson('tty')
  const { wallet } = await loadIdentity(userDir)
  const client = await connect({ chainId: d.chainId, bootstrap: [matcher.addr], tokens: d.tokens }, { wallet, receive: [], publish: [] })
  try {
    let out = ''
    const code = await leaseShell({ host: client.host, wallet, chainId: d.chainId }, { leaseId: BigInt(leaseId), peerId: provider.peerId }, { cmd: ['sh'], tty: true, cols: 100, rows: 30 }, {
      stdout: (b) => { out += Buffer.from(b).toString() },
      stderr: (b) => { out += Buffer.from(b).toString() },
      input: (send, _end, resize) => {
        const t1 = setTimeout(() => { send(Buffer.from('stty size; echo tty-$((6*7))\n')) }, 300)
        const t2 = setTimeout(() => { resize(120, 40); send(Buffer.from('stty size; exit 5\n')) }, 900)
        return () => { clearTimeout(t1); clearTimeout(t2) }
      }
    })
    assert.is(code, 5, out)
    assert.match(out, /30 100/, 'the terminal has the size the user asked for')
    assert.match(out, /tty-42/, 'typed input ran in the shell')
    assert.match(out, /40 120/, 'a resize reaches the terminal')
  } finally {
    await client.stop()
  }
  assert.is((await dcn('lease', 'close', leaseId)).code, 0)
})

test('a lease closed by its provider, and one that runs out of time, are torn down and settled', async () => {
  const byProvider = await deployJson('by-provider')
  const r = await cluster.dcn(['lease', 'close', byProvider.leaseId, '--json', ...flags.slice(2), '--data-dir', provider.dir])
  assert.is(r.code, 0, r.stderr)
  await waitFor(async () => (await leaseObjects(docker, byProvider.leaseId)).containers.length === 0, 10_000, 'the provider-closed lease removed')
  assert.is((await escrowBalance(c, d, d.spon, user)).locked, 0n, 'the owner is refunded')

  const short = manifestFile('short', WEB.replace('duration: 1h', 'duration: 6s'))
  const run = await dcn('deploy', short, '--json', '--window', '700ms')
  assert.is(run.code, 0, run.stderr)
  const { leaseId } = JSON.parse(run.stdout) as { leaseId: string }
  assert.is((await leaseObjects(docker, leaseId)).containers.length, 1)
  await waitFor(async () => (await leaseObjects(docker, leaseId)).containers.length === 0, 20_000, 'the expired lease removed')
  await waitFor(async () => (await getLease(c, d, BigInt(leaseId))).closedAt !== 0n, 10_000, 'the provider to settle the expired lease')
  const lease = await getLease(c, d, BigInt(leaseId))
  assert.is(lease.paidUntil, lease.end, 'paid for the whole duration')
  assert.is(lease.locked, 0n)
})

test('garbage on the manifest and lease protocols gets a one-line refusal and never hurts the provider', async () => {
  const { wallet } = await loadIdentity(userDir)
  const client = await connect({ chainId: d.chainId, bootstrap: [matcher.addr], tokens: d.tokens }, { wallet, receive: [], publish: [] })
  const ask = async (protocol: string, raw: Uint8Array): Promise<string> => {
    const stream = await client.host.dialProtocol(multiaddr(provider.addr), protocol)
    stream.send(new Uint8ArrayList(raw))
    const frames = new Frames(stream)
    const answer = await frames.readJson().catch((err: Error) => ({ ok: false, error: `stream ended: ${err.message}` })) as { ok: boolean, error: string }
    await frames.close()
    assert.is(answer.ok, false)
    return answer.error
  }
  const frame = (text: string): Uint8Array => {
    const body = Buffer.from(text)
    const head = Buffer.alloc(4)
    head.writeUInt32BE(body.length)
    return Buffer.concat([head, body])
  }
  try {
    const huge = Buffer.alloc(8)
    huge.writeUInt32BE(0x7fffffff)
    assert.match(await ask(PROTOCOLS.lease, huge), /over the \d+-byte limit/)
    assert.match(await ask(PROTOCOLS.manifest, frame('not json')), /not JSON/)
    assert.match(await ask(PROTOCOLS.lease, frame('[1,2,3]')), /expected an object/)
    assert.match(await ask(PROTOCOLS.lease, frame(JSON.stringify({ leaseId: '1', op: 'rm -rf', args: '{}', time: 1, sig: '0x' }))), /op: expected one of/)
    const signed = { leaseId: '1', op: 'logs', args: JSON.stringify({ tail: 'all' }), time: Math.floor(Date.now() / 1000), sig: `0x${'11'.repeat(65)}` }
    assert.match(await ask(PROTOCOLS.lease, frame(JSON.stringify(signed))), /args.tail: expected an integer/)
    assert.match(await ask(PROTOCOLS.lease, frame(JSON.stringify({ ...signed, args: '{}' }))), /malformed signature|only the lease's owner|has no workload/)
    assert.match(await ask(PROTOCOLS.manifest, frame(JSON.stringify({ leaseId: '999999', manifest: 'x', time: Math.floor(Date.now() / 1000), sig: `0x${'22'.repeat(65)}` }))), /malformed signature|no lease 999999/)
  } finally {
    await client.stop()
  }
  assert.is((await provider.status()).peerId, provider.peerId, 'the provider is still up')
})

test('SIGKILL the provider mid-lease and start it again: the lease keeps running, status/logs/shell work; a lease closed meanwhile is removed', async () => {
  const kept = await deployJson('kept')
  const gone = await deployJson('gone')
  const keptUrl = kept.endpoints[0].url
  assert.is((await fetch(keptUrl)).status, 200)

  assert.is(await provider.stop('SIGKILL'), null)
  // While the provider is down: the workload keeps serving, and the user closes the other lease on chain.
  assert.is((await fetch(keptUrl)).status, 200, 'the workload outlives its provider process')
  const closed = await dcn('lease', 'close', gone.leaseId)
  assert.is(closed.code, 0, closed.stderr)
  assert.is((await leaseObjects(docker, gone.leaseId)).containers.length, 1, 'nobody has removed it yet')

  cluster.nodes.splice(cluster.nodes.indexOf(provider), 1)
  provider = await startProvider()
  await waitFor(async () => (await leaseObjects(docker, gone.leaseId)).containers.length === 0, 15_000, 'the closed lease removed after the restart')
  assert.equal(await leaseObjects(docker, gone.leaseId), { containers: [], networks: [] })

  await waitFor(async () => (await dcn('lease', 'status', kept.leaseId)).code === 0, 20_000, 'status after the restart')
  const st = JSON.parse((await dcn('lease', 'status', kept.leaseId, '--json')).stdout) as { services: Array<{ ready: number, endpoints: Endpoint[] }> }
  assert.is(st.services[0].ready, 1)
  assert.is(st.services[0].endpoints[0].url, keptUrl, 'same endpoint')
  await fetch(`${keptUrl}/after-restart`)
  await waitFor(async () => (await dcn('lease', 'logs', kept.leaseId)).stderr.includes('after-restart') || (await dcn('lease', 'logs', kept.leaseId)).stdout.includes('after-restart'), 10_000, 'logs after the restart')
  const sh = await dcn('lease', 'shell', kept.leaseId, '--', 'echo', 'still here')
  assert.is(sh.code, 0, sh.stderr)
  assert.is(sh.stdout.trim(), 'still here')
  const s = await provider.status()
  assert.ok(s.leases?.some(l => l.leaseId === kept.leaseId && l.deployed), `the provider lists lease ${kept.leaseId}: ${JSON.stringify(s.leases)}`)
  assert.is(s.provider?.reservations, 1, 'its capacity is held again')
  const ev = await dcn('lease', 'events', kept.leaseId, '--json')
  assert.ok((JSON.parse(ev.stdout) as Array<{ kind: string }>).some(e => e.kind === 'start'), 'events from before the restart are kept')
  assert.is((await dcn('lease', 'close', kept.leaseId)).code, 0)
})

test.run()
