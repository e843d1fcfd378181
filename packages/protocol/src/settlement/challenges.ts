/**
 * The Challenges contract: slots, commitments and committee results, as plain functions over
 * clients and a deployment (the manner of operations.ts: simulated first, one-line
 * SettlementError on failure).
 */
import { parseEventLogs, type Address, type Hex } from 'viem'
import { ChallengesAbi } from '../contracts/artifacts.js'
import { g2ToEip2537 } from '../bls/eip2537.js'
import type { RosterMember } from '../challenge/committee.js'
import { SettlementError, settlementError, type SettlementClients } from './clients.js'
import type { Deployment } from './deploy.js'
import { read, write } from './operations.js'

export interface SlotRecord {
  slot: bigint
  opened: boolean
  seed: Hex
}

export interface ChallengeRecord {
  /** The committee member that committed; the zero address when nothing is committed. */
  committer: Address
  /** The provider's tier at commit time (fixes the committee until the result). */
  providerTier: number
  committedAt: bigint
  puzzleHash: Hex
  specHash: Hex
  resulted: boolean
  passed: boolean
  answerHash: Hex
  signers: bigint
}

export interface ChallengeResultInput {
  slot: bigint
  provider: Address
  passed: boolean
  answerHash: Hex
  /** Bit i set ⇔ member i of challengeCommittee(slot, provider) signed. */
  signers: bigint
  /** The aggregate signature: 96 bytes compressed (converted here) or the 256-byte EIP-2537 form. */
  signature: Hex
}

export async function currentSlot (c: SettlementClients, d: Deployment): Promise<bigint> {
  return await read(c, 'reading the current slot', { address: d.challenges, abi: ChallengesAbi, functionName: 'currentSlot' })
}

/** Opens the current slot (anyone may, once): its seed and the snapshot of eligible slarks. */
export async function openSlot (c: SettlementClients, d: Deployment): Promise<{ slot: bigint, seed: Hex }> {
  const receipt = await write(c, 'opening the slot', { address: d.challenges, abi: ChallengesAbi, functionName: 'openSlot' })
  const opened = parseEventLogs({ abi: ChallengesAbi, logs: receipt.logs, eventName: 'SlotOpened' })[0]
  return { slot: opened.args.slot, seed: opened.args.seed }
}

export async function slotRecord (c: SettlementClients, d: Deployment, slot: bigint): Promise<SlotRecord> {
  const s = await read<{ opened: boolean, seed: Hex }>(c, `reading slot ${slot}`, { address: d.challenges, abi: ChallengesAbi, functionName: 'slotOf', args: [slot] })
  return { slot, opened: s.opened, seed: s.seed }
}

/** The slarks (and tiers) an opened slot's committees are drawn from: committeeOf's input. */
export async function slotRoster (c: SettlementClients, d: Deployment, slot: bigint): Promise<RosterMember[]> {
  const members = await read<Array<{ slark: Address, tier: number }>>(c, `reading the roster of slot ${slot}`, { address: d.challenges, abi: ChallengesAbi, functionName: 'rosterOf', args: [slot] })
  return members.map(m => ({ address: m.slark, tier: m.tier }))
}

/** The committee challenging `provider` in `slot`, in bitmap order, as the contract draws it. */
export async function challengeCommittee (c: SettlementClients, d: Deployment, slot: bigint, provider: Address): Promise<Address[]> {
  return [...await read<readonly Address[]>(c, 'reading the committee', { address: d.challenges, abi: ChallengesAbi, functionName: 'committeeOf', args: [slot, provider] })]
}

/** A committee member commits to this slot's challenge of `provider` (during the slot, once). */
export async function commitChallenge (c: SettlementClients, d: Deployment, slot: bigint, provider: Address, puzzleHash: Hex, specHash: Hex): Promise<void> {
  await write(c, 'committing the challenge', { address: d.challenges, abi: ChallengesAbi, functionName: 'commit', args: [slot, provider, puzzleHash, specHash] })
}

/** Submits a committee's aggregate verdict; anyone may. Returns the block it landed in. */
export async function submitChallengeResult (c: SettlementClients, d: Deployment, r: ChallengeResultInput): Promise<{ block: bigint, gasUsed: bigint }> {
  const signature = eip2537Signature(r.signature, 'submitting the challenge result')
  const receipt = await write(c, 'submitting the challenge result', {
    address: d.challenges, abi: ChallengesAbi, functionName: 'submitResult', args: [r.slot, r.provider, r.passed, r.answerHash, r.signers, signature]
  })
  return { block: receipt.blockNumber, gasUsed: receipt.gasUsed }
}

/** An aggregate signature as contracts take it: 96 bytes compressed are converted, 256-byte EIP-2537 passed on. */
export function eip2537Signature (signature: Hex, action: string): Hex {
  const bytes = (signature.length - 2) / 2
  if (bytes !== 96 && bytes !== 256) throw new SettlementError(`${action} failed: the signature is ${bytes} bytes; pass the 96-byte aggregate or its 256-byte EIP-2537 form`)
  try {
    return bytes === 96 ? g2ToEip2537(signature) : signature
  } catch (err) {
    throw new SettlementError(`${action} failed: ${(err as Error).message}`)
  }
}

export async function getChallenge (c: SettlementClients, d: Deployment, slot: bigint, provider: Address): Promise<ChallengeRecord> {
  const r = await read<ChallengeRecord>(c, 'reading the challenge', { address: d.challenges, abi: ChallengesAbi, functionName: 'challengeOf', args: [slot, provider] })
  return { ...r, committedAt: BigInt(r.committedAt) }
}

/** Per slark: seats on committees whose result landed, and how many of those results it signed. */
export async function slarkVotes (c: SettlementClients, d: Deployment, slark: Address): Promise<{ seated: bigint, inMajority: bigint }> {
  const [seated, inMajority] = await read<[bigint, bigint]>(c, 'reading the slark votes', { address: d.challenges, abi: ChallengesAbi, functionName: 'votesOf', args: [slark] })
  return { seated, inMajority }
}

export interface ChallengeResultEvent { slot: bigint, provider: Address, passed: boolean, answerHash: Hex, signers: bigint, block: bigint }

/** Every committee result on chain (optionally only `provider`'s), oldest first. */
export async function challengeResults (c: SettlementClients, d: Deployment, provider?: Address): Promise<ChallengeResultEvent[]> {
  try {
    const logs = await c.public.getContractEvents({
      address: d.challenges, abi: ChallengesAbi, eventName: 'ChallengeResult', fromBlock: BigInt(d.startBlock), args: provider === undefined ? undefined : { provider }
    })
    return logs.map(l => {
      const a = l.args as { slot: bigint, provider: Address, passed: boolean, answerHash: Hex, signers: bigint }
      return { slot: a.slot, provider: a.provider.toLowerCase() as Address, passed: a.passed, answerHash: a.answerHash, signers: a.signers, block: l.blockNumber }
    })
  } catch (err) {
    throw settlementError(err, 'reading challenge results')
  }
}
