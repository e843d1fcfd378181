import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { hashTypedData } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { EIP712_TYPES, digest, domain, sign, typedData, walletFromKey, type Address, type MessageKind, type MessageBodies } from '../src/index.js'
import { structHasher, domainSeparator } from '../src/eip712-hash.js'
import { CHAIN_ID, makeBid, makeEraVote, makeHeartbeat, makeMatch, makeNoMatch, makeOrder, makeReveal, makeVote, prng, randomBytes } from './fixtures.js'

const rand = prng(712)
const hex = (n: number): `0x${string}` => `0x${Buffer.from(randomBytes(rand, n)).toString('hex')}`
const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)]
const STRINGS = ['', 'a', 'eu-west', 'ünïcødé ✓', 'x'.repeat(300)]

/** A random value of an EIP-712 type of EIP712_TYPES, edge values included. */
function randomValue (type: string): unknown {
  if (type.endsWith('[]')) return Array.from({ length: Math.floor(rand() * 4) }, () => randomValue(type.slice(0, -2)))
  const struct = (EIP712_TYPES as Record<string, ReadonlyArray<{ name: string, type: string }>>)[type]
  if (struct !== undefined) return Object.fromEntries(struct.map(f => [f.name, randomValue(f.type)]))
  if (type === 'string') return pick(STRINGS)
  if (type === 'bytes') return hex(Math.floor(rand() * 100))
  if (type === 'address') return hex(20)
  if (type === 'bytes32') return hex(32)
  if (type === 'bool') return rand() < 0.5
  const bits = Number(/^uint(\d+)$/.exec(type)![1])
  const max = (1n << BigInt(bits)) - 1n
  const v = pick([0n, 1n, max, BigInt(`0x${Buffer.from(randomBytes(rand, bits / 8)).toString('hex')}`)])
  return bits <= 32 ? Number(v) : v
}

const hasher = structHasher(EIP712_TYPES)
const viemDigest = (primaryType: string, message: Record<string, unknown>): string =>
  hashTypedData({ domain: domain(CHAIN_ID), types: EIP712_TYPES, primaryType, message } as Parameters<typeof hashTypedData>[0])

test('the fast hasher equals viem\'s hashTypedData on random values of every struct type', () => {
  const separator = domainSeparator('dcn', '1', CHAIN_ID)
  for (const primary of Object.keys(EIP712_TYPES)) {
    for (let i = 0; i < 60; i++) {
      const message = randomValue(primary) as Record<string, unknown>
      assert.is(hasher.hashTypedData(separator, primary, message), viemDigest(primary, message), `${primary} #${i}`)
    }
  }
})

test('digest equals viem\'s on every message kind, for several chains', () => {
  const a = '0x00000000000000000000000000000000000000a1' as Address
  const bodies: { [K in MessageKind]: MessageBodies[K] } = {
    order: makeOrder(a), bid: makeBid(a), match: makeMatch(a), 'no-match': makeNoMatch(a), heartbeat: makeHeartbeat(a),
    'challenge-reveal': makeReveal(a), 'challenge-vote': makeVote(a), 'era-vote': makeEraVote(a)
  }
  for (const chainId of [1, CHAIN_ID, 31337]) {
    for (const [kind, body] of Object.entries(bodies) as Array<[MessageKind, MessageBodies[MessageKind]]>) {
      const td = typedData(chainId, kind, body)
      assert.is(digest(chainId, kind, body), hashTypedData(td as Parameters<typeof hashTypedData>[0]), `${kind} on chain ${chainId}`)
    }
  }
})

test('values viem refuses are refused, naming the field', () => {
  const separator = domainSeparator('dcn', '1', CHAIN_ID)
  const good = randomValue('Match') as Record<string, unknown>
  const bad: Array<[string, unknown, RegExp]> = [
    ['bids', 2 ** 32, /Match\.bids: not a uint32/],
    ['bids', -1, /Match\.bids/],
    ['bids', 1.5, /Match\.bids/],
    ['createdMs', 1n << 64n, /Match\.createdMs: not a uint64/],
    ['bidder', '0x1234', /Match\.bidder: expected 20 bytes/],
    ['orderId', 'not hex', /Match\.orderId/],
    ['bidHash', undefined, /Match\.bidHash/]
  ]
  for (const [field, value, error] of bad) {
    const message = { ...good, [field]: value }
    assert.throws(() => viemDigest('Match', message), undefined, `viem accepts ${field} = ${String(value)}`)
    assert.throws(() => hasher.hashTypedData(separator, 'Match', message), error, `${field} = ${String(value)}`)
  }
})

test('sign() over the fast digest gives the very signature viem\'s signTypedData gives, with viem\'s account and the native one', async () => {
  const key = '0x59c6995e998f97a5a0044966f0945389dc9c86dae88c7a8412f4603b6b78690d'
  const viemAccount = privateKeyToAccount(key)
  const bodies = { order: makeOrder(viemAccount.address), bid: makeBid(viemAccount.address), heartbeat: makeHeartbeat(viemAccount.address) }
  for (const [kind, body] of Object.entries(bodies) as Array<[MessageKind, MessageBodies[MessageKind]]>) {
    const expected = await viemAccount.signTypedData(typedData(CHAIN_ID, kind, body) as Parameters<typeof viemAccount.signTypedData>[0])
    assert.is((await sign(viemAccount, CHAIN_ID, kind, body)).sig, expected, `${kind} with viem's account`)
    assert.is((await sign(walletFromKey(key), CHAIN_ID, kind, body)).sig, expected, `${kind} with the native account`)
  }
})

test.run()
