import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { recoverAddress, keccak256, toHex } from 'viem'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { SECP256K1_BACKEND, recoverDigestSigner, walletFromKey, typedData, type Hex } from '../src/index.js'
import { makeOrder, CHAIN_ID } from './fixtures.js'

test('the native libsecp256k1 backend is in use (a silent JS fallback is 28× slower)', () => {
  assert.is(SECP256K1_BACKEND, 'libsecp256k1 (native)')
})

test('recovers the same signer as viem for random keys and digests', async () => {
  for (let i = 0; i < 50; i++) {
    const account = privateKeyToAccount(generatePrivateKey())
    const hash = keccak256(toHex(`message ${i} ${Math.random()}`))
    const sig = await account.sign({ hash })
    const expected = (await recoverAddress({ hash, signature: sig })).toLowerCase()
    assert.is(await recoverDigestSigner(hash, sig), expected)
    assert.is(expected, account.address.toLowerCase())
  }
})

test('malformed signatures give null, never a throw', async () => {
  const hash = keccak256('0x01')
  const account = privateKeyToAccount(generatePrivateKey())
  const sig = await account.sign({ hash })
  const bad: Hex[] = [
    '0x', '0x1234', `0x${'00'.repeat(65)}`, `0x${'ff'.repeat(65)}`,
    `${sig.slice(0, 130)}1d` as Hex, // v = 29
    `${sig.slice(0, 130)}02` as Hex // v = 2
  ]
  for (const s of bad) assert.is(await recoverDigestSigner(hash, s), null, s)
  // A flipped bit recovers some other address, not the signer.
  const flipped = `0x${(BigInt(sig.slice(0, 66)) ^ 1n).toString(16).padStart(64, '0')}${sig.slice(66)}` as Hex
  assert.is.not(await recoverDigestSigner(hash, flipped), account.address.toLowerCase())
})

test('native signatures are byte-for-byte the ones viem makes (RFC 6979), for hashes and typed data', async () => {
  for (let i = 0; i < 20; i++) {
    const key = generatePrivateKey()
    const viemAccount = privateKeyToAccount(key)
    const fast = walletFromKey(key)
    assert.is(fast.address, viemAccount.address)
    const hash = keccak256(toHex(`m${i}`))
    assert.is(await fast.sign!({ hash }), await viemAccount.sign({ hash }))
    const td = typedData(CHAIN_ID, 'order', makeOrder(viemAccount.address))
    assert.is(await fast.signTypedData(td as never), await viemAccount.signTypedData(td as never))
  }
})

test.run()
