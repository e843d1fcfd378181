/**
 * The settlement chain end to end, through the `dcn` binary: a real `dcn devnet` (anvil, the
 * contracts, a matcher and three providers as processes), then the user's escrow, a deployment
 * that becomes a lease on chain, the provider following LeaseCreated / LeaseClosed, streaming
 * payment on close with the foundation's fee, user errors that change nothing on chain,
 * providers that cannot stake, bids from unregistered wallets, and a clean Ctrl-C.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawn, execFileSync, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { multiaddr } from '@multiformats/multiaddr'
import { generatePrivateKey, privateKeyToAccount, type LocalAccount } from 'viem/accounts'
import {
  LeasesAbi, TOPICS, encode, escrowBalance, formatAmount, getLease, parseAmount, parseManifest, settlementClients, sign, stakeOf, tokenBalance,
  type Address, type Bid, type Deployment, type EscrowBalance, type SettlementClients
} from '@dcn/protocol'
import { createHost, type Host } from '../src/host.js'
import { loadIdentity } from '../src/identity.js'
import { testDocker } from './helpers/docker.js'
import { DCN, counter, manifest, readJson, runDcn, waitFor } from './helpers/cluster.js'
import type { DevnetFile, DevnetNodeInfo } from '../src/client/network.js'
import type { NodeStatus } from '../src/node.js'

const SPON = 10n ** 18n
const dir = mkdtempSync(join(tmpdir(), 'dcn-chain-e2e-'))
const file = join(dir, 'devnet.json')
const deploymentFile = join(dir, 'devnet', 'deployment.json')
let devnet: ChildProcess
let out = ''
let exited: Promise<number | null>

let info: DevnetFile
let d: Deployment
/** Read-only clients (any account will do for reads). */
let c: SettlementClients
let user: Address
let matcher: DevnetNodeInfo
let rogue: Host | undefined

/** The lease made by `dcn deploy`, shared by the tests that follow it. */
let lease: { leaseId: string, provider: string, pricePerSecond: string, locked: string, start: string, end: string, token: string } | undefined
let winner: DevnetNodeInfo | undefined

/** Processes (other than ps itself) whose command line mentions `text`. */
function processesUsing (text: string): string[] {
  const ps = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' })
  return ps.split('\n').filter(l => l.includes(text) && !/^\s*\d+\s+ps\b/.test(l))
}

/** Throws, with the devnet's output and the end of each node's log, when the devnet has died. */
function devnetUp (): void {
  if (devnet.exitCode === null && devnet.signalCode === null) return
  const logs = (info?.nodes ?? []).map(n => {
    try { return `--- ${n.name}\n${readFileSync(n.log, 'utf8').trim().split('\n').slice(-15).join('\n')}` } catch { return `--- ${n.name}: no log` }
  })
  throw new Error(`the devnet exited (${String(devnet.exitCode ?? devnet.signalCode)}):\n${out}\n${logs.join('\n')}`)
}

const dcn = async (...args: string[]): Promise<{ code: number | null, stdout: string, stderr: string }> => {
  devnetUp()
  const r = await runDcn([...args, '--data-dir', dir], 60_000)
  devnetUp()
  return r
}
const status = async (n: DevnetNodeInfo): Promise<NodeStatus> => await (await fetch(`${n.api}/status`)).json() as NodeStatus
const metrics = async (n: DevnetNodeInfo): Promise<string> => await (await fetch(`${n.api}/metrics`)).text()
const escrowOf = async (who: Address): Promise<EscrowBalance> => await escrowBalance(c, d, d.spon, who)
const leaseCount = async (): Promise<bigint> => await c.public.readContract({ address: d.leases, abi: LeasesAbi, functionName: 'leaseCount' })

/** Asserts a user error: exit code ≠ 0, and stderr is one line `dcn: …` matching `re` (no stack). */
function userError (r: { code: number | null, stdout: string, stderr: string }, re: RegExp, what: string): void {
  assert.ok(r.code !== null && r.code !== 0, `${what}: exit code ${String(r.code)} (stderr: ${r.stderr})`)
  const lines = r.stderr.trim().split('\n')
  assert.is(lines.length, 1, `${what}: one line on stderr, got:\n${r.stderr}`)
  assert.match(lines[0], /^dcn: /, what)
  assert.not.match(lines[0], /internal error/, what)
  assert.match(lines[0], re, what)
}

/** Everything on chain a failed command must leave alone. */
async function chainState (who: Address): Promise<string> {
  const b = await escrowOf(who)
  return JSON.stringify({ unlocked: String(b.unlocked), locked: String(b.locked), wallet: String(b.wallet), leases: String(await leaseCount()) })
}

async function rpc (method: string, params: unknown[]): Promise<unknown> {
  const res = await fetch(info.chain.rpcUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) })
  const body = await res.json() as { result?: unknown, error?: { message: string } }
  if (body.error !== undefined) throw new Error(`${method}: ${body.error.message}`)
  return body.result
}

/**
 * Dials the matcher from the rogue until the matcher's subscriptions arrive. Gossipsub opens its
 * outbound stream to a new peer once, from a queue shared by all peers, and never retries; the
 * nodes repair a link that stays silent (stream-watchdog.ts) by closing it, and so does this.
 */
async function connectRogue (host: Host): Promise<void> {
  const failures: string[] = []
  for (let attempt = 1; attempt <= 3; attempt++) {
    await host.dial(multiaddr(info.bootstrap[0]))
    try {
      await waitFor(async () => host.services.pubsub.getSubscribers(TOPICS.bids).map(String).includes(matcher.peerId), 5000, 'the matcher\'s bids subscription')
      if (failures.length > 0) console.warn(`rogue: gossip link to the matcher repaired by redialling after: ${failures.join('; ')}`)
      return
    } catch (err) {
      const conns = host.getConnections().map(x => `${x.remotePeer.toString()} ${x.status} ${x.direction} [${x.streams.map(s => `${s.protocol ?? '?'}/${s.direction}/${s.status}`).join(', ')}]`)
      const peers = (await status(matcher)).peers.map(p => p.id)
      failures.push(`attempt ${attempt}: ${(err as Error).message}; rogue ${host.peerId.toString()} gossip peers ${JSON.stringify(host.services.pubsub.getPeers().map(String))}, ` +
        `connections ${JSON.stringify(conns)}; the matcher ${peers.includes(host.peerId.toString()) ? 'lists' : 'does not list'} the rogue among its peers`)
      await host.hangUp(multiaddr(info.bootstrap[0])).catch(() => {})
    }
  }
  throw new Error(failures.join('\n'))
}

test.before(async () => {
  await testDocker()
  devnet = spawn(process.execPath, [DCN, 'devnet', '--providers', '3', '--slarks', '0', '--data-dir', dir], { stdio: ['ignore', 'pipe', 'pipe'] })
  devnet.stdout?.on('data', d => { out += String(d) })
  devnet.stderr?.on('data', d => { out += String(d) })
  exited = new Promise(resolve => devnet.once('exit', code => { resolve(code) }))
})

test.after(async () => {
  try { await rogue?.stop() } catch {}
  if (devnet.exitCode === null && devnet.signalCode === null) devnet.kill('SIGKILL')
  // Whatever the devnet left behind (only if a test failed before it stopped cleanly).
  const port = info === undefined ? undefined : new URL(info.chain.rpcUrl).port
  for (const line of [...processesUsing(dir), ...(port === undefined ? [] : processesUsing(`--port ${port} `))]) {
    try { process.kill(Number(line.trim().split(/\s+/)[0]), 'SIGKILL') } catch {}
  }
  if (process.env.DCN_KEEP === undefined) rmSync(dir, { recursive: true, force: true })
  else console.log(`kept ${dir}\n${out}`)
})

test('the devnet comes up and writes devnet.json with its chain', async () => {
  await waitFor(async () => {
    if (devnet.exitCode !== null) throw new Error(`devnet exited with ${devnet.exitCode}: ${out}`)
    return existsSync(file)
  }, 45_000, `devnet.json\n${out}`)
  info = readJson<DevnetFile>(file)
  d = info.chain.deployment
  assert.is(info.chain.chainId, 31337)
  assert.is(d.chainId, 31337)
  assert.equal(readJson<Deployment>(deploymentFile), d, 'devnet/deployment.json is the deployment in devnet.json')
  c = settlementClients(info.chain.rpcUrl, info.chain.chainId, privateKeyToAccount(generatePrivateKey()))
  user = (await loadIdentity(dir)).wallet.address
  matcher = info.nodes.find(n => n.role === 'matcher')!
  assert.ok(matcher !== undefined)
  assert.is(info.nodes.filter(n => n.role === 'provider').length, 3)
  // Every provider staked itself.
  for (const p of info.nodes.filter(n => n.role === 'provider')) assert.ok(await stakeOf(c, d, p.wallet as Address) > 0n, `${p.name} staked`)
})

test('escrow: 0 unlocked and 10,000 SPON in the wallet; deposit 5 → 5 unlocked', async () => {
  const r = await dcn('escrow', 'balance', '--json')
  assert.is(r.code, 0, r.stderr)
  const b = JSON.parse(r.stdout) as { address: string, symbol: string, unlocked: string, locked: string, wallet: string }
  assert.is(b.address.toLowerCase(), user.toLowerCase())
  assert.is(b.symbol, 'SPON')
  assert.is(b.unlocked, '0')
  assert.is(b.locked, '0')
  assert.is(b.wallet, String(10_000n * SPON))

  const dep = await dcn('escrow', 'deposit', '5', '--json')
  assert.is(dep.code, 0, dep.stderr)
  assert.is((JSON.parse(dep.stdout) as { unlocked: string }).unlocked, String(5n * SPON))
  const after = await dcn('escrow', 'balance', '--json')
  assert.is(after.code, 0, after.stderr)
  const a = JSON.parse(after.stdout) as { unlocked: string, locked: string, wallet: string }
  assert.is(a.unlocked, String(5n * SPON))
  assert.is(a.locked, '0')
  assert.is(a.wallet, String(9_995n * SPON))
  // The chain says the same.
  const onChain = await escrowOf(user)
  assert.is(onChain.unlocked, 5n * SPON)
  assert.is(onChain.wallet, 9_995n * SPON)
})

test('dcn deploy: order → bids → match → lease on chain, locked = price × duration, the provider holds it', async () => {
  const m = join(dir, 'web.yaml')
  const text = manifest({ cpu: '1', memory: '1Gi', maxPerHour: '0.5' })
  writeFileSync(m, text)
  const duration = BigInt(parseManifest(text, { tokens: info.tokens }).order.duration)
  assert.is(duration, 3600n)
  const leasesBefore = await leaseCount()
  const r = await dcn('deploy', m, '--json', '--window', '1500ms')
  assert.is(r.code, 0, `${r.stdout}\n${r.stderr}`)
  lease = JSON.parse(r.stdout) as NonNullable<typeof lease>
  assert.match(lease.leaseId, /^[1-9]\d*$/)
  assert.is(BigInt(lease.leaseId), leasesBefore + 1n, 'a new lease id')
  const price = BigInt(lease.pricePerSecond)
  assert.ok(price > 0n && price <= parseAmount('0.5') / 3600n, `price ${price} within the order's max`)
  assert.is(BigInt(lease.locked), price * duration, 'locked = price × duration')
  assert.is(BigInt(lease.end) - BigInt(lease.start), duration)
  assert.is(lease.token.toLowerCase(), d.spon.toLowerCase())
  winner = info.nodes.find(n => n.role === 'provider' && n.wallet.toLowerCase() === lease!.provider.toLowerCase())
  assert.ok(winner !== undefined, `the winner ${lease.provider} is a devnet provider`)

  // The escrow moved exactly `locked` from unlocked to locked.
  const b = await escrowOf(user)
  assert.is(b.locked, BigInt(lease.locked))
  assert.is(b.unlocked, 5n * SPON - BigInt(lease.locked))
  const onChain = await getLease(c, d, BigInt(lease.leaseId))
  assert.is(onChain.owner.toLowerCase(), user.toLowerCase())
  assert.is(onChain.provider.toLowerCase(), lease.provider.toLowerCase())
  assert.is(onChain.pricePerSecond, price)
  assert.is(onChain.closedAt, 0n)

  const list = await dcn('lease', 'list', '--json')
  assert.is(list.code, 0, list.stderr)
  const leases = JSON.parse(list.stdout) as Array<{ leaseId: string, state: string, provider: string, locked: string }>
  assert.is(leases.length, 1)
  assert.is(leases[0].leaseId, lease.leaseId)
  assert.is(leases[0].state, 'active')
  assert.is(leases[0].provider.toLowerCase(), lease.provider.toLowerCase())
  assert.is(leases[0].locked, lease.locked)

  // The provider saw LeaseCreated and holds the reservation as a lease.
  let last: NodeStatus | undefined
  await waitFor(async () => {
    last = await status(winner!)
    return last.provider?.leases.includes(lease!.leaseId) === true
  }, 5000, `${winner.name} to list lease ${lease.leaseId}: ${JSON.stringify(last?.provider)}`)
  assert.is(last?.provider?.reservations, 1)
  assert.is(last?.provider?.available.cpu, (last?.provider?.capacity.cpu ?? 0) - 1000, 'one core held for the lease')
})

test('dcn lease close: the user pays for the seconds used, the provider gets them less 20%, the reservation is released', async () => {
  assert.ok(lease !== undefined && winner !== undefined, 'a lease from the previous test')
  const id = BigInt(lease.leaseId)
  const price = BigInt(lease.pricePerSecond)
  const providerBefore = await escrowOf(winner.wallet as Address)
  await new Promise(resolve => setTimeout(resolve, 3000))
  const r = await dcn('lease', 'close', lease.leaseId, '--json')
  assert.is(r.code, 0, r.stderr)
  const closed = JSON.parse(r.stdout) as { leaseId: string, closed: boolean, refund: string, paidGross: string }
  assert.is(closed.leaseId, lease.leaseId)
  assert.is(closed.closed, true)

  const l = await getLease(c, d, id)
  const elapsed = l.paidUntil - l.start
  assert.ok(elapsed >= 3n && elapsed < 30n, `paid for ${elapsed} s`)
  assert.is(l.closedAt, l.paidUntil, 'paid up to the close')
  assert.is(l.locked, 0n)
  const gross = price * elapsed
  assert.is(BigInt(closed.paidGross), gross)
  assert.is(BigInt(closed.refund), BigInt(lease.locked) - gross)

  const u = await escrowOf(user)
  assert.is(u.unlocked, 5n * SPON - gross, `user: 5 − ${price} × ${elapsed}`)
  assert.is(u.locked, 0n)
  assert.is(u.wallet, 9_995n * SPON, 'the wallet is untouched')
  const p = await escrowOf(winner.wallet as Address)
  assert.is(p.unlocked - providerBefore.unlocked, gross - gross * 2000n / 10_000n, 'provider: gross − 20% foundation fee')
  assert.is(p.unlocked, gross - gross * 2000n / 10_000n, 'the provider had nothing in escrow before')

  let last: NodeStatus | undefined
  await waitFor(async () => {
    last = await status(winner!)
    return last.provider !== undefined && !last.provider.leases.includes(lease!.leaseId) && last.provider.reservations === 0
  }, 5000, `${winner.name} to drop lease ${lease.leaseId}: ${JSON.stringify(last?.provider)}`)
  assert.equal(last?.provider?.available, last?.provider?.capacity, 'all capacity free again')

  const list = await dcn('lease', 'list', '--json')
  assert.is(list.code, 0, list.stderr)
  assert.equal((JSON.parse(list.stdout) as Array<{ leaseId: string, state: string }>).map(x => [x.leaseId, x.state]), [[lease.leaseId, 'closed']])

  const before = await chainState(user)
  const again = await dcn('lease', 'close', lease.leaseId, '--json')
  userError(again, /already closed/, 'second close')
  assert.is(again.code, 1)
  assert.is(again.stdout, '')
  assert.is(await chainState(user), before)
})

test('user errors: one line on stderr, exit ≠ 0, nothing changed on chain', async () => {
  const before = await chainState(user)
  const unlocked = (await escrowOf(user)).unlocked

  // Escrow too small for the order's maximum: says how much to deposit, publishes nothing.
  const seenBefore = counter(await metrics(matcher), 'dcn_orders_seen_total')
  const bigText = manifest({ cpu: '1', memory: '1Gi', maxPerHour: '100' })
  const big = join(dir, 'big.yaml')
  writeFileSync(big, bigText)
  const spec = parseManifest(bigText, { tokens: info.tokens }).order
  assert.is(spec.maxPricePerSecond, parseAmount('100') / 3600n)
  const needed = spec.maxPricePerSecond * BigInt(spec.duration)
  assert.ok(needed > unlocked)
  const r1 = await dcn('deploy', big, '--json', '--window', '500ms')
  userError(r1, new RegExp(`run "dcn escrow deposit ${formatAmount(needed - unlocked).replace('.', '\\.')}"`), 'escrow too small')
  assert.match(r1.stderr, new RegExp(`escrow holds ${formatAmount(unlocked).replace('.', '\\.')} SPON`))
  assert.is(r1.stdout, '')
  await new Promise(resolve => setTimeout(resolve, 1000))
  assert.is(counter(await metrics(matcher), 'dcn_orders_seen_total'), seenBefore, 'no order was published')

  // More than the escrow holds.
  userError(await dcn('escrow', 'withdraw', '1000000'), /cannot withdraw 1000000/, 'withdraw too much')

  // An RPC that does not answer.
  const dead = ['--rpc', 'http://127.0.0.1:1', '--deployment', deploymentFile]
  userError(await dcn('escrow', 'deposit', '1', ...dead), /cannot reach the chain RPC at http:\/\/127\.0\.0\.1:1/, 'unreachable RPC (deposit)')
  userError(await dcn('deploy', join(dir, 'web.yaml'), ...dead), /cannot reach the chain RPC/, 'unreachable RPC (deploy)')

  // A deployment file for another chain id.
  const wrong = join(dir, 'wrong-chain.json')
  writeFileSync(wrong, JSON.stringify({ ...readJson<Deployment>(deploymentFile), chainId: 999 }))
  const other = ['--rpc', info.chain.rpcUrl, '--deployment', wrong]
  userError(await dcn('escrow', 'deposit', '1', ...other), /wrong chain: .* serves chain id 31337, expected 999/, 'wrong chain (deposit)')
  userError(await dcn('lease', 'list', ...other), /wrong chain/, 'wrong chain (lease list)')

  // A wallet with nothing on this chain.
  const poor = join(dir, 'unfunded')
  mkdirSync(poor)
  copyFileSync(file, join(poor, 'devnet.json'))
  const poorWallet = (await loadIdentity(poor)).wallet.address
  const poorBefore = await chainState(poorWallet)
  for (const args of [['escrow', 'deposit', '1'], ['deploy', join(dir, 'web.yaml')], ['lease', 'close', '1']]) {
    const r = await runDcn([...args, '--data-dir', poor], 60_000)
    userError(r, new RegExp(`wallet ${poorWallet} has no ETH for gas`), `unfunded wallet (${args[0]})`)
  }
  assert.is(await chainState(poorWallet), poorBefore)

  // A lease that does not exist.
  userError(await dcn('lease', 'close', '999'), /no lease 999/, 'close a lease that does not exist')

  assert.is(await chainState(user), before, 'the user\'s escrow and the lease count are unchanged')
  assert.is(counter(await metrics(matcher), 'dcn_orders_seen_total'), seenBefore, 'still no order published')
})

test('a provider whose wallet has no SPON cannot stake: exit 1, one line', async () => {
  devnetUp()
  const pdir = join(dir, 'extra-provider')
  const id = await loadIdentity(pdir)
  // ETH for gas (so it can register), but no SPON to stake.
  await rpc('anvil_setBalance', [id.wallet.address, '0x3635c9adc5dea00000'])
  assert.is(await tokenBalance(c, d.spon, id.wallet.address), 0n)
  const child = spawn(process.execPath, [DCN, 'node', '--role', 'provider', '--rpc', info.chain.rpcUrl, '--deployment', deploymentFile,
    '--data-dir', pdir, '--listen', '/ip4/127.0.0.1/tcp/0', '--api-port', '0', '--bootstrap', info.bootstrap[0]], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  let stdout = ''
  child.stdout.on('data', x => { stdout += String(x) })
  child.stderr.on('data', x => { stderr += String(x) })
  const t = setTimeout(() => child.kill('SIGKILL'), 30_000)
  const code = await new Promise<number | null>(resolve => child.once('close', resolve))
  clearTimeout(t)
  assert.is(code, 1, `exit code (killed if it hung):\n${stderr}`)
  const errors = stderr.split('\n').filter(l => l.startsWith('dcn: '))
  assert.is(errors.length, 1, stderr)
  assert.match(errors[0], new RegExp(`provider wallet ${id.wallet.address} holds 0 SPON; it needs 100 more to stake the minimum 100`))
  assert.not.match(stderr, /^\s+at /m, 'no stack trace')
  assert.not.match(stderr, /internal error/)
  assert.is(stdout, '')
  assert.is(await stakeOf(c, d, id.wallet.address), 0n)
})

test('a validly signed bid from a wallet that is not a registered, staked provider is rejected by the matcher', async () => {
  devnetUp()
  rogue = await createHost({ privateKey: await generateKeyPair('Ed25519'), listen: ['/ip4/127.0.0.1/tcp/0'] })
  rogue.services.pubsub.subscribe(TOPICS.bids)
  await connectRogue(rogue)
  const orderId = `0x${randomBytes(32).toString('hex')}` as const
  const bidFrom = (wallet: LocalAccount, peerId: string): Bid => {
    const now = Date.now()
    const r = { cpu: 8000, memory: 2 ** 34, storage: 2 ** 37, gpuUnits: 0, gpuModel: '' }
    return {
      orderId, bidder: wallet.address.toLowerCase() as Address, peerId, fizzId: '', pricePerSecond: 1n, region: 'eu-west', tier: 1,
      token: d.spon, available: r, capacity: r, createdMs: now, expiry: Math.floor(now / 1000) + 60
    }
  }
  const snap = async (): Promise<{ accepted: number, rejected: number, notRegistered: number }> => {
    const m = await metrics(matcher)
    return {
      accepted: counter(m, 'dcn_gossip_messages_total', { topic: TOPICS.bids, result: 'accept' }),
      rejected: counter(m, 'dcn_gossip_messages_total', { topic: TOPICS.bids, result: 'reject' }),
      notRegistered: counter(m, 'dcn_messages_rejected_total', { topic: TOPICS.bids, reason: 'sender not registered' })
    }
  }
  const publish = async (wallet: LocalAccount, peerId: string): Promise<void> => {
    const sent = await rogue!.services.pubsub.publish(TOPICS.bids, encode(await sign(wallet, info.chainId, 'bid', bidFrom(wallet, peerId))))
    assert.ok(sent.recipients.map(String).includes(matcher.peerId), 'sent to the matcher')
  }

  // Control: the same bid signed by a registered, staked devnet provider passes every check.
  const s0 = await snap()
  const provider = info.nodes.find(n => n.role === 'provider')!
  await publish((await loadIdentity(provider.dataDir)).wallet, provider.peerId)
  await waitFor(async () => (await snap()).accepted === s0.accepted + 1, 5000, 'the control bid accepted')

  // A fresh wallet nobody registered.
  const s1 = await snap()
  const stranger = privateKeyToAccount(generatePrivateKey())
  await publish(stranger, rogue.peerId.toString())
  await waitFor(async () => (await snap()).notRegistered === s1.notRegistered + 1, 5000, 'the stranger\'s bid rejected as "sender not registered"')

  // The provider from the previous test: registered, but without the minimum stake.
  const unstaked = await loadIdentity(join(dir, 'extra-provider'))
  const s2 = await snap()
  await publish(unstaked.wallet, unstaked.peerId)
  await waitFor(async () => (await snap()).notRegistered === s2.notRegistered + 1, 5000, 'the unstaked provider\'s bid rejected as "sender not registered"')

  const end = await snap()
  assert.is(end.accepted, s0.accepted + 1, 'only the control was accepted')
  assert.is(end.rejected, s0.rejected + 2, 'both bids rejected')
  await rogue.stop()
  rogue = undefined
})

test('SIGINT stops the devnet: exit 0, devnet.json removed, no node or anvil process left', async () => {
  devnetUp()
  const port = new URL(info.chain.rpcUrl).port
  assert.ok(processesUsing(dir).length >= 4, 'the nodes are running before')
  assert.is(processesUsing(`--port ${port} `).filter(l => /anvil/.test(l)).length, 1, 'anvil is running before')
  devnet.kill('SIGINT')
  const t = setTimeout(() => devnet.kill('SIGKILL'), 20_000)
  const code = await exited
  clearTimeout(t)
  assert.is(code, 0, out)
  assert.not.ok(existsSync(file), 'devnet.json is removed')
  assert.equal(processesUsing(dir), [], 'no process with the data dir in its command line is left')
  assert.equal(processesUsing(`--port ${port} `).filter(l => /anvil/.test(l)), [], 'anvil is stopped')
  await rpc('eth_chainId', []).then(() => { assert.unreachable('the chain RPC still answers') }, (err: Error) => { assert.not.match(err.message, /^eth_chainId:/) })
  assert.match(out, /stopping reason=SIGINT/)
  // The devnet's own record of the run is still readable afterwards.
  assert.ok(readFileSync(deploymentFile, 'utf8').includes(d.leases))
})

test.run()
