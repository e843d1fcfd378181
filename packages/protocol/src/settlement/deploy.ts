/**
 * Deploys the settlement contracts. Token (SPON) goes first, so on a fresh devnet chain it lands
 * at DEVNET_TOKENS.SPON (the first contract of anvil's first account).
 */
import { parseEther, type Address, type Hex } from 'viem'
import {
  ChallengesAbi, ChallengesBytecode, EscrowAbi, EscrowBytecode, LeasesAbi, LeasesBytecode, ProviderRegistryAbi, ProviderRegistryBytecode,
  StakingAbi, StakingBytecode, TokenAbi, TokenBytecode
} from '../contracts/artifacts.js'
import { waitForReceipt, type SettlementClients } from './clients.js'

export interface Deployment {
  chainId: number
  foundation: Address
  spon: Address
  registry: Address
  staking: Address
  escrow: Address
  leases: Address
  challenges: Address
  /** Other payment tokens enabled in escrow, by symbol. */
  tokens: Record<string, Address>
  /** Block of the first deployment transaction: where event scans start. */
  startBlock: number
}

export interface DeployOptions {
  /** Most one faucet call may mint (0 disables the faucet). Default 1,000,000 SPON. */
  faucetLimit?: bigint
  minStake?: bigint
  vestingThreshold?: bigint
  vestingPeriodSeconds?: number
  /** Extra ERC-20 payment tokens to deploy (with a faucet) and enable, e.g. ['USDX']. */
  extraTokens?: string[]
  /** Challenge slot length (default 20 s, the devnet's; mainnet 1 h). */
  slotSeconds?: number
  /** Slarks per challenge committee, 2N+1 (default 3). */
  committeeSize?: number
}

async function deploy (c: SettlementClients, abi: readonly unknown[], bytecode: Hex, args: readonly unknown[]): Promise<Address> {
  const hash = await c.wallet.deployContract({ abi, bytecode, args } as Parameters<typeof c.wallet.deployContract>[0])
  const receipt = await waitForReceipt(c, hash)
  if (receipt.status !== 'success' || receipt.contractAddress == null) throw new Error(`deployment reverted (${hash})`)
  return receipt.contractAddress
}

async function send (c: SettlementClients, request: Parameters<SettlementClients['wallet']['writeContract']>[0]): Promise<void> {
  const hash = await c.wallet.writeContract(request)
  const receipt = await waitForReceipt(c, hash)
  if (receipt.status !== 'success') throw new Error(`transaction reverted (${hash})`)
}

export async function deployContracts (c: SettlementClients, opts: DeployOptions = {}): Promise<Deployment> {
  const foundation = c.account.address
  const startBlock = Number(await c.public.getBlockNumber()) + 1
  const faucet = opts.faucetLimit ?? parseEther('1000000')
  const spon = await deploy(c, TokenAbi, TokenBytecode, ['Spheron', 'SPON', faucet, foundation, 0n])
  const registry = await deploy(c, ProviderRegistryAbi, ProviderRegistryBytecode, [])
  const staking = await deploy(c, StakingAbi, StakingBytecode, [
    spon, opts.minStake ?? parseEther('100'), opts.vestingThreshold ?? parseEther('10000'), BigInt(opts.vestingPeriodSeconds ?? 7 * 86400)
  ])
  const tokens: Record<string, Address> = {}
  for (const symbol of opts.extraTokens ?? []) tokens[symbol] = await deploy(c, TokenAbi, TokenBytecode, [symbol, symbol, faucet, foundation, 0n])
  const escrow = await deploy(c, EscrowAbi, EscrowBytecode, [[spon, ...Object.values(tokens)]])
  const leases = await deploy(c, LeasesAbi, LeasesBytecode, [escrow, registry, staking, spon])
  await send(c, { address: escrow, abi: EscrowAbi, functionName: 'setLeases', args: [leases] } as never)
  const challenges = await deploy(c, ChallengesAbi, ChallengesBytecode, [registry, 0n, BigInt(opts.slotSeconds ?? 20), BigInt(opts.committeeSize ?? 3)])
  return { chainId: c.public.chain.id, foundation, spon, registry, staking, escrow, leases, challenges, tokens: { SPON: spon, ...tokens }, startBlock }
}
