/** Byte inputs of the BLS functions: 0x-hex or bytes, checked once with a message that names them. */
import type { Hex } from '../types.js'
import { BlsError } from './backend.js'

export type BlsBytes = Hex | Uint8Array

export function bytesOf (x: BlsBytes, what: string, length?: number): Uint8Array {
  let out: Uint8Array
  if (typeof x === 'string') {
    if (!/^0x([0-9a-fA-F]{2})*$/.test(x)) throw new BlsError(`${what} must be 0x-hex bytes, got ${x.slice(0, 20)}`)
    out = Buffer.from(x.slice(2), 'hex')
  } else {
    out = x
  }
  if (length !== undefined && out.length !== length) throw new BlsError(`${what} must be ${length} bytes, got ${out.length}`)
  return out
}

export const hexOf = (b: Uint8Array): Hex => `0x${Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex')}`
