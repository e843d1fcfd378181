/**
 * The era report's canonical form: `abi.encode(report)` of the struct below, and its keccak256,
 * which a BLS quorum of slarks signs and a Rewards contract recomputes from the payout arrays it
 * is handed. In Solidity:
 *
 *   struct Payment { address account; uint256 amount; }
 *   struct TierSet { address account; uint8 tier; }
 *   struct SlarkDelegation { address slark; address provider; uint256 amount; }
 *   struct EraReport { uint64 era; Payment[] rewards; Payment[] slashes; TierSet[] tiers;
 *                      TierSet[] slarkTiers; SlarkDelegation[] delegations; bytes32 historyHash; }
 *
 * `historyHash` = keccak256(abi.encode(ProviderState[], SlarkState[])) commits to every node's
 * carried history (tier, streaks, offline carry; ERA_HISTORY_ABI), so the next era's input can be
 * checked against what the quorum signed. The `why` lines and per-node figures are not hashed.
 *
 * The words are written straight into one buffer (every element is a static tuple) and hashed
 * with WebAssembly keccak: the same bytes as viem's `encodeAbiParameters(ERA_REPORT_ABI, …)` —
 * the tests check that — at 100k providers in well under a second instead of several.
 */
import { createKeccak } from '../keccak-wasm.js'
import type { Hex } from '../types.js'
import type { Address } from '../types.js'
import type { EraReport, ProviderHistory, SlarkHistory } from './types.js'

/** What the hash covers: the era, the payouts and every node's history (a full EraReport, or a SettledEra). */
export type HashedEraReport = Pick<EraReport, 'era' | 'payouts'> & {
  providers: ReadonlyArray<{ address: Address, history: ProviderHistory }>
  slarks: ReadonlyArray<{ address: Address, history: SlarkHistory }>
}

const payment = [{ name: 'account', type: 'address' }, { name: 'amount', type: 'uint256' }] as const
const tierSet = [{ name: 'account', type: 'address' }, { name: 'tier', type: 'uint8' }] as const

export const ERA_REPORT_ABI = [{
  name: 'report',
  type: 'tuple',
  components: [
    { name: 'era', type: 'uint64' },
    { name: 'rewards', type: 'tuple[]', components: payment },
    { name: 'slashes', type: 'tuple[]', components: payment },
    { name: 'tiers', type: 'tuple[]', components: tierSet },
    { name: 'slarkTiers', type: 'tuple[]', components: tierSet },
    { name: 'delegations', type: 'tuple[]', components: [{ name: 'slark', type: 'address' }, { name: 'provider', type: 'address' }, { name: 'amount', type: 'uint256' }] },
    { name: 'historyHash', type: 'bytes32' }
  ]
}] as const

export const ERA_HISTORY_ABI = [
  {
    name: 'providers',
    type: 'tuple[]',
    components: [
      { name: 'account', type: 'address' },
      { name: 'tier', type: 'uint8' },
      { name: 'promoteStreak', type: 'uint8' },
      { name: 'demoteStreak', type: 'uint8' },
      { name: 'offlineSeconds', type: 'uint64' },
      { name: 'offlineSlashed', type: 'bool' },
      { name: 'cooldownSeconds', type: 'uint32' }
    ]
  },
  {
    name: 'slarks',
    type: 'tuple[]',
    components: [
      { name: 'account', type: 'address' },
      { name: 'tier', type: 'uint8' },
      { name: 'promoteStreak', type: 'uint8' },
      { name: 'demoteStreak', type: 'uint8' }
    ]
  }
] as const

const keccak = await createKeccak(256)

function keccakOf (bytes: Uint8Array): Hex {
  keccak.init()
  keccak.update(bytes)
  return `0x${keccak.digest('hex')}`
}

/** 32-byte big-endian words written in order into a zeroed buffer. */
class Words {
  readonly buf: Buffer
  private at = 0
  constructor (words: number) { this.buf = Buffer.alloc(words * 32) }
  address (a: string): void {
    if (a.length !== 42 || this.buf.write(a.slice(2), this.at + 12, 20, 'hex') !== 20) throw new Error(`era report: ${a} is not an address`)
    this.at += 32
  }

  /** An unsigned integer of `bits` ≤ 48 bits given as a number. */
  small (n: number, bits: number): void {
    if (!Number.isInteger(n) || n < 0 || n >= 2 ** bits) throw new Error(`era report: ${n} does not fit in uint${bits}`)
    this.buf.writeUIntBE(n, this.at + 26, 6)
    this.at += 32
  }

  uint (v: bigint, bits: number): void {
    if (v < 0n || v >= 1n << BigInt(bits)) throw new Error(`era report: ${v} does not fit in uint${bits}`)
    this.buf.write(v.toString(16).padStart(64, '0'), this.at, 32, 'hex')
    this.at += 32
  }

  bytes32 (h: Hex): void {
    this.buf.write(h.slice(2), this.at, 32, 'hex')
    this.at += 32
  }
}

/** abi.encode(ProviderState[], SlarkState[]) of a report's carried history. */
export function encodeEraHistory (report: HashedEraReport): Buffer {
  const { providers, slarks } = report
  const w = new Words(2 + 1 + providers.length * 7 + 1 + slarks.length * 4)
  w.small(2 * 32, 48)
  w.small((3 + providers.length * 7) * 32, 48)
  w.small(providers.length, 48)
  for (const r of providers) {
    const h = r.history
    w.address(r.address)
    w.small(h.tier, 8)
    w.small(h.promoteStreak, 8)
    w.small(h.demoteStreak, 8)
    w.small(h.offlineSeconds, 48) // uint64 in the ABI; 48 bits of seconds are 8.9 million years
    w.small(h.offlineSlashed ? 1 : 0, 8)
    w.small(h.cooldownSeconds, 32)
  }
  w.small(slarks.length, 48)
  for (const s of slarks) {
    w.address(s.address)
    w.small(s.history.tier, 8)
    w.small(s.history.promoteStreak, 8)
    w.small(s.history.demoteStreak, 8)
  }
  return w.buf
}

export function eraHistoryHash (report: HashedEraReport): Hex {
  return keccakOf(encodeEraHistory(report))
}

function encodeReport (report: HashedEraReport): Buffer {
  const { rewards, slashes, tiers, slarkTiers, delegations } = report.payouts
  const sizes = [rewards.length * 2, slashes.length * 2, tiers.length * 2, slarkTiers.length * 2, delegations.length * 3]
  const head = 7
  const w = new Words(1 + head + sizes.reduce((a, b) => a + b + 1, 0))
  w.small(32, 48) // offset of the tuple
  w.uint(BigInt(report.era), 64)
  let offset = head
  for (const size of sizes) {
    w.small(offset * 32, 48)
    offset += 1 + size
  }
  w.bytes32(eraHistoryHash(report))
  w.small(rewards.length, 48)
  for (const x of rewards) { w.address(x.account); w.uint(x.amount, 256) }
  w.small(slashes.length, 48)
  for (const x of slashes) { w.address(x.account); w.uint(x.amount, 256) }
  w.small(tiers.length, 48)
  for (const x of tiers) { w.address(x.account); w.small(x.tier, 8) }
  w.small(slarkTiers.length, 48)
  for (const x of slarkTiers) { w.address(x.account); w.small(x.tier, 8) }
  w.small(delegations.length, 48)
  for (const x of delegations) { w.address(x.slark); w.address(x.provider); w.uint(x.amount, 256) }
  return w.buf
}

/** `abi.encode(report)` as 0x-hex. */
export function encodeEraReport (report: HashedEraReport): Hex {
  return `0x${encodeReport(report).toString('hex')}`
}

/** keccak256 of `encodeEraReport`: what slarks sign. */
export function eraReportHash (report: HashedEraReport): Hex {
  return keccakOf(encodeReport(report))
}
