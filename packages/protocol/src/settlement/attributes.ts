/**
 * A provider's or fizz node's registered capacity, stored in the registry's `attributes` bytes:
 * abi.encode(uint64 cpu, uint64 memory, uint64 storage, uint32 gpuUnits). Slarks draw their
 * challenges from it (paper §4.5.2.2: "registered on chain"), so what a node claims here is
 * what it must be able to prove.
 */
import { decodeAbiParameters, encodeAbiParameters, type Hex } from 'viem'

/** Milli-CPUs, bytes of memory and storage, GPUs. */
export interface Capacity { cpu: number, memory: number, storage: number, gpuUnits: number }

const LAYOUT = [{ type: 'uint64' }, { type: 'uint64' }, { type: 'uint64' }, { type: 'uint32' }] as const

export function encodeCapacity (c: Capacity): Hex {
  return encodeAbiParameters(LAYOUT, [BigInt(c.cpu), BigInt(c.memory), BigInt(c.storage), c.gpuUnits])
}

/** The capacity in registry attributes; zero for a node that registered none (or other bytes). */
export function decodeCapacity (attributes: Hex): Capacity {
  try {
    const [cpu, memory, storage, gpuUnits] = decodeAbiParameters(LAYOUT, attributes)
    return { cpu: Number(cpu), memory: Number(memory), storage: Number(storage), gpuUnits }
  } catch {
    return { cpu: 0, memory: 0, storage: 0, gpuUnits: 0 }
  }
}
