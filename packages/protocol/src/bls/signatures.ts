/**
 * min-pk BLS signatures (public keys in G1, 48 bytes compressed; signatures in G2, 96 bytes)
 * with the proof-of-possession ciphersuite blst signs with: BLS_SIG_DST.
 */
import { randomBytes } from 'node:crypto'
import type { PublicKey } from '@chainsafe/bls/types'
import type { Hex } from '../types.js'
import { BlsError, backend } from './backend.js'
import { bytesOf, hexOf, type BlsBytes } from './bytes.js'

/** The message DST (RFC 9380 suite BLS12381G2_XMD:SHA-256_SSWU_RO_, proof-of-possession scheme). */
export const BLS_SIG_DST = 'BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_'

export interface BlsKeyPair {
  /** 32 bytes, big-endian scalar. Keep it out of logs. */
  secretKey: Uint8Array
  /** 48 bytes, compressed G1. */
  publicKey: Hex
}

/** A fresh key pair (KeyGen of RFC draft-irtf-cfrg-bls-signature from 32 random bytes). */
export function generateBlsKey (): BlsKeyPair {
  return blsKeyFromBytes(backend().SecretKey.fromKeygen(randomBytes(32)).toBytes())
}

/** The key pair of a 32-byte secret key; throws a BlsError for zero or a scalar ≥ the group order. */
export function blsKeyFromBytes (secret: BlsBytes): BlsKeyPair {
  const bytes = bytesOf(secret, 'a BLS secret key', 32)
  let sk
  try {
    if (bytes.every(b => b === 0)) throw new Error('zero')
    sk = backend().SecretKey.fromBytes(bytes)
  } catch (err) {
    if (err instanceof BlsError) throw err
    throw new BlsError('not a valid BLS secret key (it must be a non-zero scalar below the BLS12-381 group order)')
  }
  return { secretKey: Uint8Array.from(sk.toBytes()), publicKey: hexOf(sk.toPublicKey().toBytes()) }
}

export function blsSign (secretKey: Uint8Array, message: BlsBytes): Hex {
  return hexOf(backend().sign(bytesOf(secretKey, 'a BLS secret key', 32), bytesOf(message, 'the message')))
}

/** Verifies one signature; false for a malformed, infinite or out-of-subgroup key or signature. */
export function blsVerify (publicKey: Hex, message: BlsBytes, signature: Hex): boolean {
  const bls = backend()
  try {
    const pk = bls.PublicKey.fromBytes(bytesOf(publicKey, 'a BLS public key', 48), undefined, true)
    return bls.verify(pk, bytesOf(message, 'the message'), bytesOf(signature, 'a BLS signature', 96))
  } catch {
    return false
  }
}

export function blsAggregateSignatures (signatures: Hex[]): Hex {
  if (signatures.length === 0) throw new BlsError('cannot aggregate no signatures')
  const bytes = signatures.map((s, i) => bytesOf(s, `signature ${i}`, 96))
  try {
    return hexOf(backend().aggregateSignatures(bytes))
  } catch (err) {
    throw new BlsError(`cannot aggregate the signatures: one is not a G2 point (${(err as Error).message})`)
  }
}

export function blsAggregatePublicKeys (publicKeys: Hex[]): Hex {
  if (publicKeys.length === 0) throw new BlsError('cannot aggregate no public keys')
  const bytes = publicKeys.map((k, i) => bytesOf(k, `public key ${i}`, 48))
  try {
    return hexOf(backend().aggregatePublicKeys(bytes))
  } catch (err) {
    throw new BlsError(`cannot aggregate the public keys: one is not a G1 point (${(err as Error).message})`)
  }
}

/**
 * Decompressed keys by hex. Decompressing (a square root in Fp) is half of a cold 100-key
 * verify, and the same committee keys come back every slot. Bounded; the oldest goes first.
 */
const keyCache = new Map<string, PublicKey>()
const KEY_CACHE_SIZE = 4096

function decompressed (publicKey: Hex, i: number): PublicKey {
  const id = publicKey.toLowerCase()
  let pk = keyCache.get(id)
  if (pk === undefined) {
    pk = backend().PublicKey.fromBytes(bytesOf(publicKey, `public key ${i}`, 48), undefined, false)
    if (keyCache.size >= KEY_CACHE_SIZE) keyCache.delete(keyCache.keys().next().value as string)
    keyCache.set(id, pk)
  }
  return pk
}

/**
 * Whether `signature` is the aggregate of every key's signature of one message. The keys are not
 * subgroup-checked here: each must have a verified proof of possession (the registry checks one
 * on chain), which also stops rogue keys. The signature is. False on any malformed input.
 */
export function blsFastAggregateVerify (publicKeys: Hex[], message: BlsBytes, signature: Hex): boolean {
  const bls = backend()
  if (publicKeys.length === 0) return false
  try {
    return bls.verifyAggregate(publicKeys.map(decompressed), bytesOf(message, 'the message'), bytesOf(signature, 'a BLS signature', 96))
  } catch {
    return false
  }
}
