/**
 * Settlement operations as plain functions over clients and a deployment (in the manner of
 * viem's actions). Each write is simulated first, so a revert is reported with its reason and
 * nothing is sent; failures throw a SettlementError with one line to show the user.
 */
import { parseEventLogs, type Address, type Hex } from 'viem'
import { EscrowAbi, LeasesAbi, ProviderRegistryAbi, StakingAbi, TokenAbi } from '../contracts/artifacts.js'
import { MODES, type Bid, type Match, type Order, type Resources } from '../types.js'
import type { BlsRegistration } from '../bls/pop.js'
import { SettlementError, settlementError, waitForReceipt, type SettlementClients } from './clients.js'
import type { Deployment } from './deploy.js'

export const ROLE_IDS = { provider: 1, gateway: 2, fizz: 3, matcher: 4, slark: 5 } as const

/**
 * Gas added to every estimate. A lease's payment depends on block.timestamp: estimated in the
 * second of its last settlement nothing has accrued (withdraw or close moves no funds, ~27k or
 * ~55k gas), but mined a second later it pays, charges fees and may close (up to ~66k more
 * measured), so an exact estimate ran out of gas and the transaction reverted.
 */
export const GAS_HEADROOM = 150_000n

/** Simulates, sends and waits for a contract call; returns the receipt's logs. */
export async function write (c: SettlementClients, action: string, call: { address: Address, abi: readonly unknown[], functionName: string, args?: readonly unknown[] }) {
  try {
    const { request } = await c.public.simulateContract({ ...call, account: c.account } as Parameters<SettlementClients['public']['simulateContract']>[0])
    const gas = await c.public.estimateContractGas({ ...call, account: c.account } as Parameters<SettlementClients['public']['estimateContractGas']>[0]) + GAS_HEADROOM
    const hash = await c.wallet.writeContract({ ...request, gas } as Parameters<SettlementClients['wallet']['writeContract']>[0])
    const receipt = await waitForReceipt(c, hash)
    if (receipt.status !== 'success') throw new Error(`transaction ${hash} reverted`)
    return receipt
  } catch (err) {
    throw settlementError(err, action)
  }
}

export async function read<T> (c: SettlementClients, action: string, call: { address: Address, abi: readonly unknown[], functionName: string, args?: readonly unknown[], blockNumber?: bigint }): Promise<T> {
  try {
    return await c.public.readContract(call as Parameters<SettlementClients['public']['readContract']>[0]) as T
  } catch (err) {
    throw settlementError(err, action)
  }
}

// ------------------------------------------------------------------ tokens

export async function tokenBalance (c: SettlementClients, token: Address, who: Address = c.account.address): Promise<bigint> {
  return await read(c, 'reading the token balance', { address: token, abi: TokenAbi, functionName: 'balanceOf', args: [who] })
}

export async function faucet (c: SettlementClients, token: Address, amount: bigint): Promise<void> {
  await write(c, 'faucet', { address: token, abi: TokenAbi, functionName: 'faucet', args: [amount] })
}

export async function approve (c: SettlementClients, token: Address, spender: Address, amount: bigint): Promise<void> {
  const allowance = await read<bigint>(c, 'reading the allowance', { address: token, abi: TokenAbi, functionName: 'allowance', args: [c.account.address, spender] })
  if (allowance < amount) await write(c, 'approving the token', { address: token, abi: TokenAbi, functionName: 'approve', args: [spender, amount] })
}

// ------------------------------------------------------------------ escrow

export interface EscrowBalance { token: Address, unlocked: bigint, locked: bigint, wallet: bigint }

export async function escrowBalance (c: SettlementClients, d: Deployment, token: Address, who: Address = c.account.address): Promise<EscrowBalance> {
  const [unlocked, locked, wallet] = await Promise.all([
    read<bigint>(c, 'reading the escrow balance', { address: d.escrow, abi: EscrowAbi, functionName: 'balanceOf', args: [who, token] }),
    read<bigint>(c, 'reading the escrow balance', { address: d.escrow, abi: EscrowAbi, functionName: 'lockedOf', args: [who, token] }),
    tokenBalance(c, token, who)
  ])
  return { token, unlocked, locked, wallet }
}

export async function deposit (c: SettlementClients, d: Deployment, token: Address, amount: bigint): Promise<void> {
  const have = await tokenBalance(c, token)
  if (have < amount) throw settlementError(new Error(`the wallet ${c.account.address} holds ${have} base units of the token, less than ${amount}`), 'deposit')
  await approve(c, token, d.escrow, amount)
  await write(c, 'deposit', { address: d.escrow, abi: EscrowAbi, functionName: 'deposit', args: [token, amount] })
}

export async function withdrawEscrow (c: SettlementClients, d: Deployment, token: Address, amount: bigint): Promise<void> {
  await write(c, 'withdraw', { address: d.escrow, abi: EscrowAbi, functionName: 'withdraw', args: [token, amount] })
}

// ------------------------------------------------------- registry, staking

export interface NodeRecord {
  role: number
  approved: boolean
  tier: number
  registeredAt: bigint
  gateway: Address
  peerId: string
  region: string
  attributes: Hex
  /** 48 bytes compressed; '0x' for nodes without one. */
  blsPublicKey: Hex
  /** The same key as a 128-byte EIP-2537 G1 point. */
  blsPublicKeyG1: Hex
}

export async function nodeRecord (c: SettlementClients, d: Deployment, who: Address, blockNumber?: bigint): Promise<NodeRecord> {
  return await read(c, 'reading the registry', { address: d.registry, abi: ProviderRegistryAbi, functionName: 'nodeOf', args: [who], blockNumber })
}

/**
 * Registers the caller under a role; does nothing when it is already registered with these
 * details. Matchers and slarks pass their BLS key with its proof of possession
 * (`blsRegistration(key)`), which the registry verifies; other roles pass none. `attributes`:
 * a provider's capacity (`encodeCapacity`, what slarks challenge), a slark's chosen provider.
 */
export async function registerNode (c: SettlementClients, d: Deployment, role: Exclude<keyof typeof ROLE_IDS, 'fizz'>, peerId: string, region: string, bls?: BlsRegistration, attributes: Hex = '0x'): Promise<boolean> {
  const needsBls = role === 'matcher' || role === 'slark'
  if (needsBls !== (bls !== undefined)) throw new SettlementError(`registration failed: ${needsBls ? `a ${role} registers a BLS key with its proof of possession` : `a ${role} registers no BLS key`}`)
  const current = await nodeRecord(c, d, c.account.address)
  if (current.role === ROLE_IDS[role] && current.peerId === peerId && current.region === region && current.attributes === attributes &&
    current.blsPublicKey === (bls?.publicKey.toLowerCase() ?? '0x')) return false
  await write(c, 'registration', {
    address: d.registry, abi: ProviderRegistryAbi, functionName: 'register', args: [ROLE_IDS[role], peerId, region, attributes, bls?.publicKey ?? '0x', bls?.publicKeyG1 ?? '0x', bls?.pop ?? '0x']
  })
  return true
}

export async function setTier (c: SettlementClients, d: Deployment, who: Address, tier: number): Promise<void> {
  await write(c, 'setting the tier', { address: d.registry, abi: ProviderRegistryAbi, functionName: 'setTier', args: [who, tier] })
}

export async function stakeOf (c: SettlementClients, d: Deployment, who: Address, blockNumber?: bigint): Promise<bigint> {
  return await read(c, 'reading the stake', { address: d.staking, abi: StakingAbi, functionName: 'stakeOf', args: [who], blockNumber })
}

/** Stakes SPON until the caller's stake is at least `target`; returns what was added. */
export async function ensureStake (c: SettlementClients, d: Deployment, target: bigint): Promise<bigint> {
  const current = await stakeOf(c, d, c.account.address)
  if (current >= target) return 0n
  const add = target - current
  await approve(c, d.spon, d.staking, add)
  await write(c, 'staking', { address: d.staking, abi: StakingAbi, functionName: 'stake', args: [add] })
  return add
}

// ------------------------------------------------------------------ leases

type SolResources = { cpu: bigint, mem: bigint, disk: bigint, gpuUnits: number, gpuModel: string }
const solResources = (r: Resources): SolResources => ({ cpu: BigInt(r.cpu), mem: BigInt(r.memory), disk: BigInt(r.storage), gpuUnits: r.gpuUnits, gpuModel: r.gpuModel })

/** The Solidity argument form of an order (mode as its number, `memory`/`storage` as mem/disk). */
export function solOrder (o: Order) {
  return {
    id: o.id, owner: o.owner, resources: solResources(o.resources), region: o.region, minTrustTier: o.minTrustTier, mode: MODES.indexOf(o.mode),
    token: o.token, maxPricePerSecond: o.maxPricePerSecond, duration: BigInt(o.duration), bidDeadlineMs: BigInt(o.bidDeadlineMs),
    refBlock: BigInt(o.refBlock), nonce: o.nonce, createdMs: BigInt(o.createdMs), expiry: BigInt(o.expiry), manifestHash: o.manifestHash
  }
}

export function solBid (b: Bid) {
  return {
    orderId: b.orderId, bidder: b.bidder, peerId: b.peerId, fizzId: b.fizzId, pricePerSecond: b.pricePerSecond, region: b.region,
    tier: b.tier, token: b.token, available: solResources(b.available), capacity: solResources(b.capacity),
    createdMs: BigInt(b.createdMs), expiry: BigInt(b.expiry)
  }
}

export function solMatch (m: Match) {
  return { ...m, createdMs: BigInt(m.createdMs), expiry: BigInt(m.expiry) }
}

/** Fee rates of Leases.sol, in basis points. */
export const LEASE_FEES_BPS = { foundation: 2_000n, token: 200n } as const

/** What a lease locks from its owner's escrow: price × duration, plus the token fee on tokens other than SPON. */
export function leaseLock (d: Deployment, token: Address, pricePerSecond: bigint, duration: number): bigint {
  const base = pricePerSecond * BigInt(duration)
  return token.toLowerCase() === d.spon.toLowerCase() ? base : base + base * LEASE_FEES_BPS.token / 10_000n
}

export interface LeaseSigned { order: Order, orderSig: Hex, bid: Bid, bidSig: Hex, match: Match, matchSig: Hex }

export interface LeaseCreated { leaseId: bigint, locked: bigint, start: bigint, end: bigint, block: bigint }

export async function createLease (c: SettlementClients, d: Deployment, s: LeaseSigned, updating?: bigint): Promise<LeaseCreated> {
  const args = [solOrder(s.order), s.orderSig, solBid(s.bid), s.bidSig, solMatch(s.match), s.matchSig]
  const receipt = updating === undefined
    ? await write(c, 'creating the lease', { address: d.leases, abi: LeasesAbi, functionName: 'createLease', args })
    : await write(c, 'updating the lease', { address: d.leases, abi: LeasesAbi, functionName: 'updateLease', args: [updating, ...args] })
  const created = parseEventLogs({ abi: LeasesAbi, logs: receipt.logs, eventName: 'LeaseCreated' })[0]
  return { leaseId: created.args.leaseId, locked: created.args.locked, start: created.args.start, end: created.args.end, block: receipt.blockNumber }
}

export interface LeaseRecord {
  leaseId: bigint
  orderId: Hex
  owner: Address
  provider: Address
  token: Address
  pricePerSecond: bigint
  start: bigint
  end: bigint
  paidUntil: bigint
  closedAt: bigint
  locked: bigint
  manifestHash: Hex
  peerId: string
  fizzId: string
  rating: number
  /** When the provider paused the lease; 0n while it runs (left set when a paused lease was closed). */
  pausedAt: bigint
}

export async function getLease (c: SettlementClients, d: Deployment, leaseId: bigint): Promise<LeaseRecord> {
  const l = await read<Omit<LeaseRecord, 'leaseId'>>(c, `reading lease ${leaseId}`, { address: d.leases, abi: LeasesAbi, functionName: 'getLease', args: [leaseId] })
  return { leaseId, ...l, start: BigInt(l.start), end: BigInt(l.end), paidUntil: BigInt(l.paidUntil), closedAt: BigInt(l.closedAt), pausedAt: BigInt(l.pausedAt) }
}

/** Leases created for (owner) or with (provider) a wallet, from the LeaseCreated events. */
export async function listLeases (c: SettlementClients, d: Deployment, who: Address, as: 'owner' | 'provider' = 'owner'): Promise<LeaseRecord[]> {
  let logs
  try {
    logs = await c.public.getContractEvents({ address: d.leases, abi: LeasesAbi, eventName: 'LeaseCreated', args: as === 'owner' ? { owner: who } : undefined, fromBlock: BigInt(d.startBlock) })
  } catch (err) {
    throw settlementError(err, 'listing leases')
  }
  const ids = logs.filter(l => as === 'owner' || l.args.provider?.toLowerCase() === who.toLowerCase()).map(l => l.args.leaseId!)
  return await Promise.all(ids.map(async id => await getLease(c, d, id)))
}

export async function accrued (c: SettlementClients, d: Deployment, leaseId: bigint): Promise<{ gross: bigint, toProvider: bigint }> {
  const [gross, toProvider] = await read<[bigint, bigint]>(c, 'reading the accrued payment', { address: d.leases, abi: LeasesAbi, functionName: 'accrued', args: [leaseId] })
  return { gross, toProvider }
}

export async function withdrawLease (c: SettlementClients, d: Deployment, leaseId: bigint): Promise<void> {
  await write(c, 'withdrawing the lease payment', { address: d.leases, abi: LeasesAbi, functionName: 'withdraw', args: [leaseId] })
}

export async function closeLease (c: SettlementClients, d: Deployment, leaseId: bigint): Promise<{ refund: bigint }> {
  const receipt = await write(c, `closing lease ${leaseId}`, { address: d.leases, abi: LeasesAbi, functionName: 'closeLease', args: [leaseId] })
  const closed = parseEventLogs({ abi: LeasesAbi, logs: receipt.logs, eventName: 'LeaseClosed' })[0]
  return { refund: closed.args.refund }
}

/** The provider pauses a lease (its fizz node dropped off): pays what accrued so far, then nothing accrues until resumed. */
export async function pauseLease (c: SettlementClients, d: Deployment, leaseId: bigint): Promise<{ at: bigint }> {
  const receipt = await write(c, `pausing lease ${leaseId}`, { address: d.leases, abi: LeasesAbi, functionName: 'pauseLease', args: [leaseId] })
  const paused = parseEventLogs({ abi: LeasesAbi, logs: receipt.logs, eventName: 'LeasePaused' })[0]
  return { at: paused.args.at }
}

/** The provider resumes a paused lease: its end moves on by the paused seconds, and accrual restarts. */
export async function resumeLease (c: SettlementClients, d: Deployment, leaseId: bigint): Promise<{ pausedFor: bigint }> {
  const receipt = await write(c, `resuming lease ${leaseId}`, { address: d.leases, abi: LeasesAbi, functionName: 'resumeLease', args: [leaseId] })
  const resumed = parseEventLogs({ abi: LeasesAbi, logs: receipt.logs, eventName: 'LeaseResumed' })[0]
  return { pausedFor: resumed.args.pausedFor }
}

export async function rateLease (c: SettlementClients, d: Deployment, leaseId: bigint, rating: number): Promise<void> {
  await write(c, 'rating the lease', { address: d.leases, abi: LeasesAbi, functionName: 'rate', args: [leaseId, rating] })
}
