/**
 * A provider's or fizz node's registry `attributes` bytes: its registered capacity, then the
 * attributes it declares (paper §4.3.6):
 * abi.encode(uint64 cpu, uint64 memory, uint64 storage, uint32 gpuUnits,
 *            uint8 compute, uint8 storage class, uint8 gpu class, uint8 connectivity, uint8 compliance bits)
 * — classes as 1 + their index in the lists below, 0 when not declared. A node that declares
 * nothing registers the first four words only. Slarks draw their challenges from the capacity
 * (paper §4.5.2.2: "registered on chain"), so what a node claims there is what it must be able
 * to prove; the declared attributes add to its liveness multiplier (era/attributes.ts).
 */
import { decodeAbiParameters, encodeAbiParameters, type Hex } from 'viem'

/** Milli-CPUs, bytes of memory and storage, GPUs. */
export interface Capacity { cpu: number, memory: number, storage: number, gpuUnits: number }

/** §4.3.6.1: HPC (CPU score over 50 000), general purpose, basic (≤ 48 threads, score under 20 000). */
export const COMPUTE_CLASSES = ['basic', 'general', 'hpc'] as const
/** §4.3.6.2. */
export const STORAGE_CLASSES = ['hdd', 'ssd', 'nvme'] as const
/** §4.3.6.3: five price bands, two tiers each. */
export const GPU_CLASSES = ['entry-1', 'entry-2', 'low-1', 'low-2', 'medium-1', 'medium-2', 'high-1', 'high-2', 'ultra-1', 'ultra-2'] as const
/** §4.3.6.4: < 100/75 Mbps, < 500/400 Mbps, < 1 Gbps/800 Mbps, > 5/5 Gbps down/up. */
export const CONNECTIVITY_CLASSES = ['low', 'medium', 'high', 'ultra'] as const
/** §4.3.6.5. */
export const COMPLIANCE_STANDARDS = ['soc2', 'hipaa', 'gdpr'] as const

export interface DeclaredAttributes {
  compute?: typeof COMPUTE_CLASSES[number]
  storage?: typeof STORAGE_CLASSES[number]
  gpu?: typeof GPU_CLASSES[number]
  connectivity?: typeof CONNECTIVITY_CLASSES[number]
  compliance?: Array<typeof COMPLIANCE_STANDARDS[number]>
}

const CAPACITY = [{ type: 'uint64' }, { type: 'uint64' }, { type: 'uint64' }, { type: 'uint32' }] as const
const WITH_DECLARED = [...CAPACITY, { type: 'uint8' }, { type: 'uint8' }, { type: 'uint8' }, { type: 'uint8' }, { type: 'uint8' }] as const
const ZERO: Capacity = { cpu: 0, memory: 0, storage: 0, gpuUnits: 0 }

const code = <T extends string>(list: readonly T[], v: T | undefined): number => v === undefined ? 0 : list.indexOf(v) + 1
const named = <T extends string>(list: readonly T[], n: number): T | undefined => n >= 1 && n <= list.length ? list[n - 1] : undefined
const declaresAnything = (a: DeclaredAttributes): boolean =>
  a.compute !== undefined || a.storage !== undefined || a.gpu !== undefined || a.connectivity !== undefined || (a.compliance?.length ?? 0) > 0

export function encodeCapacity (c: Capacity, declared: DeclaredAttributes = {}): Hex {
  const capacity = [BigInt(c.cpu), BigInt(c.memory), BigInt(c.storage), c.gpuUnits] as const
  if (!declaresAnything(declared)) return encodeAbiParameters(CAPACITY, capacity)
  const compliance = (declared.compliance ?? []).reduce((bits, s) => bits | (1 << COMPLIANCE_STANDARDS.indexOf(s)), 0)
  return encodeAbiParameters(WITH_DECLARED, [...capacity, code(COMPUTE_CLASSES, declared.compute), code(STORAGE_CLASSES, declared.storage),
    code(GPU_CLASSES, declared.gpu), code(CONNECTIVITY_CLASSES, declared.connectivity), compliance])
}

/** The capacity and declared attributes in registry attributes; zero and none for other bytes. */
export function decodeAttributes (attributes: Hex): { capacity: Capacity, declared: DeclaredAttributes } {
  try {
    if ((attributes.length - 2) / 64 >= WITH_DECLARED.length) {
      const [cpu, memory, storage, gpuUnits, compute, storageClass, gpu, connectivity, compliance] = decodeAbiParameters(WITH_DECLARED, attributes)
      const declared: DeclaredAttributes = {}
      const set = <K extends keyof DeclaredAttributes>(k: K, v: DeclaredAttributes[K]): void => { if (v !== undefined) declared[k] = v }
      set('compute', named(COMPUTE_CLASSES, compute))
      set('storage', named(STORAGE_CLASSES, storageClass))
      set('gpu', named(GPU_CLASSES, gpu))
      set('connectivity', named(CONNECTIVITY_CLASSES, connectivity))
      const standards = COMPLIANCE_STANDARDS.filter((_, i) => ((compliance >> i) & 1) === 1)
      if (standards.length > 0) declared.compliance = standards
      return { capacity: { cpu: Number(cpu), memory: Number(memory), storage: Number(storage), gpuUnits }, declared }
    }
    const [cpu, memory, storage, gpuUnits] = decodeAbiParameters(CAPACITY, attributes)
    return { capacity: { cpu: Number(cpu), memory: Number(memory), storage: Number(storage), gpuUnits }, declared: {} }
  } catch {
    return { capacity: ZERO, declared: {} }
  }
}

/** The capacity in registry attributes; zero for a node that registered none (or other bytes). */
export function decodeCapacity (attributes: Hex): Capacity {
  return decodeAttributes(attributes).capacity
}
