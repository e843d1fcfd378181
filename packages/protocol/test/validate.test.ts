import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { generatePrivateKey, privateKeyToAccount, type PrivateKeyAccount } from 'viem/accounts'
import {
  EXPIRY_GRACE_MS, GossipValidator, MAX_CLOCK_SKEW_MS, MAX_MESSAGE_AGE_MS, MAX_MESSAGE_BYTES, TOPICS,
  encode, recoverSigner, sign, typedData, verifySignature,
  type Address, type MessageKind, type Order, type SenderPolicy, type SignedMessage, type ValidatorOptions, type Verdict
} from '../src/index.js'
import {
  CHAIN_ID, NOW, NOW_S, asJson, bytes, fromJson, hash, lower, makeBid, makeHeartbeat, makeMatch, makeNoMatch, makeOrder, prng, randomBytes
} from './fixtures.js'

const alice = privateKeyToAccount(generatePrivateKey())
const mallory = privateKeyToAccount(generatePrivateKey())

const validator = (opts: Partial<ValidatorOptions> = {}): GossipValidator =>
  new GossipValidator({ chainId: CHAIN_ID, now: () => NOW, ...opts })

async function signedOrder (over: Partial<Order> = {}, by: PrivateKeyAccount = alice): Promise<Uint8Array> {
  return encode(await sign(by, CHAIN_ID, 'order', makeOrder(by.address, over)))
}

function expect (v: Verdict, result: Verdict['result'], reason?: string): void {
  const why = v.result === 'accept' ? 'accepted' : `${v.result}: ${v.reason}`
  assert.is(v.result, result, `expected ${result}, got ${why}`)
  if (reason !== undefined && v.result !== 'accept') assert.ok(v.reason.includes(reason), `reason "${v.reason}" should contain "${reason}"`)
}

test('accepts a valid signed order on dcn/1/orders', async () => {
  const data = await signedOrder()
  const v = await validator().validate('dcn/1/orders', data)
  expect(v, 'accept')
  if (v.result !== 'accept') return
  assert.is(v.msg.type, 'order')
  assert.equal(v.msg.body, makeOrder(alice.address))
})

test('accepts every kind on its own topic', async () => {
  const val = validator()
  const cases: Array<[string, MessageKind, unknown]> = [
    [TOPICS.bids, 'bid', makeBid(alice.address)],
    [TOPICS.matches, 'match', makeMatch(alice.address)],
    [TOPICS.matches, 'no-match', makeNoMatch(alice.address, { orderId: hash('order-2') })],
    [TOPICS.heartbeats, 'heartbeat', makeHeartbeat(alice.address)]
  ]
  for (const [topic, kind, body] of cases) {
    const msg = await sign(alice, CHAIN_ID, kind, body as never)
    expect(await val.validate(topic, encode(msg)), 'accept')
  }
  // a matcher decides once per order: a no-match after its match for the same order is a replay
  const nm = await sign(alice, CHAIN_ID, 'no-match', makeNoMatch(alice.address))
  expect(await val.validate(TOPICS.matches, encode(nm)), 'reject', 'same id with different content')
})

test('rejects a message on the wrong topic', async () => {
  const data = await signedOrder()
  for (const topic of [TOPICS.bids, TOPICS.matches, TOPICS.heartbeats, TOPICS.attestations, 'dcn/2/orders', '']) {
    expect(await validator().validate(topic, data), 'reject', 'wrong topic')
  }
  const bid = encode(await sign(alice, CHAIN_ID, 'bid', makeBid(alice.address)))
  expect(await validator().validate(TOPICS.orders, bid), 'reject', 'wrong topic: bid on dcn/1/orders')
})

test('rejects an order signed by another wallet', async () => {
  const body = makeOrder(alice.address)
  // mallory signs a body that names alice as the owner
  const sig = await mallory.signTypedData(typedData(CHAIN_ID, 'order', body) as Parameters<PrivateKeyAccount['signTypedData']>[0])
  const msg = { type: 'order', body, sig } as SignedMessage
  assert.is(await recoverSigner(CHAIN_ID, msg), lower(mallory.address))
  assert.is(await verifySignature(CHAIN_ID, msg), false)
  expect(await validator().validate(TOPICS.orders, encode(msg)), 'reject', 'bad signature')
  // sign() itself refuses to sign for someone else
  try {
    await sign(mallory, CHAIN_ID, 'order', body)
    assert.unreachable('sign should refuse a body owned by another wallet')
  } catch (err) {
    assert.match((err as Error).message, /cannot sign a order/)
  }
})

test('rejects a tampered body, and a signature for another chain', async () => {
  const env = asJson(await signedOrder())
  env.body.maxPricePerSecond = '2000000000000'
  expect(await validator().validate(TOPICS.orders, fromJson(env)), 'reject', 'bad signature')
  const env2 = asJson(await signedOrder())
  env2.body.resources.gpuUnits = 1
  expect(await validator().validate(TOPICS.orders, fromJson(env2)), 'reject', 'bad signature')
  // a well-formed but invalid signature (all zero bytes)
  const env3 = asJson(await signedOrder())
  env3.sig = '0x' + '00'.repeat(65)
  expect(await validator().validate(TOPICS.orders, fromJson(env3)), 'reject', 'bad signature')
  const other = encode(await sign(alice, 1, 'order', makeOrder(alice.address)))
  expect(await validator().validate(TOPICS.orders, other), 'reject', 'bad signature')
})

test('a rejected forgery does not block the genuine message', async () => {
  const val = validator()
  const env = asJson(await signedOrder())
  const genuine = fromJson(env)
  env.sig = '0x' + '11'.repeat(65)
  expect(await val.validate(TOPICS.orders, fromJson(env)), 'reject', 'bad signature')
  expect(await val.validate(TOPICS.orders, genuine), 'accept')
})

test('rejects a message created in the future beyond the clock skew', async () => {
  const future = NOW + MAX_CLOCK_SKEW_MS + 1
  expect(await validator().validate(TOPICS.orders, await signedOrder({ createdMs: future, bidDeadlineMs: future + 30_000 })), 'reject', 'created in the future')
  const skewed = NOW + MAX_CLOCK_SKEW_MS
  expect(await validator().validate(TOPICS.orders, await signedOrder({ createdMs: skewed, bidDeadlineMs: skewed + 30_000 })), 'accept')
})

test('rejects a message older than the replay window', async () => {
  const old = NOW - MAX_MESSAGE_AGE_MS - 1
  expect(await validator().validate(TOPICS.orders, await signedOrder({ createdMs: old, bidDeadlineMs: old + 30_000 })), 'reject', 'older than the replay window')
  const edge = NOW - MAX_MESSAGE_AGE_MS
  expect(await validator().validate(TOPICS.orders, await signedOrder({ createdMs: edge, bidDeadlineMs: edge + 30_000 })), 'accept')
})

test('expired: rejected, but ignored within the grace period', async () => {
  const created = NOW - 60_000
  const at = (expiryMs: number): Partial<Order> => ({ createdMs: created, bidDeadlineMs: created + 1000, expiry: expiryMs / 1000 })
  expect(await validator().validate(TOPICS.orders, await signedOrder(at(NOW - 10_000))), 'reject', 'expired')
  expect(await validator().validate(TOPICS.orders, await signedOrder(at(NOW - EXPIRY_GRACE_MS - 1000))), 'reject', 'expired')
  const v = await validator().validate(TOPICS.orders, await signedOrder(at(NOW - 1000)))
  expect(v, 'ignore', 'expired in flight')
  // expiring exactly now is still valid
  expect(await validator().validate(TOPICS.orders, await signedOrder(at(NOW))), 'accept')
  // the same for a bid
  const bid = encode(await sign(alice, CHAIN_ID, 'bid', makeBid(alice.address, { createdMs: created, expiry: (NOW - 1000) / 1000 })))
  expect(await validator().validate(TOPICS.bids, bid), 'ignore', 'expired in flight')
})

test('a duplicate is ignored', async () => {
  const val = validator()
  const data = await signedOrder()
  expect(await val.validate(TOPICS.orders, data), 'accept')
  expect(await val.validate(TOPICS.orders, data), 'ignore', 'duplicate')
  expect(await val.validate(TOPICS.orders, new Uint8Array(data)), 'ignore', 'duplicate')
  // another validator has not seen it
  expect(await validator().validate(TOPICS.orders, data), 'accept')
})

test('the same id with different content is rejected as a replay', async () => {
  const val = validator()
  expect(await val.validate(TOPICS.orders, await signedOrder()), 'accept')
  expect(await val.validate(TOPICS.orders, await signedOrder({ nonce: 8n })), 'reject', 'same id with different content')
  // a different id is a different order
  expect(await val.validate(TOPICS.orders, await signedOrder({ id: hash('order-2') })), 'accept')
  // bids: one per order and bidder
  const b1 = encode(await sign(alice, CHAIN_ID, 'bid', makeBid(alice.address)))
  const b2 = encode(await sign(alice, CHAIN_ID, 'bid', makeBid(alice.address, { pricePerSecond: 1n })))
  expect(await val.validate(TOPICS.bids, b1), 'accept')
  expect(await val.validate(TOPICS.bids, b2), 'reject', 'same id with different content')
})

test('a conflicting message handed on by a relay is ignored, not rejected (the relay may be honest)', async () => {
  const val = validator()
  expect(await val.validate(TOPICS.orders, await signedOrder(), { relayed: true }), 'accept')
  const conflict = await signedOrder({ nonce: 9n })
  expect(await val.validate(TOPICS.orders, conflict, { relayed: true }), 'ignore', 'conflicts with an accepted message')
  expect(await val.validate(TOPICS.orders, conflict, { relayed: false }), 'reject', 'same id with different content')
})

test('semantic order checks', async () => {
  const val = validator()
  expect(await val.validate(TOPICS.orders, await signedOrder({ bidDeadlineMs: NOW - 1 })), 'reject', 'bid deadline before creation')
  expect(await val.validate(TOPICS.orders, await signedOrder({ bidDeadlineMs: NOW })), 'reject', 'bid deadline before creation')
  expect(await val.validate(TOPICS.orders, await signedOrder({ bidDeadlineMs: NOW + 11 * 60_000, expiry: NOW_S + 3600 })), 'reject', 'more than 10 minutes')
  expect(await val.validate(TOPICS.orders, await signedOrder({ bidDeadlineMs: NOW + 60_000, expiry: NOW_S + 30 })), 'reject', 'expires before its bid deadline')
  expect(await val.validate(TOPICS.orders, await signedOrder({ resources: { cpu: 0, memory: 0, storage: 0, gpuUnits: 0, gpuModel: '' } })), 'reject', 'asks for no resources')
  expect(await val.validate(TOPICS.orders, await signedOrder({ expiry: NOW_S + 8 * 86_400 })), 'reject', 'expiry more than 7 days out')
  // none of the rejected ones was remembered: the valid order is still accepted
  expect(await val.validate(TOPICS.orders, await signedOrder()), 'accept')
})

test('a sender policy that cannot tell (chain unreachable) makes the message ignored, not rejected', async () => {
  const unknown: SenderPolicy = async () => 'unknown' as const
  expect(await validator({ senderPolicy: unknown }).validate(TOPICS.orders, await signedOrder()), 'ignore', 'registration unknown')
})

test('senderPolicy decides registration', async () => {
  const calls: Array<[Address, MessageKind]> = []
  const deny: SenderPolicy = (signer, kind) => { calls.push([signer, kind]); return false }
  expect(await validator({ senderPolicy: deny }).validate(TOPICS.orders, await signedOrder()), 'reject', 'sender not registered')
  assert.equal(calls, [[lower(alice.address), 'order']])
  const asyncDeny: SenderPolicy = async () => await Promise.resolve(false)
  expect(await validator({ senderPolicy: asyncDeny }).validate(TOPICS.orders, await signedOrder()), 'reject', 'sender not registered')
  const onlyAlice: SenderPolicy = signer => signer === lower(alice.address)
  const val = validator({ senderPolicy: onlyAlice })
  expect(await val.validate(TOPICS.orders, await signedOrder()), 'accept')
  expect(await val.validate(TOPICS.orders, await signedOrder({ id: hash('m') }, mallory)), 'reject', 'sender not registered')
  // a denied message is not remembered, so it is rejected again (not ignored as a duplicate)
  const denied = await signedOrder({ id: hash('m2') }, mallory)
  expect(await val.validate(TOPICS.orders, denied), 'reject', 'sender not registered')
  expect(await val.validate(TOPICS.orders, denied), 'reject', 'sender not registered')
  // the policy is not consulted for messages that fail earlier checks
  calls.length = 0
  expect(await validator({ senderPolicy: deny }).validate(TOPICS.bids, await signedOrder()), 'reject', 'wrong topic')
  assert.equal(calls, [])
})

test('rejects oversized payloads', async () => {
  const text = new TextDecoder().decode(await signedOrder())
  const padded = bytes(text + ' '.repeat(MAX_MESSAGE_BYTES + 1 - text.length))
  expect(await validator().validate(TOPICS.orders, padded), 'reject', 'oversized')
  expect(await validator().validate(TOPICS.orders, new Uint8Array(MAX_MESSAGE_BYTES * 2)), 'reject', 'oversized')
})

test('the seen-cache is bounded: the oldest entries go first', async () => {
  const val = validator({ maxSeen: 2 })
  const a = await signedOrder({ id: hash('a') })
  const b = await signedOrder({ id: hash('b') })
  const c = await signedOrder({ id: hash('c') })
  expect(await val.validate(TOPICS.orders, a), 'accept')
  expect(await val.validate(TOPICS.orders, b), 'accept')
  expect(await val.validate(TOPICS.orders, c), 'accept')
  expect(await val.validate(TOPICS.orders, c), 'ignore', 'duplicate')
  expect(await val.validate(TOPICS.orders, b), 'ignore', 'duplicate')
  expect(await val.validate(TOPICS.orders, a), 'accept') // evicted
})

test('validate never throws: garbage, mutations and a throwing policy', async () => {
  const rand = prng(7)
  const val = validator()
  const valid = await signedOrder()
  const topics = [TOPICS.orders, TOPICS.bids, 'x']
  for (let i = 0; i < 500; i++) {
    const garbage = i % 2 === 0 ? randomBytes(rand, Math.floor(rand() * 300)) : new Uint8Array(valid)
    if (i % 2 === 1) garbage[Math.floor(rand() * garbage.length)] ^= 1 << Math.floor(rand() * 8)
    let v: Verdict
    try {
      v = await val.validate(topics[i % 3], garbage)
    } catch (err) {
      assert.unreachable(`validate threw: ${String(err)}`)
      return
    }
    if (i % 2 === 0) expect(v, 'reject')
    else assert.ok(['accept', 'reject', 'ignore'].includes(v.result))
  }
  for (const junk of ['', 'null', '[]', '{}', '{"v":1,"type":"order","body":{},"sig":"0x"}']) {
    expect(await val.validate(TOPICS.orders, bytes(junk)), 'reject')
  }
  const boom = validator({ senderPolicy: () => { throw new Error('chain unreachable') } })
  const v = await boom.validate(TOPICS.orders, await signedOrder({ id: hash('boom') }))
  expect(v, 'reject', 'chain unreachable')
  const badClock = new GossipValidator({ chainId: CHAIN_ID, now: () => { throw new Error('no clock') } })
  expect(await badClock.validate(TOPICS.orders, valid), 'reject', 'no clock')
})

test('sign and verifySignature agree for bodies with checksummed addresses', async () => {
  // viem accounts have checksummed addresses; a body built from them must verify after signing
  const body = makeHeartbeat(alice.address, { wallet: alice.address })
  assert.is.not(body.wallet, lower(alice.address))
  const msg = await sign(alice, CHAIN_ID, 'heartbeat', body)
  assert.is(await verifySignature(CHAIN_ID, msg), true)
  assert.is(await recoverSigner(CHAIN_ID, msg), lower(alice.address))
  assert.is(await recoverSigner(CHAIN_ID, { ...msg, sig: '0x1234' }), null)
  assert.is(await verifySignature(CHAIN_ID, { ...msg, sig: '0x1234' }), false)
})

test.run()
