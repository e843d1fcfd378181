/**
 * Signer bitmaps: bit i set ⇔ member i of a committee signed (the order is the committee's, as
 * Challenges.committeeOf returns it). A uint256 on chain, so at most 256 members.
 */
import type { Address } from '../types.js'
import { BlsError } from './backend.js'

export const MAX_BITMAP_MEMBERS = 256

export function bitmapOf (indices: number[]): bigint {
  let bitmap = 0n
  for (const i of indices) {
    if (!Number.isInteger(i) || i < 0 || i >= MAX_BITMAP_MEMBERS) throw new BlsError(`signer index ${i} is outside a ${MAX_BITMAP_MEMBERS}-member bitmap`)
    bitmap |= 1n << BigInt(i)
  }
  return bitmap
}

/** The set bits, ascending. */
export function indicesOf (bitmap: bigint): number[] {
  if (bitmap < 0n || bitmap >> BigInt(MAX_BITMAP_MEMBERS) !== 0n) throw new BlsError('a signer bitmap is a uint256')
  const out: number[] = []
  for (let i = 0; bitmap >> BigInt(i) !== 0n; i++) if ((bitmap >> BigInt(i)) & 1n) out.push(i)
  return out
}

/** The bitmap of `signers` over `committee` (addresses compared case-insensitively); throws for a non-member. */
export function signerBitmap (committee: Address[], signers: Address[]): bigint {
  const index = new Map(committee.map((a, i) => [a.toLowerCase(), i]))
  return bitmapOf(signers.map(s => {
    const i = index.get(s.toLowerCase())
    if (i === undefined) throw new BlsError(`${s} is not on the committee`)
    return i
  }))
}
