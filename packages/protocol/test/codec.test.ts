import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import {
  MAX_MESSAGE_BYTES, decode, encode, sign, toJson,
  type Decoded, type MessageBodies, type MessageKind, type SignedMessage
} from '../src/index.js'
import {
  CHAIN_ID, asJson, bytes, fromJson, makeBid, makeEraVote, makeHeartbeat, makeReveal, makeVote, makeMatch, makeNoMatch, makeOrder, prng, randomBytes
} from './fixtures.js'

const account = privateKeyToAccount(generatePrivateKey())
const me = account.address

const bodies: { [K in MessageKind]: MessageBodies[K] } = {
  order: makeOrder(me),
  bid: makeBid(me),
  match: makeMatch(me),
  'no-match': makeNoMatch(me),
  heartbeat: makeHeartbeat(me),
  'challenge-reveal': makeReveal(me),
  'challenge-vote': makeVote(me),
  'era-vote': makeEraVote(me)
}
const kinds = Object.keys(bodies) as MessageKind[]
const signed = {} as Record<MessageKind, SignedMessage>
for (const k of kinds) signed[k] = await sign(account, CHAIN_ID, k, bodies[k] as never)
const validOrder = encode(signed.order)

function rejected (d: Decoded, pattern: RegExp | string): void {
  assert.is(d.ok, false, 'expected decode to fail')
  if (d.ok) return
  assert.type(d.reason, 'string')
  if (typeof pattern === 'string') assert.ok(d.reason.includes(pattern), `reason "${d.reason}" should contain "${pattern}"`)
  else assert.match(d.reason, pattern)
}

/** The valid order envelope with one change made to its JSON. */
function mutated (change: (env: Record<string, any>) => void): Uint8Array {
  const env = asJson(validOrder)
  change(env)
  return fromJson(env)
}

for (const kind of kinds) {
  test(`round trip: ${kind}`, () => {
    const data = encode(signed[kind])
    assert.instance(data, Uint8Array)
    const d = decode(data)
    assert.ok(d.ok, d.ok ? '' : d.reason)
    if (!d.ok) return
    assert.equal(d.msg, signed[kind])
    assert.is(d.msg.type, kind)
    // decoding and re-encoding is byte-for-byte stable
    assert.equal(encode(d.msg), data)
  })
}

test('envelope shape: v, type, body, sig and nothing else', () => {
  const env = asJson(validOrder)
  assert.equal(Object.keys(env).sort(), ['body', 'sig', 'type', 'v'])
  assert.is(env.v, 1)
  assert.is(env.type, 'order')
  assert.match(env.sig, /^0x[0-9a-f]{130}$/)
})

test('bigints travel as decimal strings and come back as exact bigints', () => {
  const env = asJson(encode(signed.match))
  assert.is(env.body.pricePerSecond, '123456789012345678901234567890')
  const hb = asJson(encode(signed.heartbeat))
  assert.equal(hb.body.prices, { cpu: '10', memory: (2n ** 200n).toString(), storage: '0', gpu: '99999999999999999999' })
  const order = asJson(validOrder)
  assert.is(order.body.maxPricePerSecond, '1000000000000')
  assert.is(order.body.nonce, '7')

  const d = decode(encode(signed.heartbeat))
  assert.ok(d.ok)
  if (!d.ok || d.msg.type !== 'heartbeat') return
  assert.is(d.msg.body.prices.memory, 2n ** 200n)
  assert.is(typeof d.msg.body.prices.gpu, 'bigint')
  assert.is(toJson({ a: 2n ** 255n }), `{"a":"${(2n ** 255n).toString()}"}`)
})

test('uint256 boundaries: 2^256-1 decodes, 2^256 overflows', () => {
  const max = (2n ** 256n - 1n).toString()
  const d = decode(mutated(e => { e.body.nonce = max }))
  assert.ok(d.ok, d.ok ? '' : d.reason)
  if (d.ok && d.msg.type === 'order') assert.is(d.msg.body.nonce, 2n ** 256n - 1n)
  rejected(decode(mutated(e => { e.body.nonce = (2n ** 256n).toString() })), 'body.nonce: does not fit in uint256')
  rejected(decode(mutated(e => { e.body.maxPricePerSecond = (2n ** 300n).toString() })), 'body.maxPricePerSecond')
  rejected(decode(mutated(e => { e.body.nonce = '1' + '0'.repeat(100) })), 'body.nonce')
  rejected(decode(mutated(e => { e.body.maxPricePerSecond = '0' })), 'body.maxPricePerSecond: must be greater than zero')
  for (const bad of ['-1', '01', '1.5', '1e3', ' 1', '0x10', '']) {
    rejected(decode(mutated(e => { e.body.nonce = bad })), 'body.nonce: expected a decimal integer string')
  }
})

test('decode: non-UTF-8 bytes', () => {
  rejected(decode(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d])), 'not UTF-8 JSON')
  // a valid envelope with one invalid byte inside a string
  const data = new Uint8Array(validOrder)
  const at = new TextDecoder().decode(data).indexOf('eu-west')
  data[at] = 0xc3 // lone lead byte of a two-byte sequence
  data[at + 1] = 0x28
  rejected(decode(data), 'not UTF-8 JSON')
})

test('decode: not JSON', () => {
  for (const s of ['', 'hello', '{', '{"v":1,', "{'v':1}", 'undefined', 'NaN', '{"v":1}}']) {
    rejected(decode(bytes(s)), 'not UTF-8 JSON')
  }
})

test('decode: arrays, null and scalars are not envelopes', () => {
  for (const s of ['[]', '[1,2]', 'null', '42', '"order"', 'true']) {
    rejected(decode(bytes(s)), 'envelope: expected an object')
  }
})

test('decode: wrong version', () => {
  for (const v of [0, 2, '1', null, 1.5]) rejected(decode(mutated(e => { e.v = v })), 'envelope: unsupported version')
  rejected(decode(mutated(e => { delete e.v })), 'envelope: unsupported version')
})

test('decode: unknown type', () => {
  for (const t of ['lease', 'Order', '', 'toString', 'constructor', '__proto__', 7, null]) {
    rejected(decode(mutated(e => { e.type = t })), 'envelope: unknown type')
  }
  rejected(decode(mutated(e => { delete e.type })), 'envelope: unknown type')
})

test('decode: unknown envelope field', () => {
  rejected(decode(mutated(e => { e.extra = 1 })), 'envelope: unknown field extra')
  rejected(decode(bytes(new TextDecoder().decode(validOrder).replace(/^\{/, '{"__proto__":{},'))), 'envelope: unknown field __proto__')
})

test('decode: unknown body field, also nested', () => {
  rejected(decode(mutated(e => { e.body.extra = 'x' })), 'schema: body.extra: unknown field')
  rejected(decode(mutated(e => { e.body.resources.ram = 1 })), 'schema: body.resources.ram: unknown field')
})

test('decode: a missing field is named', () => {
  for (const f of ['id', 'owner', 'region', 'maxPricePerSecond', 'manifestHash', 'createdMs', 'resources']) {
    rejected(decode(mutated(e => { delete e.body[f] })), `schema: body.${f}:`)
  }
  rejected(decode(mutated(e => { delete e.body.resources.gpuModel })), 'body.resources.gpuModel')
  rejected(decode(mutated(e => { delete e.sig })), 'schema: sig:')
  rejected(decode(mutated(e => { delete e.body })), 'schema: body: expected an object')
  rejected(decode(mutated(e => { e.body = [] })), 'schema: body: expected an object')
})

test('decode: wrong field types', () => {
  const cases: Array<[(e: Record<string, any>) => void, string]> = [
    [e => { e.body.resources.cpu = '1000' }, 'body.resources.cpu: expected an integer'],
    [e => { e.body.resources.cpu = 1.5 }, 'body.resources.cpu: expected an integer'],
    [e => { e.body.resources.cpu = -1 }, 'body.resources.cpu: must be between'],
    [e => { e.body.createdMs = 2 ** 53 }, 'body.createdMs: must be between'],
    [e => { e.body.maxPricePerSecond = 1000 }, 'body.maxPricePerSecond: expected a decimal integer string'],
    [e => { e.body.minTrustTier = 0 }, 'body.minTrustTier: must be between 1 and 7'],
    [e => { e.body.minTrustTier = 8 }, 'body.minTrustTier: must be between 1 and 7'],
    [e => { e.body.mode = 'cloud' }, 'body.mode: expected one of provider, fizz, any'],
    [e => { e.body.region = 5 }, 'body.region: expected a string'],
    [e => { e.body.region = 'eu west' }, 'body.region: does not match'],
    [e => { e.body.region = 'x'.repeat(65) }, 'body.region: must be at most 64 characters'],
    [e => { e.body.duration = 0 }, 'body.duration: must be between 1'],
    [e => { e.body.resources = null }, 'body.resources: expected an object'],
    [e => { e.body.owner = true }, 'body.owner: expected a 20-byte 0x address'],
    [e => { e.sig = 12 }, 'sig: expected 65 bytes as 0x-hex']
  ]
  for (const [change, reason] of cases) rejected(decode(mutated(change)), `schema: ${reason}`)
})

test('decode: wrong types in other kinds', () => {
  const hb = asJson(encode(signed.heartbeat))
  hb.body.tokens = ['0x1234']
  rejected(decode(fromJson(hb)), 'body.tokens[0]: expected a 20-byte 0x address')
  hb.body.tokens = Array(17).fill(hb.body.wallet)
  rejected(decode(fromJson(hb)), 'body.tokens: must have at most 16 items')
  hb.body.tokens = 'nope'
  rejected(decode(fromJson(hb)), 'body.tokens: expected a list')
  const bid = asJson(encode(signed.bid))
  bid.body.peerId = ''
  rejected(decode(fromJson(bid)), 'body.peerId: must not be empty')
  bid.body.peerId = '12D3Koo0' // 0 is not base58
  rejected(decode(fromJson(bid)), 'body.peerId: does not match')
  const nm = asJson(encode(signed['no-match']))
  nm.body.reason = 'cheaper elsewhere'
  rejected(decode(fromJson(nm)), 'body.reason: expected one of')
})

test('decode: bad hex lengths', () => {
  const h = (n: number): string => '0x' + 'ab'.repeat(n)
  rejected(decode(mutated(e => { e.body.id = h(31) })), 'body.id: expected 32 bytes as 0x-hex')
  rejected(decode(mutated(e => { e.body.id = h(33) })), 'body.id: expected 32 bytes as 0x-hex')
  rejected(decode(mutated(e => { e.body.id = e.body.id.slice(0, -1) })), 'body.id: expected 32 bytes')
  rejected(decode(mutated(e => { e.body.id = 'zz' + e.body.id.slice(2) })), 'body.id: expected 32 bytes')
  rejected(decode(mutated(e => { e.body.manifestHash = h(32).replace('ab', 'g0') })), 'body.manifestHash: expected 32 bytes')
  rejected(decode(mutated(e => { e.body.owner = h(19) })), 'body.owner: expected a 20-byte 0x address')
  rejected(decode(mutated(e => { e.body.token = h(21) })), 'body.token: expected a 20-byte 0x address')
  rejected(decode(mutated(e => { e.sig = h(64) })), 'sig: expected 65 bytes as 0x-hex')
  rejected(decode(mutated(e => { e.sig = h(66) })), 'sig: expected 65 bytes as 0x-hex')
  rejected(decode(mutated(e => { e.sig = e.sig.slice(2) })), 'sig: expected 65 bytes as 0x-hex')
})

test('decode normalises hex to lower case', () => {
  const d = decode(mutated(e => { e.body.owner = e.body.owner.toUpperCase().replace('0X', '0x'); e.sig = e.sig.toUpperCase().replace('0X', '0x') }))
  assert.ok(d.ok, d.ok ? '' : d.reason)
  if (!d.ok) return
  assert.equal(d.msg, signed.order)
})

test('decode: oversized payloads are refused before parsing', () => {
  const text = new TextDecoder().decode(validOrder)
  // exactly at the limit (whitespace padding is valid JSON) still decodes
  const atLimit = bytes(text + ' '.repeat(MAX_MESSAGE_BYTES - validOrder.length))
  assert.is(atLimit.length, MAX_MESSAGE_BYTES)
  assert.ok(decode(atLimit).ok)
  const over = bytes(text + ' '.repeat(MAX_MESSAGE_BYTES - validOrder.length + 1))
  assert.is(over.length, MAX_MESSAGE_BYTES + 1)
  rejected(decode(over), 'oversized')
  rejected(decode(new Uint8Array(1 << 20)), 'oversized')
})

test('encode refuses a message over 64 KiB', () => {
  const huge = { ...signed['no-match'], body: { ...signed['no-match'].body, detail: 'x'.repeat(MAX_MESSAGE_BYTES) } } as SignedMessage
  assert.throws(() => encode(huge), /over the 65536-byte limit/)
})

test('fuzz: random byte strings never throw and never decode', () => {
  const rand = prng(1)
  for (let i = 0; i < 3000; i++) {
    const n = Math.floor(rand() * (i % 10 === 0 ? 2000 : 200))
    const d = decode(randomBytes(rand, n))
    assert.is(d.ok, false)
    if (!d.ok) assert.ok(d.reason.length > 0)
  }
  // random JSON-looking text, some of it valid JSON
  const alphabet = '{}[]":,0123456789 abtrufenlsxv.-\\'
  for (let i = 0; i < 2000; i++) {
    let s = ''
    const n = Math.floor(rand() * 60)
    for (let j = 0; j < n; j++) s += alphabet[Math.floor(rand() * alphabet.length)]
    const d = decode(bytes(s))
    assert.is(d.ok, false)
  }
})

test('fuzz: byte-level mutations of a valid message never throw', () => {
  const rand = prng(2)
  let decodedOk = 0
  for (let i = 0; i < 3000; i++) {
    const src = encode(signed[kinds[i % kinds.length]])
    let data = new Uint8Array(src)
    const op = Math.floor(rand() * 5)
    const at = Math.floor(rand() * data.length)
    if (op === 0) data[at] = Math.floor(rand() * 256)
    else if (op === 1) data[at] ^= 1 << Math.floor(rand() * 8)
    else if (op === 2) data = data.slice(0, at)
    else if (op === 3) data = new Uint8Array([...data.slice(0, at), ...randomBytes(rand, 1 + Math.floor(rand() * 8)), ...data.slice(at)])
    else data = new Uint8Array([...data.slice(0, at), ...data.slice(at + 1 + Math.floor(rand() * 8))])
    let d: Decoded
    try {
      d = decode(data)
    } catch (err) {
      assert.unreachable(`decode threw on mutation ${i}: ${String(err)}`)
      return
    }
    if (d.ok) {
      decodedOk++
      // whatever decodes is canonical: it re-encodes and decodes to the same message
      const again = decode(encode(d.msg))
      assert.ok(again.ok)
      if (again.ok) assert.equal(again.msg, d.msg)
    } else {
      assert.ok(d.reason.length > 0)
    }
  }
  assert.ok(decodedOk < 3000)
})

test('fuzz: structural mutations of a valid message never throw', () => {
  const rand = prng(3)
  const weird: unknown[] = [null, true, false, 0, -1, 1.5, 2 ** 64, '', 'x', '0x', '0x00', '-0', '1e9', [], [1], {}, { a: 1 },
    '9'.repeat(78), (2n ** 256n).toString(), '\u0000', '\ud800']
  const leaves = (v: any, path: Array<string | number> = []): Array<Array<string | number>> =>
    typeof v === 'object' && v !== null
      ? [path, ...Object.keys(v).flatMap(k => leaves(v[k], [...path, Array.isArray(v) ? Number(k) : k]))]
      : [path]
  for (let i = 0; i < 3000; i++) {
    const env = asJson(encode(signed[kinds[i % kinds.length]]))
    const all = leaves(env).filter(p => p.length > 0)
    const path = all[Math.floor(rand() * all.length)]
    let parent: any = env
    for (const k of path.slice(0, -1)) parent = parent[k]
    const last = path[path.length - 1]
    const op = rand()
    if (op < 0.2 && !Array.isArray(parent)) delete parent[last]
    else if (op < 0.3 && !Array.isArray(parent)) parent['k' + Math.floor(rand() * 100)] = weird[Math.floor(rand() * weird.length)]
    else parent[last] = weird[Math.floor(rand() * weird.length)]
    let d: Decoded
    try {
      d = decode(fromJson(env))
    } catch (err) {
      assert.unreachable(`decode threw on ${JSON.stringify(path)}: ${String(err)}`)
      return
    }
    if (!d.ok) assert.ok(d.reason.length > 0)
  }
})

test.run()
