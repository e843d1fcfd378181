/**
 * The committee draw of Challenges.sol, off chain: the same slarks in the same order for a
 * slot's seed and roster, so a slark knows its committees and its bit in a signer bitmap
 * without asking the chain.
 */
import { keccak256Bytes } from '../keccak-wasm.js'
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
  return drawCommittee(seed, provider, slarks.filter(s => canChallenge(s.tier, providerTier)).map(s => s.address), size)
}

/**
 * The draw of `committeeOf` from an already filtered pool of eligible slarks (in roster order),
 * which a caller drawing many committees from one roster can filter once. The shuffle keeps only
 * the swapped positions, so a draw costs `size` hashes whatever the pool's length.
 */
export function drawCommittee (seed: Hex, provider: Address, pool: readonly Address[], size: number): Address[] {
  if (pool.length <= size) return [...pool]
  // abi.encode(bytes32 seed, address provider, uint256 i): three words, i changing in the last
  // bytes 32–43 and 64–91 stay zero; the seed is rewritten only when it changes (a slot's draws share it)
  const msg = SCRATCH
  if (seed !== scratchSeed) { msg.write(seed.slice(2), 0, 32, 'hex'); scratchSeed = seed }
  writeHex(msg, 44, provider, 20)
  // the swaps so far (a committee is a handful of seats): position → what it holds now
  const keys = KEYS
  const vals = VALS
  keys.length = 0
  vals.length = 0
  const out: Address[] = []
  for (let i = 0; i < size; i++) {
    msg.writeUInt32BE(i, 92)
    const j = i + modOf(keccak256Bytes(msg), pool.length - i)
    const xj = keys.lastIndexOf(j)
    const xi = keys.lastIndexOf(i)
    const held = xi < 0 ? pool[i] : vals[xi]
    out.push(xj < 0 ? pool[j] : vals[xj])
    // position j now holds what position i held; position i is never read again
    keys.push(j)
    vals.push(held)
  }
  return out
}

const KEYS: number[] = []
const VALS: Address[] = []

/** `bytes` bytes of 0x-hex into buf at offset, without allocating. */
function writeHex (buf: Uint8Array, offset: number, hex: string, bytes: number): void {
  for (let k = 0; k < bytes; k++) buf[offset + k] = nibble(hex.charCodeAt(2 + 2 * k)) * 16 + nibble(hex.charCodeAt(3 + 2 * k))
}

const nibble = (c: number): number => c <= 57 ? c - 48 : (c | 32) - 87

/** Reused for every draw: the draw is synchronous. */
const SCRATCH = Buffer.alloc(96)
let scratchSeed = ''

/** A big-endian 256-bit number modulo m (m < 2^32), in doubles, 16 bits at a time: every partial stays below 2^48. */
function modOf (word: Uint8Array, m: number): number {
  let r = 0
  for (let i = 0; i < 32; i += 2) r = (r * 65536 + word[i] * 256 + word[i + 1]) % m
  return r
}
