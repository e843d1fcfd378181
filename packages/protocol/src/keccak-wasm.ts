/**
 * WebAssembly keccak from hash-wasm, loaded from its keccak-only build: the package index
 * bundles every algorithm (270 KB of source, about 10 MB more memory in every process — which a
 * fizz node on a laptop notices).
 */
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
export const { createKeccak } = require('hash-wasm/dist/keccak.umd.min.js') as Pick<typeof import('hash-wasm'), 'createKeccak'>

const hasher = await createKeccak(256)

/**
 * keccak256 of the concatenated parts, synchronously in WebAssembly: about 15× faster than
 * viem's for the short inputs of committee draws and challenge specs, which a slark (and a
 * 100k-provider simulation) computes for every provider of every slot. The digest is a fresh copy.
 */
export function keccak256Bytes (...parts: Uint8Array[]): Uint8Array {
  hasher.init()
  for (const p of parts) hasher.update(p)
  return hasher.digest('binary')
}

/** The 20 bytes of an address, or the 32 of a bytes32, from 0x-hex. */
export const hexBytes = (hex: string): Uint8Array => Buffer.from(hex.slice(2), 'hex')

/** A big-endian uint256 word holding `n` (abi.encode of a uint256 or a left-padded address). */
export function uint256Word (n: number | bigint): Uint8Array {
  const w = new Uint8Array(32)
  if (typeof n === 'number' && Number.isInteger(n) && n >= 0 && n < 2 ** 32) {
    w[28] = n >>> 24
    w[29] = (n >>> 16) & 0xff
    w[30] = (n >>> 8) & 0xff
    w[31] = n & 0xff
    return w
  }
  let v = BigInt(n)
  for (let i = 31; i >= 0 && v > 0n; i--) { w[i] = Number(v & 0xffn); v >>= 8n }
  return w
}
