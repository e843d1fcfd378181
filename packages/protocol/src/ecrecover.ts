/**
 * Signer recovery for EIP-712 digests. Every gossip message costs one recovery on every node
 * that validates it, so this is the hot path of the network: libsecp256k1 through the
 * `secp256k1` package's bundled N-API build takes ~0.06 ms, viem's pure-JS one ~1.7 ms. The
 * package silently falls back to a JS build when its binding does not load, so the binding is
 * loaded directly and `SECP256K1_BACKEND` says which one runs (nodes log it at start).
 */
import { createRequire } from 'node:module'
import { recoverAddress } from 'viem'
import { createKeccak } from 'hash-wasm'
import type { Address, Hex } from './types.js'

interface NativeSecp256k1 {
  ecdsaRecover: (sig: Uint8Array, recid: number, msg32: Uint8Array, compressed: boolean) => Uint8Array
}

function loadNative (): NativeSecp256k1 | null {
  try {
    return createRequire(import.meta.url)('secp256k1/bindings') as NativeSecp256k1
  } catch {
    return null
  }
}

const native = loadNative()
const keccak = await createKeccak(256)

export const SECP256K1_BACKEND: 'libsecp256k1 (native)' | 'noble (JavaScript, slower)' = native === null ? 'noble (JavaScript, slower)' : 'libsecp256k1 (native)'

/** The lower-case address that signed a 32-byte digest with a 65-byte r‖s‖v signature, or null. */
export async function recoverDigestSigner (digest: Hex, sig: Hex): Promise<Address | null> {
  if (native === null) {
    try {
      return (await recoverAddress({ hash: digest, signature: sig })).toLowerCase() as Address
    } catch {
      return null
    }
  }
  const raw = Buffer.from(sig.slice(2), 'hex')
  if (raw.length !== 65) return null
  const v = raw[64]
  const recid = v >= 27 ? v - 27 : v
  if (recid !== 0 && recid !== 1) return null
  try {
    const pub = native.ecdsaRecover(raw.subarray(0, 64), recid, Buffer.from(digest.slice(2), 'hex'), false)
    keccak.init()
    keccak.update(pub.subarray(1))
    return `0x${keccak.digest('hex').slice(24)}` as Address
  } catch {
    return null
  }
}
