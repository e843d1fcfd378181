/**
 * secp256k1 for the hot paths: every gossip message costs one signer recovery on every node that
 * validates it, and one signature where it is made. libsecp256k1 through the `secp256k1`
 * package's bundled N-API build takes ~0.06 ms for either; viem's pure-JS code ~1.7 ms. The
 * package silently falls back to a JS build when its binding does not load, so the binding is
 * loaded directly and `SECP256K1_BACKEND` says which one runs (nodes log it at start).
 */
import { createRequire } from 'node:module'
import { hashTypedData, recoverAddress, type Hash } from 'viem'
import { privateKeyToAccount, toAccount, type LocalAccount } from 'viem/accounts'
import { createKeccak } from './keccak-wasm.js'
import type { Address, Hex } from './types.js'

interface NativeSecp256k1 {
  ecdsaRecover: (sig: Uint8Array, recid: number, msg32: Uint8Array, compressed: boolean) => Uint8Array
  ecdsaSign: (msg32: Uint8Array, privateKey: Uint8Array) => { signature: Uint8Array, recid: number }
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

/**
 * A viem account for a private key whose signatures (RFC 6979, the same bytes viem makes) come
 * from libsecp256k1; plain viem when the native build is missing. Typed data and raw hashes are
 * signed natively; messages and transactions go through viem.
 */
export function walletFromKey (privateKey: Hex): LocalAccount {
  const base = privateKeyToAccount(privateKey)
  if (native === null) return base
  const key = Buffer.from(privateKey.slice(2), 'hex')
  const signHash = (hash: Hash): Hex => {
    const { signature, recid } = native.ecdsaSign(Buffer.from(hash.slice(2), 'hex'), key)
    return `0x${Buffer.from(signature).toString('hex')}${(27 + recid).toString(16)}`
  }
  const account = toAccount({
    address: base.address,
    signMessage: base.signMessage,
    signTransaction: base.signTransaction,
    signTypedData: async (td) => signHash(hashTypedData(td)),
    sign: async ({ hash }: { hash: Hash }) => signHash(hash)
  } as Parameters<typeof toAccount>[0])
  return { ...account, publicKey: base.publicKey, source: 'privateKey' } as LocalAccount
}
