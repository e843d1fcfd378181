import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { ATTRIBUTE_BPS, attributeMultipliers, decodeAttributes, decodeCapacity, encodeCapacity, type Capacity } from '../src/index.js'

const CAP: Capacity = { cpu: 8000, memory: 16 * 2 ** 30, storage: 2 ** 40, gpuUnits: 2 }

test('capacity alone: four words, decoded with no declared attributes', () => {
  const hex = encodeCapacity(CAP)
  assert.is((hex.length - 2) / 64, 4)
  assert.equal(decodeAttributes(hex), { capacity: CAP, declared: {} })
})

test('declared attributes round-trip, after the capacity (which reads as before)', () => {
  const declared = { compute: 'hpc', storage: 'nvme', gpu: 'high-1', connectivity: 'ultra', compliance: ['soc2', 'gdpr'] } as const
  const hex = encodeCapacity(CAP, { ...declared, compliance: [...declared.compliance] })
  assert.is((hex.length - 2) / 64, 9)
  assert.equal(decodeAttributes(hex), { capacity: CAP, declared: { ...declared, compliance: ['soc2', 'gdpr'] } })
  assert.equal(decodeCapacity(hex), CAP)
  assert.equal(decodeAttributes(encodeCapacity(CAP, { storage: 'hdd' })).declared, { storage: 'hdd' })
})

test('other bytes: zero capacity, nothing declared; unknown class codes are ignored', () => {
  assert.equal(decodeAttributes('0x'), { capacity: { cpu: 0, memory: 0, storage: 0, gpuUnits: 0 }, declared: {} })
  const hex = encodeCapacity(CAP, { compute: 'basic' })
  const bogus = (hex.slice(0, 2 + 64 * 4) + '00'.repeat(31) + '09' + hex.slice(2 + 64 * 5)) as `0x${string}`
  assert.equal(decodeAttributes(bogus).declared, {})
})

test('multipliers: each declared class adds its basis points; GPU classes need registered GPUs', () => {
  assert.equal(attributeMultipliers({}, CAP), { compute: 0, storage: 0, gpu: 0, connectivity: 0, compliance: 0 })
  assert.equal(attributeMultipliers({ compute: 'hpc', storage: 'ssd', gpu: 'ultra-2', connectivity: 'high', compliance: ['soc2', 'hipaa', 'gdpr', 'soc2'] }, CAP),
    { compute: 1_500, storage: 500, gpu: 10_000, connectivity: 500, compliance: 750 })
  assert.is(attributeMultipliers({ gpu: 'ultra-2' }, { ...CAP, gpuUnits: 0 }).gpu, 0)
  // Better classes never add less.
  for (const table of Object.values(ATTRIBUTE_BPS)) {
    const v = Object.values(table) as number[]
    for (let i = 1; i < v.length; i++) assert.ok(v[i] >= v[i - 1] || table === ATTRIBUTE_BPS.compliance)
  }
})

test.run()
