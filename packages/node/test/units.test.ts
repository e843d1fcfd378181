/**
 * Unit tests without a network: the provider's capacity ledger and pricing, config loading and
 * its user errors, the matcher's provider directory, and how clients find the network.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { existsSync, mkdtempSync, writeFileSync, rmSync, mkdirSync } from 'node:fs'
import { cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  decodeAttributes, DEVNET_CHAIN_ID, DEVNET_TOKENS, GiB, perHourToPerSecond, parseAmount, scalePrice,
  type Address, type Heartbeat, type Hex, type Order, type Resources, type UnitPrices
} from '@dcn/protocol'
import { CapacityLedger } from '../src/roles/provider/capacity.js'
import { priceOrder, runPriceScript } from '../src/roles/provider/pricing.js'
import { loadConfig, registryAttributes, type Flags } from '../src/config.js'
import { UserError } from '../src/errors.js'
import { ProviderDirectory } from '../src/roles/matcher/directory.js'
import { resolveNetwork } from '../src/client/network.js'
import { encodeSlarkAttributes, slarkChoicesOf } from '../src/roles/slark/era.js'

const tmp = mkdtempSync(join(tmpdir(), 'dcn-units-'))
test.after(() => { rmSync(tmp, { recursive: true, force: true }) })

let fileSeq = 0
function file (text: string, mode = 0o644, name = `f${++fileSeq}`): string {
  const p = join(tmp, name)
  writeFileSync(p, text, { mode })
  return p
}

const res = (cpu: number, memGiB: number, storageGiB = 0, gpuUnits = 0, gpuModel = ''): Resources =>
  ({ cpu, memory: memGiB * GiB, storage: storageGiB * GiB, gpuUnits, gpuModel })

const id = (n: number): Hex => `0x${n.toString(16).padStart(64, '0')}`

function order (over: Partial<Order> = {}): Order {
  return {
    id: id(1),
    owner: '0x1111111111111111111111111111111111111111',
    resources: res(1000, 1, 1),
    region: '',
    minTrustTier: 7,
    mode: 'any',
    token: DEVNET_TOKENS.SPON,
    maxPricePerSecond: 123456789012345n,
    duration: 4242,
    bidDeadlineMs: Date.now() + 2000,
    refBlock: 0,
    nonce: 1n,
    createdMs: Date.now(),
    expiry: Math.floor(Date.now() / 1000) + 600,
    manifestHash: id(2),
    ...over
  }
}

/** Runs `fn` and returns the UserError it throws (fails the test for anything else). */
function userError (fn: () => unknown): UserError {
  try {
    fn()
  } catch (err) {
    assert.instance(err, UserError, `expected a UserError, got ${String(err)}`)
    const e = err as UserError
    assert.not.match(e.message, /\n/, 'the message is one line')
    assert.ok(e.message.length > 0)
    return e
  }
  assert.unreachable('expected a UserError')
  throw new Error('unreachable')
}

// ---------------------------------------------------------------- CapacityLedger

test('ledger: reserve takes capacity, release gives it back', () => {
  const l = new CapacityLedger(res(4000, 8, 100))
  assert.equal(l.available(), res(4000, 8, 100))
  assert.ok(l.reserve(id(1), res(1500, 2, 10)))
  assert.ok(l.has(id(1)))
  assert.is(l.size, 1)
  assert.equal(l.available(), res(2500, 6, 90))
  assert.ok(l.reserve(id(2), res(500, 1, 0)))
  assert.equal(l.available(), res(2000, 5, 90))
  assert.ok(l.release(id(1)))
  assert.not.ok(l.has(id(1)))
  assert.not.ok(l.release(id(1)), 'a second release of the same order is a no-op')
  assert.equal(l.available(), res(3500, 7, 100))
  assert.ok(l.release(id(2)))
  assert.equal(l.available(), res(4000, 8, 100))
  assert.is(l.size, 0)
  assert.equal(l.capacity, res(4000, 8, 100), 'registered capacity never changes')
})

test('ledger: refuses to overbook, per resource, and the same order twice', () => {
  const l = new CapacityLedger(res(4000, 8, 100, 1, 'a100'))
  assert.ok(l.reserve(id(1), res(3000, 4, 10)))
  assert.not.ok(l.reserve(id(2), res(1001, 1, 0)), 'cpu overbooked')
  assert.not.ok(l.reserve(id(3), res(500, 5, 0)), 'memory overbooked')
  assert.not.ok(l.reserve(id(4), res(500, 1, 91)), 'storage overbooked')
  assert.not.ok(l.reserve(id(5), res(500, 1, 0, 2)), 'gpu overbooked')
  assert.not.ok(l.reserve(id(1), res(1, 0, 0)), 'an order holds one reservation')
  assert.equal(l.available(), res(1000, 4, 90, 1, 'a100'), 'failed reservations hold nothing')
  assert.ok(l.reserve(id(6), res(1000, 4, 90, 1)), 'exactly what is left fits')
  assert.not.ok(l.reserve(id(7), res(1, 0, 0)), 'nothing left')
  assert.is(l.size, 2)
})

test('ledger: a GPU of another model does not fit; any model does', () => {
  const l = new CapacityLedger(res(4000, 8, 100, 2, 'a100'))
  assert.not.ok(l.reserve(id(1), res(1000, 1, 0, 1, 'h100')))
  assert.is(l.size, 0)
  assert.ok(l.reserve(id(2), res(1000, 1, 0, 1, 'a100')))
  assert.ok(l.reserve(id(3), res(1000, 1, 0, 1, '')), 'empty model = any')
  assert.is(l.available().gpuUnits, 0)
  const none = new CapacityLedger(res(4000, 8, 100))
  assert.not.ok(none.reserve(id(4), res(1000, 1, 0, 1)), 'no GPU at all')
})

// ---------------------------------------------------------------- pricing

test('price script: prints a price', async () => {
  const s = file('#!/bin/sh\ncat >/dev/null\necho 1234\n', 0o755)
  assert.equal(await runPriceScript(s, order(), 5000), { ok: true, price: 1234n })
})

test('price script: gets the order as JSON on stdin', async () => {
  // Echo the order's duration and max price back, proving the script read the order.
  const s = file(`#!/bin/sh
in=$(cat)
d=$(printf '%s' "$in" | grep -o '"duration":[0-9]*' | grep -o '[0-9]*$')
m=$(printf '%s' "$in" | grep -o '"maxPricePerSecond":"[0-9]*"' | grep -o '[0-9][0-9]*')
echo "$d$m"
`, 0o755)
  const r = await runPriceScript(s, order({ duration: 4242, maxPricePerSecond: 777n }), 5000)
  assert.equal(r, { ok: true, price: 4242777n })
  const r2 = await priceOrder({ strategy: 'script', script: s, timeoutMs: 5000 }, order({ duration: 17, maxPricePerSecond: 5n }))
  assert.equal(r2, { ok: true, price: 175n }, 'priceOrder runs the script strategy')
})

test('price script: a script that hangs is killed after the timeout', async () => {
  const marker = join(tmp, 'still-running')
  const s = file(`#!/bin/sh\nsleep 1\ntouch ${marker}\necho 5\n`, 0o755)
  const t0 = Date.now()
  const r = await runPriceScript(s, order(), 300)
  const took = Date.now() - t0
  assert.is(r.ok, false)
  assert.match((r as { reason: string }).reason, /timed out after 300 ms/)
  assert.ok(took >= 250 && took < 900, `took ${took} ms`)
  await new Promise(resolve => setTimeout(resolve, 1500))
  assert.not.ok(existsSync(marker), 'the script (and its children) were killed, not left running')
})

test('price script: a stopping node kills its running script at once', async () => {
  const marker = join(tmp, 'outlived-stop')
  const s = file(`#!/bin/sh\nsleep 1\ntouch ${marker}\necho 5\n`, 0o755)
  const stop = new AbortController()
  setTimeout(() => { stop.abort() }, 100)
  const t0 = Date.now()
  const r = await runPriceScript(s, order(), 5000, stop.signal)
  assert.equal(r, { ok: false, reason: 'node stopping' })
  assert.ok(Date.now() - t0 < 900)
  await new Promise(resolve => setTimeout(resolve, 1500))
  assert.not.ok(existsSync(marker), 'the script was killed when the node stopped')
})

test('price script: a non-zero exit means no price, with the first stderr line', async () => {
  const s = file('#!/bin/sh\necho "no capacity for you" >&2\necho "second line" >&2\necho 99\nexit 3\n', 0o755)
  const r = await runPriceScript(s, order(), 5000)
  assert.is(r.ok, false)
  const reason = (r as { reason: string }).reason
  assert.match(reason, /exited with 3/)
  assert.match(reason, /no capacity for you/)
  assert.not.match(reason, /second line/)
})

test('price script: garbage, zero, negative, decimal and empty output are refused', async () => {
  for (const out of ['lots', '0', '-5', '1.5', '', '12 13', '0x10']) {
    const s = file(`#!/bin/sh\ncat >/dev/null\nprintf '%s\\n' '${out}'\n`, 0o755)
    const r = await runPriceScript(s, order(), 5000)
    assert.is(r.ok, false, `output "${out}" is not a price`)
    assert.match((r as { reason: string }).reason, /expected a positive integer price per second/)
  }
})

test('price script: a missing or non-executable script means no price', async () => {
  const missing = await runPriceScript(join(tmp, 'does-not-exist.sh'), order(), 5000)
  assert.is(missing.ok, false)
  assert.match((missing as { reason: string }).reason, /ENOENT/)
  const notExec = await runPriceScript(file('#!/bin/sh\necho 5\n', 0o644), order(), 5000)
  assert.is(notExec.ok, false)
  assert.match((notExec as { reason: string }).reason, /EACCES/)
})

test('priceOrder: the scale strategy is scalePrice of the order\'s resources', async () => {
  const prices: UnitPrices = {
    cpu: perHourToPerSecond(parseAmount('0.1')),
    memory: perHourToPerSecond(parseAmount('0.02')),
    storage: perHourToPerSecond(parseAmount('0.001')),
    gpu: perHourToPerSecond(parseAmount('1'))
  }
  for (const r of [res(1000, 1, 1), res(2500, 3, 50, 2, 'a100'), res(1, 0, 0)]) {
    const o = order({ resources: r })
    const got = await priceOrder({ strategy: 'scale', prices }, o)
    assert.equal(got, { ok: true, price: scalePrice(prices, r) })
  }
  // And the numbers are what the per-unit prices say: 2 cores + 4 GiB = 0.2 + 0.08 per hour.
  const got = await priceOrder({ strategy: 'scale', prices }, order({ resources: res(2000, 4, 0) }))
  assert.equal(got, { ok: true, price: 2n * prices.cpu + 4n * prices.memory })
})

// ---------------------------------------------------------------- config

const flags = (over: Partial<Flags> = {}): Flags => ({ dataDir: join(tmp, 'data'), ...over })

test('config: defaults', () => {
  const c = loadConfig(flags({ role: 'provider' }))
  assert.is(c.role, 'provider')
  assert.is(c.dataDir, join(tmp, 'data'))
  assert.equal(c.listen, ['/ip4/0.0.0.0/tcp/0'])
  assert.equal(c.bootstrap, [])
  assert.equal(c.announce, [])
  assert.is(c.gateway, undefined)
  assert.is(c.chain, undefined)
  assert.is(c.apiPort, undefined)
  assert.is(c.apiHost, '127.0.0.1')
  assert.is(c.chainId, DEVNET_CHAIN_ID)
  assert.equal(c.tokens, { ...DEVNET_TOKENS })
  assert.is(c.heartbeatMs, 10_000)
  assert.is(c.provider.region, '')
  assert.is(c.provider.tier, 7)
  assert.is(c.provider.capacity.cpu, cpus().length * 1000)
  assert.is(c.provider.capacity.storage, 100 * GiB)
  assert.is(c.provider.capacity.gpuUnits, 0)
  assert.equal(c.provider.tokens, [DEVNET_TOKENS.SPON])
  assert.equal(c.provider.pricing, {
    strategy: 'scale',
    prices: {
      cpu: perHourToPerSecond(parseAmount('0.1')),
      memory: perHourToPerSecond(parseAmount('0.02')),
      storage: perHourToPerSecond(parseAmount('0.001')),
      gpu: perHourToPerSecond(parseAmount('1'))
    }
  })
  assert.is(c.provider.matchTimeoutMs, 15_000)
  assert.is(c.provider.leaseWindowMs, 120_000)
  // The default grace is tuned elsewhere; it must be a short positive wait, well under a bid window.
  assert.ok(c.matcher.graceMs > 0 && c.matcher.graceMs <= 1000, `grace ${c.matcher.graceMs} ms`)
  assert.equal(loadConfig(flags({ role: 'fizz' })).listen, [], 'a fizz node dials out only')
})

test('config: a full YAML file, overlaid by flags', () => {
  const peer = '12D3KooWRBhwfeP2Y4TCx1SM6s9rUoHhR5STiGwxBhgFRcw3UERE'
  const dir = join(tmp, 'cfgdir')
  mkdirSync(dir, { recursive: true })
  const cfg = join(dir, 'node.yaml')
  const a = (n: number): string => `0x${n.toString(16).padStart(40, '0')}`
  writeFileSync(join(dir, 'deployment.json'), JSON.stringify({
    chainId: 1337, foundation: a(1), spon: a(2), registry: a(3), staking: a(4), escrow: a(5), leases: a(6), challenges: a(7), rewards: a(8), tokens: { SPON: a(2) }, startBlock: 1
  }))
  writeFileSync(cfg, `
role: provider
listen: [/ip4/0.0.0.0/tcp/4001]
announce: [/dns4/provider.example.com/tcp/4001]
bootstrap: [/ip4/203.0.113.7/tcp/4001/p2p/${peer}]
gateway: /ip4/203.0.113.8/tcp/4001/p2p/${peer}
rpc: http://127.0.0.1:8545
deployment: deployment.json
apiPort: 8080
apiHost: 0.0.0.0
chainId: 1337
tokens: { USDX: "0xAbCdEf0000000000000000000000000000000001" }
heartbeat: 2s
provider:
  region: eu-west
  tier: 3
  capacity: { cpu: 8, memory: 16Gi, storage: 200Gi, gpu: { units: 1, model: a100 } }
  tokens: [SPON, USDX]
  pricing: { strategy: script, script: ./price.sh, timeout: 1500ms }
  matchTimeout: 5s
  leaseWindow: 1m
matcher: { grace: 100ms }
`)
  const c = loadConfig(flags({ config: cfg }))
  assert.is(c.role, 'provider')
  assert.equal(c.listen, ['/ip4/0.0.0.0/tcp/4001'])
  assert.equal(c.announce, ['/dns4/provider.example.com/tcp/4001'])
  assert.equal(c.bootstrap, [`/ip4/203.0.113.7/tcp/4001/p2p/${peer}`])
  assert.is(c.gateway, `/ip4/203.0.113.8/tcp/4001/p2p/${peer}`)
  assert.is(c.chain?.rpcUrl, 'http://127.0.0.1:8545')
  assert.is(c.chain?.deployment.leases, a(6))
  assert.is(c.apiPort, 8080)
  assert.is(c.apiHost, '0.0.0.0')
  assert.is(c.chainId, 1337)
  assert.is(c.tokens.USDX, '0xabcdef0000000000000000000000000000000001')
  assert.is(c.tokens.SPON, DEVNET_TOKENS.SPON)
  assert.is(c.heartbeatMs, 2000)
  assert.is(c.provider.region, 'eu-west')
  assert.is(c.provider.tier, 3)
  assert.equal(c.provider.capacity, { cpu: 8000, memory: 16 * GiB, storage: 200 * GiB, gpuUnits: 1, gpuModel: 'a100' })
  assert.equal(c.provider.tokens, [DEVNET_TOKENS.SPON, '0xabcdef0000000000000000000000000000000001'])
  assert.equal(c.provider.pricing, { strategy: 'script', script: join(dir, 'price.sh'), timeoutMs: 1500 }, 'the script path is relative to the config file')
  assert.is(c.provider.matchTimeoutMs, 5000)
  assert.is(c.provider.leaseWindowMs, 60_000)
  assert.is(c.matcher.graceMs, 100)

  // Flags win over the file.
  const o = loadConfig(flags({ config: cfg, role: 'matcher', listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap: [], apiPort: '0' }))
  assert.is(o.role, 'matcher')
  assert.equal(o.listen, ['/ip4/127.0.0.1/tcp/0'])
  assert.equal(o.bootstrap, [])
  assert.is(o.apiPort, 0)

  // JSON is YAML too; an empty file is an empty config.
  assert.is(loadConfig(flags({ config: file('{"role": "slark", "apiPort": 9000}') })).apiPort, 9000)
  assert.is(loadConfig(flags({ config: file(''), role: 'gateway' })).role, 'gateway')
})

test('config: unknown and missing role', () => {
  const unknown = userError(() => loadConfig(flags({ role: 'bogus' })))
  assert.match(unknown.message, /unknown role "bogus"/)
  assert.match(unknown.message, /provider, fizz, gateway, slark, matcher/)
  assert.is(unknown.exitCode, 2)
  const inFile = userError(() => loadConfig(flags({ config: file('role: miner\n') })))
  assert.match(inFile.message, /unknown role "miner"/)
  const missing = userError(() => loadConfig(flags()))
  assert.match(missing.message, /missing --role/)
  const missingInFile = userError(() => loadConfig(flags({ config: file('apiPort: 1234\n') })))
  assert.match(missingInFile.message, /missing --role/)
})

test('config: bad multiaddrs in --listen, --bootstrap, --gateway and the file', () => {
  assert.match(userError(() => loadConfig(flags({ role: 'matcher', listen: ['/ip4/x'] }))).message, /^--listen: invalid multiaddr "\/ip4\/x"$/)
  assert.match(userError(() => loadConfig(flags({ role: 'matcher', listen: ['/ip4/127.0.0.1/tcp/0', 'tcp://1.2.3.4:5'] }))).message, /--listen: invalid multiaddr "tcp:\/\/1.2.3.4:5"/)
  assert.match(userError(() => loadConfig(flags({ role: 'provider', bootstrap: ['/ip4/1.2.3.4/tcp/notaport'] }))).message, /--bootstrap: invalid multiaddr "\/ip4\/1.2.3.4\/tcp\/notaport"/)
  assert.match(userError(() => loadConfig(flags({ role: 'fizz', gateway: 'gateway.example.com:4001' }))).message, /--gateway: invalid multiaddr/)
  assert.match(userError(() => loadConfig(flags({ config: file('role: matcher\nbootstrap: [/ip6/zz]\n') }))).message, /invalid multiaddr "\/ip6\/zz"/)
  assert.match(userError(() => loadConfig(flags({ config: file('role: matcher\nannounce: [nope]\n') }))).message, /announce: invalid multiaddr "nope"/)
})

test('config: an unreadable file', () => {
  const missing = join(tmp, 'no-such-config.yaml')
  const e = userError(() => loadConfig(flags({ role: 'matcher', config: missing })))
  assert.match(e.message, /cannot read config/)
  assert.ok(e.message.includes(missing), e.message)
  assert.match(e.message, /ENOENT/)
  const dir = userError(() => loadConfig(flags({ role: 'matcher', config: tmp })))
  assert.match(dir.message, /cannot read config .*EISDIR/)
})

test('config: invalid YAML, and YAML that is not a mapping', () => {
  const bad = file('role: provider\nprovider: { region: eu-west\nlisten: [\n')
  const e = userError(() => loadConfig(flags({ config: bad })))
  assert.match(e.message, /is not valid YAML or JSON/)
  assert.ok(e.message.includes(bad))
  const list = file('- role: provider\n')
  assert.match(userError(() => loadConfig(flags({ config: list }))).message, /expected a mapping at the top/)
  const scalar = file('just a string\n')
  assert.match(userError(() => loadConfig(flags({ config: scalar }))).message, /expected a mapping at the top/)
})

test('config: unknown fields are named, at every level', () => {
  const top = file('role: provider\nlistn: [/ip4/0.0.0.0/tcp/1]\n')
  const e = userError(() => loadConfig(flags({ config: top })))
  assert.ok(e.message.startsWith(`${top}: listn: unknown field`), e.message)
  assert.match(e.message, /expected role, listen/)
  const nested = file('role: provider\nprovider:\n  capacity: { cpu: 2, ram: 4Gi }\n')
  assert.match(userError(() => loadConfig(flags({ config: nested }))).message, /provider\.capacity\.ram: unknown field/)
  const pricing = file('role: provider\nprovider:\n  pricing: { perHour: { cpu: 1, bandwidth: 2 } }\n')
  assert.match(userError(() => loadConfig(flags({ config: pricing }))).message, /provider\.pricing\.perHour\.bandwidth: unknown field/)
  const matcher = file('role: matcher\nmatcher: { gracePeriod: 1s }\n')
  assert.match(userError(() => loadConfig(flags({ config: matcher }))).message, /matcher\.gracePeriod: unknown field/)
})

test('config: bad field values name the field', () => {
  const cases: Array<[string, RegExp]> = [
    ['provider: { capacity: { cpu: lots } }', /provider\.capacity\.cpu: expected CPU units like 1, 0\.5 or 500m, got "lots"/],
    ['provider: { capacity: { cpu: 0 } }', /provider\.capacity\.cpu: CPU must be a positive/],
    ['provider: { capacity: { memory: 16 gigs } }', /provider\.capacity\.memory: expected a size/],
    ['provider: { tokens: [SPON, DOGE] }', /provider\.tokens\[1\]: unknown token "DOGE" \(known: SPON\)/],
    ['provider: { tier: 9 }', /provider\.tier: expected a whole number from 1 to 7/],
    ['provider: { pricing: { strategy: auction } }', /provider\.pricing\.strategy: expected scale or script/],
    ['provider: { pricing: { strategy: script } }', /provider\.pricing\.script: is required/],
    ['provider: { pricing: { perHour: { cpu: cheap } } }', /provider\.pricing\.perHour\.cpu: expected a decimal amount/],
    ['provider: { matchTimeout: soon }', /provider\.matchTimeout: expected a time/],
    ['tokens: { USDX: 0x12 }', /tokens\.USDX: expected a 0x address/],
    ['heartbeat: { every: 1 }', /heartbeat: expected a time/],
    ['provider: []', /provider: expected a mapping/],
    ['listen: /ip4/0.0.0.0/tcp/1', /listen: expected a list of strings/],
    ['chainId: 1.5', /chainId: expected a whole number/],
    ['provider: { attributes: { storage: tape } }', /provider\.attributes\.storage: expected one of hdd, ssd, nvme, got "tape"/],
    ['provider: { attributes: { compliance: [soc2, iso] } }', /provider\.attributes\.compliance\[1\]: expected one of soc2, hipaa, gdpr/],
    ['provider: { attributes: { speed: fast } }', /provider\.attributes\.speed: unknown field/]
  ]
  for (const [yaml, re] of cases) {
    const f = file(`role: provider\n${yaml}\n`)
    const e = userError(() => loadConfig(flags({ config: f })))
    assert.match(e.message, re, `${yaml} → ${e.message}`)
    assert.ok(e.message.startsWith(`${f}: `), `names the file: ${e.message}`)
  }
})

test('config: declared attributes go into the registry attributes after the capacity', () => {
  const f = file('role: provider\nprovider:\n  capacity: { cpu: 2, memory: 4Gi, storage: 10Gi }\n  attributes: { compute: general, storage: nvme, compliance: [gdpr, gdpr] }\n')
  const config = loadConfig(flags({ config: f }))
  assert.equal(config.provider.attributes, { compute: 'general', storage: 'nvme', compliance: ['gdpr'] })
  assert.equal(decodeAttributes(registryAttributes(config)), {
    capacity: { cpu: 2000, memory: 4 * 2 ** 30, storage: 10 * 2 ** 30, gpuUnits: 0 },
    declared: { compute: 'general', storage: 'nvme', compliance: ['gdpr'] }
  })
  assert.equal(loadConfig(flags({ role: 'provider' })).provider.attributes, {})
})

test('config: a slark\'s owner opts in to move up (default: not), and the tier seats every slark shares', () => {
  const d = loadConfig(flags({ role: 'slark' })).slark
  assert.is(d.optIn, false)
  assert.equal(d.tierSlots, [null, null, null, null, null, null])
  const c = loadConfig(flags({ config: file('role: slark\nslark: { optIn: true, tierSlots: [null, 100, 50, 20, 10, 5] }\n') })).slark
  assert.is(c.optIn, true)
  assert.equal(c.tierSlots, [null, 100, 50, 20, 10, 5])
  for (const [yaml, re] of [
    ['slark: { tierSlots: [1, 2] }', /slark\.tierSlots: expected 6 seat counts/],
    ['slark: { tierSlots: [null, null, -1, null, null, null] }', /slark\.tierSlots: expected 6 seat counts/],
    ['slark: { optIn: maybe }', /slark\.optIn/]
  ] as const) {
    assert.match(userError(() => loadConfig(flags({ config: file(`role: slark\n${yaml}\n`) }))).message, re, yaml)
  }
})

test('slark attributes: the chosen provider and the opt-in, read back; an older or empty encoding means itself, not opted in', () => {
  const me = '0x00000000000000000000000000000000000000aa' as Address
  const to = '0x00000000000000000000000000000000000000bb' as Address
  assert.equal(slarkChoicesOf(encodeSlarkAttributes(to, true), me), { delegateTo: to.toLowerCase(), optIn: true })
  assert.equal(slarkChoicesOf(encodeSlarkAttributes(to, false), me), { delegateTo: to.toLowerCase(), optIn: false })
  assert.equal(slarkChoicesOf(encodeSlarkAttributes('0x0000000000000000000000000000000000000000', true), me), { delegateTo: me, optIn: true })
  // the one-field encoding registered before the opt-in existed
  assert.equal(slarkChoicesOf(`0x${'0'.repeat(24)}${to.slice(2).toLowerCase()}` as Hex, me), { delegateTo: to.toLowerCase(), optIn: false })
  assert.equal(slarkChoicesOf('0x', me), { delegateTo: me, optIn: false })
})

test('config: the API port must be 0–65535', () => {
  for (const p of ['65536', '70000', '-1', 'http', '80.5']) {
    const e = userError(() => loadConfig(flags({ role: 'matcher', apiPort: p })))
    assert.match(e.message, /--api-port: expected a port number 0–65535/)
    assert.ok(e.message.includes(`"${p}"`), e.message)
  }
  assert.match(userError(() => loadConfig(flags({ config: file('role: matcher\napiPort: 99999\n') }))).message, /expected a port number/)
  assert.is(loadConfig(flags({ role: 'matcher', apiPort: '65535' })).apiPort, 65535)
})

// ---------------------------------------------------------------- ProviderDirectory

const SPON = DEVNET_TOKENS.SPON as Address
function heartbeat (n: number, over: Partial<Heartbeat> = {}): Heartbeat {
  return {
    wallet: `0x${n.toString(16).padStart(40, '0')}`,
    peerId: `peer-${n}`,
    role: 'provider',
    region: 'eu-west',
    tier: 3,
    capacity: res(8000, 16, 100),
    available: res(4000, 8, 50),
    tokens: [SPON],
    pricing: 'scale',
    prices: { cpu: 1000n, memory: 100n, storage: 10n, gpu: 100000n },
    subnet: [],
    seq: 1,
    createdMs: 0,
    expiry: 0,
    ...over
  }
}

test('directory: keeps providers and gateways heard from recently, newest heartbeat wins', () => {
  let now = 1_000_000
  const d = new ProviderDirectory(30_000, () => now)
  d.update(heartbeat(1, { seq: 5 }))
  d.update(heartbeat(2, { role: 'gateway', region: 'us-east' }))
  d.update(heartbeat(3, { role: 'matcher' }))
  d.update(heartbeat(4, { role: 'slark' }))
  assert.equal(d.fresh().map(h => h.peerId).sort(), ['peer-1', 'peer-2'], 'matchers and slarks are not providers')

  d.update(heartbeat(1, { seq: 4, region: 'stale' }))
  d.update(heartbeat(1, { seq: 5, region: 'replay' }))
  assert.is(d.fresh().find(h => h.peerId === 'peer-1')?.region, 'eu-west', 'older or equal seq is ignored')
  d.update(heartbeat(1, { seq: 6, region: 'ap-south' }))
  assert.is(d.fresh().find(h => h.peerId === 'peer-1')?.region, 'ap-south')

  now += 20_000
  d.update(heartbeat(2, { role: 'gateway', seq: 2 }))
  now += 10_001
  assert.equal(d.fresh().map(h => h.peerId), ['peer-2'], 'peer-1 was last heard 30.001 s ago')
  now += 20_000
  assert.equal(d.fresh(), [])
  d.update(heartbeat(1, { seq: 1 }))
  assert.equal(d.fresh().map(h => h.peerId), ['peer-1'], 'a forgotten provider is accepted again')
})

test('directory: offers carry mode, filters and a scale price for the order', () => {
  const d = new ProviderDirectory(30_000, () => 0)
  const prices = { cpu: 1000n, memory: 100n, storage: 10n, gpu: 100000n }
  d.update(heartbeat(1, { prices, tier: 2, region: 'us-east', available: res(1000, 2, 5) }))
  d.update(heartbeat(2, { role: 'gateway', pricing: 'script', prices: { cpu: 0n, memory: 0n, storage: 0n, gpu: 0n } }))
  const o = order({ resources: res(2000, 4, 10) })
  const offers = d.offers(o)
  assert.is(offers.length, 2)
  const p = offers.find(x => x.mode === 'provider')
  assert.ok(p !== undefined)
  assert.is(p.region, 'us-east')
  assert.is(p.tier, 2)
  assert.equal(p.tokens, [SPON])
  assert.equal(p.available, res(1000, 2, 5))
  assert.is(p.price, scalePrice(prices, o.resources))
  const g = offers.find(x => x.mode === 'fizz')
  assert.ok(g !== undefined, 'a gateway offers fizz capacity')
  assert.is(g.price, undefined, 'script prices are unknown until a bid')
})

// ---------------------------------------------------------------- resolveNetwork

test('network: without devnet.json, flags are needed', () => {
  const dir = mkdtempSync(join(tmp, 'net-'))
  const e = userError(() => resolveNetwork(dir, {}))
  assert.match(e.message, /no network to join/)
  assert.ok(e.message.includes(join(dir, 'devnet.json')), e.message)
  assert.match(e.message, /--bootstrap/)
  const boot = ['/ip4/127.0.0.1/tcp/4001/p2p/12D3KooWRBhwfeP2Y4TCx1SM6s9rUoHhR5STiGwxBhgFRcw3UERE']
  assert.equal(resolveNetwork(dir, { bootstrap: boot }), { chainId: DEVNET_CHAIN_ID, bootstrap: boot, tokens: { ...DEVNET_TOKENS } })
})

test('network: devnet.json gives bootstrap, chain and tokens; flags override its bootstrap', () => {
  const dir = mkdtempSync(join(tmp, 'net-'))
  const fromFile = ['/ip4/127.0.0.1/tcp/1111/p2p/12D3KooWRBhwfeP2Y4TCx1SM6s9rUoHhR5STiGwxBhgFRcw3UERE']
  const USDX = '0x000000000000000000000000000000000000beef'
  writeFileSync(join(dir, 'devnet.json'), JSON.stringify({ chainId: 777, bootstrap: fromFile, tokens: { USDX }, pid: 1, nodes: [] }))
  assert.equal(resolveNetwork(dir, {}), { chainId: 777, bootstrap: fromFile, tokens: { ...DEVNET_TOKENS, USDX } })
  const flag = ['/ip4/10.0.0.1/tcp/2222']
  assert.equal(resolveNetwork(dir, { bootstrap: flag }).bootstrap, flag)

  writeFileSync(join(dir, 'devnet.json'), JSON.stringify({ chainId: 777, bootstrap: [] }))
  assert.match(userError(() => resolveNetwork(dir, {})).message, /no network to join/)

  writeFileSync(join(dir, 'devnet.json'), '{ "bootstrap": [')
  const e = userError(() => resolveNetwork(dir, {}))
  assert.match(e.message, /cannot read .*devnet\.json/)
})

test.run()
