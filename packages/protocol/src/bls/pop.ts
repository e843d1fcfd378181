/**
 * Proofs of possession: the key's 48 compressed bytes signed under their own DST, so a key can
 * only be registered by whoever holds its secret (no rogue keys in aggregates).
 *
 * blst's binding signs with BLS_SIG_DST only, so proofs are made and checked with @noble/curves
 * (pure JavaScript, ~20 ms; once per registration, never on a hot path).
 */
import { bls12_381 } from '@noble/curves/bls12-381.js'
import type { Hex } from '../types.js'
import { backend } from './backend.js'
import { bytesOf, hexOf } from './bytes.js'
import { g1ToEip2537, g2ToEip2537 } from './eip2537.js'
import { blsKeyFromBytes, type BlsKeyPair } from './signatures.js'

export const BLS_POP_DST = 'BLS_POP_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_'

const sigs = bls12_381.longSignatures

/** The 96-byte proof of possession of a secret key's public key. */
export function blsPopProve (secretKey: Uint8Array): Hex {
  const { publicKey } = blsKeyFromBytes(secretKey)
  return hexOf(sigs.sign(sigs.hash(bytesOf(publicKey, 'a BLS public key'), BLS_POP_DST), secretKey).toBytes(true))
}

/** Whether `pop` proves possession of `publicKey` (which must be a valid, non-infinite G1 point). */
export function blsPopVerify (publicKey: Hex, pop: Hex): boolean {
  try {
    const pk = bytesOf(publicKey, 'a BLS public key', 48)
    backend().PublicKey.fromBytes(pk, undefined, true) // KeyValidate: on the curve, in G1, not infinity
    return sigs.verify(bytesOf(pop, 'a proof of possession', 96), sigs.hash(pk, BLS_POP_DST), pk)
  } catch {
    return false
  }
}

/** What ProviderRegistry.register takes for a matcher's or slark's key, all checked on chain. */
export interface BlsRegistration {
  /** 48 bytes, compressed. */
  publicKey: Hex
  /** The same key as a 128-byte EIP-2537 G1 point. */
  publicKeyG1: Hex
  /** The proof of possession as a 256-byte EIP-2537 G2 point. */
  pop: Hex
}

export function blsRegistration (key: BlsKeyPair): BlsRegistration {
  return { publicKey: key.publicKey, publicKeyG1: g1ToEip2537(key.publicKey), pop: g2ToEip2537(blsPopProve(key.secretKey)) }
}
