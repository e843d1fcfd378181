/**
 * The challenge schedule (SPEC.md, Slark): slots of `slotSeconds` from the Challenges contract's
 * genesis, epochs of 24 slots, and which providers each slot challenges.
 *
 * Every provider is challenged exactly once an epoch. At the epoch's start its providers are put
 * in one order — new registrations first (oldest first), then reported ones (most reports
 * first), then the rest in an order drawn from the epoch seed — and slot i of the epoch takes
 * the i-th of 24 near-equal consecutive shares. Everything comes from chain data (the epoch
 * seed, registration times, reports), so every node computes the same list.
 */
import type { Address, Hex } from 'viem'
import { keccak256Bytes } from '@dcn/protocol'

export const SLOTS_PER_EPOCH = 24

export interface SlotClock {
  /** Unix seconds where slot 0 starts. */
  genesis: number
  slotSeconds: number
}

export const slotAt = (clock: SlotClock, unixSeconds: number): number =>
  Math.max(0, Math.floor((unixSeconds - clock.genesis) / clock.slotSeconds))
export const slotStart = (clock: SlotClock, slot: number): number => clock.genesis + slot * clock.slotSeconds
export const epochOf = (slot: number): number => Math.floor(slot / SLOTS_PER_EPOCH)
export const firstSlotOf = (epoch: number): number => epoch * SLOTS_PER_EPOCH

export interface ScheduledProvider {
  address: Address
  /** Unix seconds of its registration on chain. */
  registeredAt: number
  /** Reports against it (low user ratings) up to the epoch's start. */
  reports: number
}

export interface EpochPlan {
  epoch: number
  /** All providers in challenge order. */
  order: Address[]
  /** order split into the epoch's slots: slots[i] is what slot `firstSlotOf(epoch) + i` challenges. */
  slots: Address[][]
}

/** epochSeed ‖ provider, reused for every draw (they are synchronous). */
const RANK_INPUT = Buffer.alloc(52)

interface Ranked { p: ScheduledProvider, digest: Uint8Array, top: number }

/**
 * Draw rank of a provider in an epoch: keccak256(epochSeed ‖ provider) as a number (the seed
 * must be in RANK_INPUT already). `top` holds its first 48 bits; equal tops compare the digests.
 */
function drawRank (p: ScheduledProvider): Ranked {
  RANK_INPUT.write(p.address.slice(2), 32, 20, 'hex')
  const d = keccak256Bytes(RANK_INPUT)
  return { p, digest: d, top: ((d[0] * 256 + d[1]) * 256 + d[2]) * 2 ** 24 + ((d[3] * 256 + d[4]) * 256 + d[5]) }
}

function byRank (a: Ranked, b: Ranked): number {
  if (a.top !== b.top) return a.top - b.top
  for (let i = 6; i < 32; i++) if (a.digest[i] !== b.digest[i]) return a.digest[i] - b.digest[i]
  return a.p.address.toLowerCase() < b.p.address.toLowerCase() ? -1 : 1
}

/**
 * The epoch's plan. A provider is "new" when it registered during the previous epoch or this
 * one's start (after `previousEpochStart`); providers registered after `epochStart` wait for
 * the next epoch (the caller passes only those registered by then).
 */
export function planEpoch (epoch: number, epochSeed: Hex, providers: ScheduledProvider[], previousEpochStart: number): EpochPlan {
  const byAddress = (a: ScheduledProvider, b: ScheduledProvider): number => a.address.toLowerCase() < b.address.toLowerCase() ? -1 : 1
  RANK_INPUT.write(epochSeed.slice(2), 0, 32, 'hex')
  const unique = [...new Map(providers.map(p => [p.address.toLowerCase(), p])).values()]
  const fresh = unique.filter(p => p.registeredAt > previousEpochStart)
    .sort((a, b) => a.registeredAt - b.registeredAt || byAddress(a, b))
  const reported = unique.filter(p => p.registeredAt <= previousEpochStart && p.reports > 0)
    .sort((a, b) => b.reports - a.reports || byAddress(a, b))
  const rest = unique.filter(p => p.registeredAt <= previousEpochStart && p.reports === 0)
    .map(drawRank)
    .sort(byRank)
    .map(x => x.p)
  const order = [...fresh, ...reported, ...rest].map(p => p.address)
  const slots = Array.from({ length: SLOTS_PER_EPOCH }, (_, i) =>
    order.slice(Math.floor(i * order.length / SLOTS_PER_EPOCH), Math.floor((i + 1) * order.length / SLOTS_PER_EPOCH)))
  return { epoch, order, slots }
}

/** The providers a slot challenges. */
export function providersForSlot (plan: EpochPlan, slot: number): Address[] {
  if (epochOf(slot) !== plan.epoch) throw new Error(`slot ${slot} is not in epoch ${plan.epoch}`)
  return plan.slots[slot - firstSlotOf(plan.epoch)]
}

/**
 * Everything slot `slot` challenges: the providers that registered since the epoch started and
 * have not been challenged in it yet (`challenged`: those with a commitment in an earlier slot
 * of the epoch) — new registrations first, without waiting for the next epoch — then the
 * slot's share of its epoch's plan (the providers registered by the epoch's start).
 */
export function slotProviders (clock: SlotClock, slot: number, epochSeed: Hex, providers: ScheduledProvider[], challenged: ReadonlySet<string> = new Set()): Address[] {
  const epoch = epochOf(slot)
  const epochStart = slotStart(clock, firstSlotOf(epoch))
  const previousEpochStart = epoch === 0 ? -Infinity : slotStart(clock, firstSlotOf(epoch - 1))
  const plan = planEpoch(epoch, epochSeed, providers.filter(p => p.registeredAt <= epochStart), previousEpochStart)
  return [...newcomers(clock, slot, providers).filter(a => !challenged.has(a.toLowerCase())), ...providersForSlot(plan, slot)]
}

/** Providers registered after the slot's epoch started and before the slot did, oldest first. */
export function newcomers (clock: SlotClock, slot: number, providers: ScheduledProvider[]): Address[] {
  const epochStart = slotStart(clock, firstSlotOf(epochOf(slot)))
  return providers.filter(p => p.registeredAt > epochStart && p.registeredAt <= slotStart(clock, slot))
    .sort((a, b) => a.registeredAt - b.registeredAt || (a.address.toLowerCase() < b.address.toLowerCase() ? -1 : 1))
    .map(p => p.address)
}
