/**
 * Points in the EIP-2537 form the BLS12-381 precompiles (and BLS.sol) take: every 48-byte Fp
 * left-padded to 64 bytes, an Fp2 as c0 ‖ c1. G1 is x ‖ y (128 bytes), G2 x ‖ y (256 bytes).
 * blst's uncompressed serialization writes an Fp2 as c1 ‖ c0 (the ZCash order), hence the swap.
 */
import { PointFormat } from '@chainsafe/bls/types'
import { bls12_381 } from '@noble/curves/bls12-381.js'
import type { Hex } from '../types.js'
import { BlsError, backend } from './backend.js'
import { bytesOf, hexOf, type BlsBytes } from './bytes.js'
import { BLS_SIG_DST } from './signatures.js'

const pad = (fp: Uint8Array): Uint8Array => { const out = new Uint8Array(64); out.set(fp, 16); return out }
const concat = (parts: Uint8Array[]): Hex => hexOf(Buffer.concat(parts))
const fp = (x: bigint): Uint8Array => Buffer.from(x.toString(16).padStart(96, '0'), 'hex')

/** A 48-byte compressed public key as a 128-byte EIP-2537 G1 point (checked: on the curve, in G1, not infinity). */
export function g1ToEip2537 (publicKey: Hex): Hex {
  let raw: Uint8Array
  try {
    raw = backend().PublicKey.fromBytes(bytesOf(publicKey, 'a BLS public key', 48), undefined, true).toBytes(PointFormat.uncompressed)
  } catch (err) {
    if (err instanceof BlsError) throw err
    throw new BlsError(`not a valid BLS public key: ${publicKey.slice(0, 20)}…`)
  }
  return concat([pad(raw.subarray(0, 48)), pad(raw.subarray(48, 96))])
}

/** A 96-byte compressed signature as a 256-byte EIP-2537 G2 point (checked: on the curve, in G2). */
export function g2ToEip2537 (signature: Hex): Hex {
  let raw: Uint8Array
  try {
    raw = backend().Signature.fromBytes(bytesOf(signature, 'a BLS signature', 96), undefined, true).toBytes(PointFormat.uncompressed)
  } catch (err) {
    if (err instanceof BlsError) throw err
    throw new BlsError(`not a valid BLS signature: ${signature.slice(0, 20)}…`)
  }
  const [xc1, xc0, yc1, yc0] = [0, 1, 2, 3].map(i => raw.subarray(48 * i, 48 * (i + 1)))
  return concat([xc0, xc1, yc0, yc1].map(pad))
}

/**
 * RFC 9380 hash_to_curve to G2 (suite BLS12381G2_XMD:SHA-256_SSWU_RO_) under `dst`, as a 256-byte
 * EIP-2537 point: what BLS.sol's hashToG2 returns. With BLS_SIG_DST it is the point blst signs.
 */
export function hashToG2 (message: BlsBytes, dst: string = BLS_SIG_DST): Hex {
  const { x, y } = bls12_381.G2.hashToCurve(bytesOf(message, 'the message'), { DST: dst }).toAffine()
  return concat([x.c0, x.c1, y.c0, y.c1].map(c => pad(fp(c))))
}
