/**
 * The spec of a challenge (paper §4.5.2.2): CPU, RAM, disk and GPU each uniform in [0, 90%] of
 * the provider's free registered capacity (registered on chain − in use by its active leases).
 * Drawn from the slot seed and the provider's address, so every committee member derives the
 * same spec and checks the leader's on-chain commitment of it; the puzzle stays secret until
 * the challenge.
 */
import type { Address, Hex } from 'viem'
import { hexBytes, keccak256Bytes, type Capacity, type ChallengeSpec } from '@dcn/protocol'

/** The largest share of free capacity a challenge asks for, in parts per 10,000. */
export const MAX_SHARE_BPS = 9000n
const KEYS = ['cpu', 'memory', 'storage', 'gpuUnits'] as const

/** Uniform share u ∈ [0, 0.9] of each free resource, rounded down (GPUs: whole units). */
export function challengeSpec (slotSeed: Hex, provider: Address, registered: Capacity, inUse: Capacity): ChallengeSpec {
  const seed = hexBytes(slotSeed)
  const who = hexBytes(provider)
  const [cpu, memory, disk, gpu] = KEYS.map((k, i) => {
    const free = BigInt(Math.max(0, registered[k] - inUse[k]))
    // keccak256(abi.encodePacked(bytes32 seed, address provider, uint8 i))
    const draw = BigInt('0x' + Buffer.from(keccak256Bytes(seed, who, Uint8Array.of(i))).toString('hex'))
    // free × 0.9 × draw / 2^256, in integers so every node gets the same number.
    return Number(free * MAX_SHARE_BPS * draw / (10_000n << 256n))
  })
  return { cpu, memory, disk, gpu }
}
