import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { encodePacked, hexToBigInt, keccak256, toHex, type Address, type Hex } from 'viem'
import { SLOTS_PER_EPOCH, epochOf, firstSlotOf, planEpoch, providersForSlot, slotAt, slotProviders, slotStart, type ScheduledProvider } from '../src/schedule.js'
import { specHash, type Capacity } from '@dcn/protocol'
import { challengeSpec } from '../src/challenge-spec.js'

const addr = (i: number): Address => `0x${i.toString(16).padStart(40, '0')}`
const seed = (s: string): Hex => keccak256(toHex(s))
const EPOCH_START = 1_000_000
const old = (i: number, reports = 0): ScheduledProvider => ({ address: addr(i), registeredAt: EPOCH_START - 10_000 - i, reports })

test('slots and epochs from the genesis', () => {
  const clock = { genesis: 1000, slotSeconds: 20 }
  assert.is(slotAt(clock, 999), 0)
  assert.is(slotAt(clock, 1019), 0)
  assert.is(slotAt(clock, 1020), 1)
  assert.is(slotStart(clock, 5), 1100)
  assert.is(epochOf(23), 0)
  assert.is(epochOf(24), 1)
  assert.is(firstSlotOf(2), 48)
})

test('every provider is challenged exactly once an epoch, in near-equal shares', () => {
  for (const n of [0, 1, 5, 24, 25, 100, 1000]) {
    const providers = Array.from({ length: n }, (_, i) => old(i + 1))
    const plan = planEpoch(3, seed('epoch 3'), providers, EPOCH_START - 100)
    const all = plan.slots.flat()
    assert.is(all.length, n)
    assert.is(new Set(all).size, n)
    const sizes = plan.slots.map(s => s.length)
    assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1, `shares ${sizes.join(',')}`)
    assert.equal(providersForSlot(plan, firstSlotOf(3)), plan.slots[0])
  }
})

test('new registrations first (oldest first), then reported (most reports first), then the draw', () => {
  const providers = [old(1), old(2, 1), old(3), old(4, 5), old(5),
    { address: addr(6), registeredAt: EPOCH_START - 50, reports: 0 },
    { address: addr(7), registeredAt: EPOCH_START - 80, reports: 9 }]
  const plan = planEpoch(1, seed('e1'), providers, EPOCH_START - 100)
  assert.equal(plan.order.slice(0, 4), [addr(7), addr(6), addr(4), addr(2)])
  assert.equal(new Set(plan.order.slice(4)), new Set([addr(1), addr(3), addr(5)]))
})

test('the draw depends on the epoch seed only, not on input order', () => {
  const providers = Array.from({ length: 50 }, (_, i) => old(i + 1))
  const a = planEpoch(1, seed('x'), providers, EPOCH_START)
  const b = planEpoch(1, seed('x'), [...providers].reverse(), EPOCH_START)
  const c = planEpoch(1, seed('y'), providers, EPOCH_START)
  assert.equal(a.order, b.order)
  assert.not.equal(a.order, c.order)
  assert.throws(() => providersForSlot(a, firstSlotOf(2)), /not in epoch 1/)
})

test('a provider registered during an epoch is challenged from the next slot until a slot commits to it, then from the next epoch on', () => {
  const clock = { genesis: 0, slotSeconds: 20 }
  const base = Array.from({ length: 48 }, (_, i) => ({ address: addr(i + 1), registeredAt: -100, reports: 0 }))
  const late = { address: addr(999), registeredAt: slotStart(clock, 5) + 3, reports: 0 }
  const all = [...base, late]
  assert.not.ok(slotProviders(clock, 5, seed('e0'), all).includes(addr(999)), 'not before it registered')
  assert.equal(slotProviders(clock, 6, seed('e0'), all)[0], addr(999), 'first in the slot after its registration')
  assert.equal(slotProviders(clock, 7, seed('e0'), all)[0], addr(999), 'again while no slot committed to it')
  const committed = new Set([addr(999)])
  const epoch0 = Array.from({ length: SLOTS_PER_EPOCH }, (_, s) => slotProviders(clock, s, seed('e0'), all, s > 6 ? committed : undefined))
  assert.is(epoch0.flat().filter(a => a === addr(999)).length, 1)
  assert.is(new Set(epoch0.flat()).size, 49, 'everyone else once')
  const epoch1 = Array.from({ length: SLOTS_PER_EPOCH }, (_, i) => slotProviders(clock, SLOTS_PER_EPOCH + i, seed('e1'), all))
  assert.is(epoch1.flat().length, 49)
  assert.is(new Set(epoch1.flat()).size, 49)
})

const registered: Capacity = { cpu: 4000, memory: 8 * 2 ** 30, storage: 100 * 2 ** 30, gpuUnits: 2 }

test('a challenge asks for [0, 90%] of the free capacity, the same for every node', () => {
  const inUse: Capacity = { cpu: 1000, memory: 2 * 2 ** 30, storage: 0, gpuUnits: 2 }
  const shares: number[] = []
  for (let i = 0; i < 2000; i++) {
    const s = challengeSpec(seed(`slot ${i}`), addr(1), registered, inUse)
    assert.equal(s, challengeSpec(seed(`slot ${i}`), addr(1), registered, inUse))
    assert.ok(s.cpu >= 0 && s.cpu <= 0.9 * 3000, `cpu ${s.cpu}`)
    assert.ok(s.memory >= 0 && s.memory <= 0.9 * 6 * 2 ** 30)
    assert.ok(s.disk <= 0.9 * 100 * 2 ** 30)
    assert.is(s.gpu, 0, 'no free GPU, no GPU asked')
    assert.ok(Number.isInteger(s.memory))
    shares.push(s.memory / (6 * 2 ** 30))
  }
  const mean = shares.reduce((a, b) => a + b, 0) / shares.length
  assert.ok(Math.abs(mean - 0.45) < 0.03, `mean share ${mean}`)
  assert.ok(Math.max(...shares) > 0.85 && Math.min(...shares) < 0.05, 'the whole range is drawn')
})

test('the spec hash changes with every field', () => {
  const s = challengeSpec(seed('s'), addr(2), registered, { cpu: 0, memory: 0, storage: 0, gpuUnits: 0 })
  const h = specHash(s)
  for (const k of ['cpu', 'memory', 'disk', 'gpu'] as const) assert.not.equal(specHash({ ...s, [k]: s[k] + 1 }), h, k)
  assert.not.equal(challengeSpec(seed('s'), addr(3), registered, { cpu: 0, memory: 0, storage: 0, gpuUnits: 0 }), s)
  assert.is(SLOTS_PER_EPOCH, 24)
})

test('the WebAssembly keccak draws the same specs and epoch order as viem does', () => {
  const registered: Capacity = { cpu: 64_000, memory: 2 ** 38, storage: 2 ** 41, gpuUnits: 4 }
  const inUse: Capacity = { cpu: 1500, memory: 2 ** 30, storage: 0, gpuUnits: 1 }
  const KEYS = ['cpu', 'memory', 'storage', 'gpuUnits'] as const
  for (let i = 1; i <= 50; i++) {
    const s = seed(`slot ${i}`)
    const [cpu, memory, disk, gpu] = KEYS.map((k, j) => {
      const draw = hexToBigInt(keccak256(encodePacked(['bytes32', 'address', 'uint8'], [s, addr(i * 7919), j])))
      return Number(BigInt(registered[k] - inUse[k]) * 9000n * draw / (10_000n << 256n))
    })
    assert.equal(challengeSpec(s, addr(i * 7919), registered, inUse), { cpu, memory, disk, gpu })
  }
  const providers = Array.from({ length: 200 }, (_, i) => old(i * 104_729 + 1))
  const s = seed('epoch 9')
  const expected = [...providers].sort((a, b) => {
    const ra = hexToBigInt(keccak256(encodePacked(['bytes32', 'address'], [s, a.address])))
    const rb = hexToBigInt(keccak256(encodePacked(['bytes32', 'address'], [s, b.address])))
    return ra < rb ? -1 : 1
  }).map(p => p.address)
  assert.equal(planEpoch(9, s, providers, EPOCH_START).order, expected)
})

test.run()
