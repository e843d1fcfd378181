/**
 * Attribute multipliers (paper §4.3.6): what a provider's declared attributes add, in basis
 * points, to its trust tier's liveness multiplier. The paper leaves the figures to "phase one";
 * these are dcn's, ordered as the paper orders the classes. A GPU class counts only for a node
 * that registered GPUs (the capacity slarks challenge); the other classes are the operator's
 * declaration, which users' ratings and reports answer for.
 */
import type { Capacity, DeclaredAttributes } from '../settlement/attributes.js'
import type { Attributes } from './types.js'

export const ATTRIBUTE_BPS = {
  compute: { basic: 0, general: 500, hpc: 1_500 },
  storage: { hdd: 0, ssd: 500, nvme: 1_000 },
  gpu: {
    'entry-1': 500, 'entry-2': 1_000, 'low-1': 1_500, 'low-2': 2_000, 'medium-1': 3_000,
    'medium-2': 4_000, 'high-1': 5_000, 'high-2': 6_000, 'ultra-1': 8_000, 'ultra-2': 10_000
  },
  connectivity: { low: 0, medium: 250, high: 500, ultra: 1_000 },
  /** Per standard met. */
  compliance: { soc2: 250, hipaa: 250, gdpr: 250 }
} as const

export function attributeMultipliers (declared: DeclaredAttributes, capacity: Capacity): Attributes {
  return {
    compute: declared.compute === undefined ? 0 : ATTRIBUTE_BPS.compute[declared.compute],
    storage: declared.storage === undefined ? 0 : ATTRIBUTE_BPS.storage[declared.storage],
    gpu: declared.gpu === undefined || capacity.gpuUnits === 0 ? 0 : ATTRIBUTE_BPS.gpu[declared.gpu],
    connectivity: declared.connectivity === undefined ? 0 : ATTRIBUTE_BPS.connectivity[declared.connectivity],
    compliance: [...new Set(declared.compliance ?? [])].reduce((sum, s) => sum + ATTRIBUTE_BPS.compliance[s], 0)
  }
}
