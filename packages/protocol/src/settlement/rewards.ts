/**
 * The Rewards contract: era reports made final by a BLS quorum of slarks, and the SPON pool that
 * pays them, as plain functions over clients and a deployment (the manner of challenges.ts).
 */
import { encodeAbiParameters, keccak256, parseEventLogs, type Address, type Hex } from 'viem'
import { RewardsAbi } from '../contracts/artifacts.js'
import { SettlementError, type SettlementClients } from './clients.js'
import { eip2537Signature } from './challenges.js'
import type { Deployment } from './deploy.js'
import { approve, read, write } from './operations.js'

export const ERA_REPORT_DOMAIN = 'dcn/era-report/1'

export interface EraSubmission {
  /** `encodeEraReport(report)`: exactly abi.encode of the report tuple. */
  report: Hex
  /** A slot of the era; its roster (slotRoster) is who may sign. */
  committeeSlot: bigint
  /** Bit i set ⇔ member i of the slot's roster signed; a strict majority. */
  signers: bigint
  /** The aggregate of eraMessage: 96 bytes compressed (converted here) or the 256-byte EIP-2537 form. */
  signature: Hex
}

export interface EraRecord {
  era: bigint
  /** Zero until the era is settled. */
  reportHash: Hex
  historyHash: Hex
  /** Block time of settlement; 0 = not settled. */
  settledAt: bigint
}

/** keccak256(abi.encode(domain, chainId, rewards, keccak256(report))): the 32 bytes slarks BLS-sign. */
export function eraMessage (chainId: number, rewards: Address, report: Hex): Hex {
  return keccak256(encodeAbiParameters(
    [{ type: 'string' }, { type: 'uint256' }, { type: 'address' }, { type: 'bytes32' }],
    [ERA_REPORT_DOMAIN, BigInt(chainId), rewards, keccak256(report)]
  ))
}

/** Settles the next era with a quorum's aggregate; anyone may submit. */
export async function submitEraReport (c: SettlementClients, d: Deployment, s: EraSubmission): Promise<{ era: bigint, reportHash: Hex, block: bigint, gasUsed: bigint }> {
  const action = 'submitting the era report'
  const signature = eip2537Signature(s.signature, action)
  const receipt = await write(c, action, { address: d.rewards, abi: RewardsAbi, functionName: 'submitEra', args: [s.report, s.committeeSlot, s.signers, signature] })
  const settled = parseEventLogs({ abi: RewardsAbi, logs: receipt.logs, eventName: 'EraSettled' })[0]
  if (settled === undefined) throw new SettlementError(`${action} failed: no EraSettled event in ${receipt.transactionHash}; is ${d.rewards} the Rewards contract?`)
  return { era: settled.args.era, reportHash: settled.args.reportHash, block: receipt.blockNumber, gasUsed: receipt.gasUsed }
}

/** The era the next report must be for. */
export async function nextEra (c: SettlementClients, d: Deployment): Promise<bigint> {
  return await read(c, 'reading the next era', { address: d.rewards, abi: RewardsAbi, functionName: 'nextEra' })
}

export async function eraRecord (c: SettlementClients, d: Deployment, era: bigint): Promise<EraRecord> {
  const r = await read<{ reportHash: Hex, historyHash: Hex, settledAt: bigint }>(c, `reading era ${era}`, { address: d.rewards, abi: RewardsAbi, functionName: 'eraOf', args: [era] })
  return { era, reportHash: r.reportHash, historyHash: r.historyHash, settledAt: BigInt(r.settledAt) }
}

/** SPON (wei) the pool holds for rewards and slark delegations. */
export async function rewardPool (c: SettlementClients, d: Deployment): Promise<bigint> {
  return await read(c, 'reading the reward pool', { address: d.rewards, abi: RewardsAbi, functionName: 'pool' })
}

/** Adds `amount` SPON wei from the caller's wallet to the pool. */
export async function fundRewardPool (c: SettlementClients, d: Deployment, amount: bigint): Promise<void> {
  await approve(c, d.spon, d.rewards, amount)
  await write(c, 'funding the reward pool', { address: d.rewards, abi: RewardsAbi, functionName: 'fund', args: [amount] })
}
