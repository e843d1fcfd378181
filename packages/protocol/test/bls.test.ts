import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { bls12_381 } from '@noble/curves/bls12-381.js'
import {
  BLS_BACKEND, BLS_POP_DST, BLS_SIG_DST, BlsError, bitmapOf, blsAggregatePublicKeys, blsAggregateSignatures, blsFastAggregateVerify,
  blsKeyFromBytes, blsPopProve, blsPopVerify, blsRegistration, blsSign, blsVerify, challengeResultMessage, g1ToEip2537, g2ToEip2537,
  generateBlsKey, hashToG2, indicesOf, signerBitmap,
  type Address, type ChallengeVerdict, type Hex
} from '../src/index.js'
import { ETH_PUBLIC_KEYS, ETH_SIGN_VECTOR, H2C_DST, HASH_TO_G2_VECTORS } from './bls-vectors.js'
import { prng, randomAddress } from './fixtures.js'

const rand = prng(2537)

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s)
const fp64 = (x: string): string => BigInt(x).toString(16).padStart(128, '0')
const keys = Array.from({ length: 10 }, () => generateBlsKey())

test('the blst-native backend is in use (herumi, the silent fallback, is ~7× slower)', () => {
  assert.is(BLS_BACKEND, 'blst-native')
})

test('Ethereum BLS vectors: public keys from secret keys and sign_case_c82df61aa3ee60fb', () => {
  const key = blsKeyFromBytes(ETH_SIGN_VECTOR.secretKey)
  assert.is(key.publicKey, ETH_SIGN_VECTOR.publicKey)
  assert.is(blsSign(key.secretKey, ETH_SIGN_VECTOR.message), ETH_SIGN_VECTOR.signature)
  assert.ok(blsVerify(key.publicKey, ETH_SIGN_VECTOR.message, ETH_SIGN_VECTOR.signature))
  for (const [sk, pk] of ETH_PUBLIC_KEYS) assert.is(blsKeyFromBytes(sk).publicKey, pk)
})

test('RFC 9380 J.10.1 hash_to_G2 vectors (QUUX DST), in EIP-2537 form', () => {
  for (const v of HASH_TO_G2_VECTORS) {
    assert.is(hashToG2(utf8(v.msg), H2C_DST), `0x${v.P.map(fp64).join('')}`, `msg of ${v.msg.length} bytes`)
  }
})

test('blst signs the point hashToG2 gives: sk · H(m) under the message DST', () => {
  for (const key of keys.slice(0, 3)) {
    const msg = utf8(`message for ${key.publicKey}`)
    const h = bls12_381.G2.Point.fromHex(hashToG2Affine(hashToG2(msg)))
    const expected = h.multiply(bytesToScalar(key.secretKey)).toBytes(true)
    assert.is(blsSign(key.secretKey, msg), `0x${Buffer.from(expected).toString('hex')}`)
  }
})

test('sign and verify; a wrong message, key or malformed input is false, never a throw', () => {
  const [a, b] = keys
  const sig = blsSign(a.secretKey, '0x1234')
  assert.ok(blsVerify(a.publicKey, '0x1234', sig))
  assert.ok(blsVerify(a.publicKey, new Uint8Array([0x12, 0x34]), sig), 'bytes and hex are the same message')
  assert.not.ok(blsVerify(a.publicKey, '0x1235', sig))
  assert.not.ok(blsVerify(b.publicKey, '0x1234', sig))
  assert.not.ok(blsVerify(a.publicKey, '0x1234', `0x${'00'.repeat(96)}`))
  assert.not.ok(blsVerify(`0x${'ff'.repeat(48)}`, '0x1234', sig))
  assert.not.ok(blsVerify(`0xc0${'00'.repeat(47)}`, '0x1234', sig), 'the key at infinity')
  assert.not.ok(blsVerify(a.publicKey, '0x1234', sig.slice(0, 100) as Hex))
})

test('aggregates: fast-aggregate-verify needs exactly the signers, and equals verify under the summed key', () => {
  const msg = '0xabcdef' as Hex
  const sigs = keys.map(k => blsSign(k.secretKey, msg))
  const agg = blsAggregateSignatures(sigs)
  const pks = keys.map(k => k.publicKey)
  assert.ok(blsFastAggregateVerify(pks, msg, agg))
  assert.ok(blsVerify(blsAggregatePublicKeys(pks), msg, agg))
  assert.not.ok(blsFastAggregateVerify(pks.slice(1), msg, agg), 'a key too many in the aggregate')
  assert.not.ok(blsFastAggregateVerify(pks, msg, blsAggregateSignatures(sigs.slice(1))), 'a signature short')
  assert.not.ok(blsFastAggregateVerify(pks, '0xabcdee', agg))
  assert.not.ok(blsFastAggregateVerify([], msg, agg))
  assert.throws(() => blsAggregateSignatures([]), (e: unknown) => e instanceof BlsError)
  assert.throws(() => blsAggregatePublicKeys([`0x${'00'.repeat(47)}`]), /48 bytes/)
})

test('proofs of possession: made under their own DST, bound to the key', () => {
  const [a, b] = keys
  const pop = blsPopProve(a.secretKey)
  assert.ok(blsPopVerify(a.publicKey, pop))
  assert.not.ok(blsPopVerify(b.publicKey, pop), 'another key')
  assert.not.ok(blsPopVerify(a.publicKey, blsPopProve(b.secretKey)), 'another key\'s proof')
  assert.not.ok(blsPopVerify(a.publicKey, blsSign(a.secretKey, a.publicKey)), 'the key signed under the message DST is no proof')
  assert.not.ok(blsPopVerify(`0xc0${'00'.repeat(47)}`, pop))
  assert.is.not(BLS_POP_DST, BLS_SIG_DST)
})

test('EIP-2537 encodings agree with noble\'s decoding of the compressed points', () => {
  for (const key of keys.slice(0, 3)) {
    const g1 = g1ToEip2537(key.publicKey)
    const p = bls12_381.G1.Point.fromHex(key.publicKey.slice(2)).toAffine()
    assert.is(g1, `0x${fp64(`0x${p.x.toString(16)}`)}${fp64(`0x${p.y.toString(16)}`)}`)
    const sig = blsSign(key.secretKey, '0x01')
    const q = bls12_381.G2.Point.fromHex(sig.slice(2)).toAffine()
    assert.is(g2ToEip2537(sig), `0x${[q.x.c0, q.x.c1, q.y.c0, q.y.c1].map(c => fp64(`0x${c.toString(16)}`)).join('')}`)
  }
  assert.throws(() => g1ToEip2537(`0x${'ff'.repeat(48)}`), /not a valid BLS public key/)
  assert.throws(() => g2ToEip2537(`0x${'ff'.repeat(96)}`), /not a valid BLS signature/)
})

test('blsRegistration carries the key, its G1 point and the proof as a G2 point', () => {
  const r = blsRegistration(keys[0])
  assert.is(r.publicKey, keys[0].publicKey)
  assert.is(r.publicKeyG1, g1ToEip2537(keys[0].publicKey))
  assert.is(r.pop.length, 2 + 512)
})

test('secret keys: 32 bytes, non-zero, below the group order; the same bytes give the same key', () => {
  assert.equal(blsKeyFromBytes(keys[0].secretKey), keys[0])
  assert.throws(() => blsKeyFromBytes(`0x${'00'.repeat(32)}`), /non-zero scalar/)
  assert.throws(() => blsKeyFromBytes(`0x${'ff'.repeat(32)}`), /below the BLS12-381 group order/)
  assert.throws(() => blsKeyFromBytes(`0x${'11'.repeat(31)}`), /32 bytes/)
  assert.throws(() => blsKeyFromBytes('0xzz' as Hex), /0x-hex/)
})

test('signer bitmaps: bits over committee positions, uint256 at most', () => {
  assert.is(bitmapOf([0, 2]), 5n)
  assert.is(bitmapOf([255]), 1n << 255n)
  assert.equal(indicesOf(5n), [0, 2])
  assert.equal(indicesOf(0n), [])
  for (let n = 0; n < 20; n++) {
    const idx = [...new Set(Array.from({ length: 30 }, () => Math.floor(Math.random() * 256)))].sort((a, b) => a - b)
    assert.equal(indicesOf(bitmapOf(idx)), idx)
  }
  assert.throws(() => bitmapOf([256]), /outside a 256-member bitmap/)
  assert.throws(() => bitmapOf([-1]), /outside/)
  assert.throws(() => indicesOf(1n << 256n), /uint256/)
  const committee: Address[] = [randomAddress(rand), randomAddress(rand), randomAddress(rand)]
  assert.is(signerBitmap(committee, [committee[2], committee[0].toUpperCase().replace('0X', '0x') as Address]), 5n)
  assert.throws(() => signerBitmap(committee, [randomAddress(rand)]), /not on the committee/)
})

test('challengeResultMessage: 32 bytes that change with every field (no replay across slots, providers, chains or contracts)', () => {
  const base: ChallengeVerdict = { chainId: 31337, challenges: randomAddress(rand), slot: 7n, provider: randomAddress(rand), passed: true, answerHash: `0x${'ab'.repeat(32)}` }
  const m = challengeResultMessage(base)
  assert.match(m, /^0x[0-9a-f]{64}$/)
  const variants: Array<Partial<ChallengeVerdict>> = [
    { chainId: 1 }, { challenges: randomAddress(rand) }, { slot: 8n }, { provider: randomAddress(rand) }, { passed: false }, { answerHash: `0x${'ac'.repeat(32)}` }
  ]
  for (const v of variants) assert.is.not(challengeResultMessage({ ...base, ...v }), m, JSON.stringify(v, (_, x) => typeof x === 'bigint' ? String(x) : x))
})

/** An EIP-2537 G2 point as the hex of noble's uncompressed form (x.c1 ‖ x.c0 ‖ y.c1 ‖ y.c0). */
function hashToG2Affine (p: Hex): string {
  const fp = (i: number): string => p.slice(2 + 128 * i + 32, 2 + 128 * (i + 1))
  return fp(1) + fp(0) + fp(3) + fp(2)
}

function bytesToScalar (b: Uint8Array): bigint {
  return BigInt(`0x${Buffer.from(b).toString('hex')}`)
}

test.run()
