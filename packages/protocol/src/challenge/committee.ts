/**
 * The committee draw of Challenges.sol, off chain: the same slarks in the same order for a
 * slot's seed and roster, so a slark knows its committees and its bit in a signer bitmap
 * without asking the chain.
 */
import { encodeAbiParameters, keccak256 } from 'viem'
import type { Address, Hex } from '../types.js'

export interface RosterMember {
  address: Address
  /** Registry tier; 0 (unset) counts as 1. */
  tier: number
}

/** Slark tier s may challenge provider tiers ≥ 7 − s (slark tier 1 → providers 6–7, 6 → 1–7). */
export function canChallenge (slarkTier: number, providerTier: number): boolean {
  return providerTier + (slarkTier === 0 ? 1 : slarkTier) >= 7
}

/**
 * `size` slarks of the roster that may challenge the provider: all of them when no more are
 * eligible, else a partial Fisher–Yates shuffle where keccak256(abi.encode(seed, provider, i))
 * picks position i among the remaining ones.
 */
export function committeeOf (seed: Hex, provider: Address, slarks: RosterMember[], providerTier: number, size: number): Address[] {
  const pool = slarks.filter(s => canChallenge(s.tier, providerTier)).map(s => s.address)
  if (pool.length <= size) return pool
  for (let i = 0; i < size; i++) {
    const r = BigInt(keccak256(encodeAbiParameters([{ type: 'bytes32' }, { type: 'address' }, { type: 'uint256' }], [seed, provider, BigInt(i)])))
    const j = i + Number(r % BigInt(pool.length - i))
    ;[pool[i], pool[j]] = [pool[j], pool[i]]
  }
  return pool.slice(0, size)
}
