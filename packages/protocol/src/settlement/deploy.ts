/**
 * Deploys the settlement contracts. Token (SPON) goes first, so on a fresh devnet chain it lands
 * at DEVNET_TOKENS.SPON (the first contract of anvil's first account). Rewards goes last: it
 * becomes a slasher and rewarder in Staking and the registry's tier authority, and the
 * foundation funds its pool.
 */
import { parseEther, type Address, type Hex } from 'viem'
import {
  ChallengesAbi, ChallengesBytecode, EscrowAbi, EscrowBytecode, LeasesAbi, LeasesBytecode, ProviderRegistryAbi, ProviderRegistryBytecode,
  RewardsAbi, RewardsBytecode, StakingAbi, StakingBytecode, TokenAbi, TokenBytecode
} from '../contracts/artifacts.js'
import { SettlementError, waitForReceipt, type SettlementClients } from './clients.js'

export interface Deployment {
  chainId: number
  foundation: Address
  spon: Address
  registry: Address
  staking: Address
  escrow: Address
  leases: Address
  challenges: Address
  /** Era settlement: BLS-final era reports, paid from its SPON pool. */
  rewards: Address
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
  /** Challenge slots per era (default 24; the devnet passes 6). */
  eraSlots?: number
  /**
   * SPON the foundation puts in the Rewards pool, minted with the faucet where its balance falls
   * short. Default 1,000,000 SPON with a faucet (a devnet), none without.
   */
  rewardPool?: bigint
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
  const rewards = await deploy(c, RewardsAbi, RewardsBytecode, [staking, challenges, BigInt(opts.eraSlots ?? 24)])
  await send(c, { address: staking, abi: StakingAbi, functionName: 'setSlasher', args: [rewards, true] } as never)
  await send(c, { address: staking, abi: StakingAbi, functionName: 'setRewarder', args: [rewards, true] } as never)
  await send(c, { address: registry, abi: ProviderRegistryAbi, functionName: 'setTierAuthority', args: [rewards] } as never)
  await fundPool(c, spon, rewards, faucet, opts.rewardPool ?? (faucet > 0n ? parseEther('1000000') : 0n))
  return { chainId: c.public.chain.id, foundation, spon, registry, staking, escrow, leases, challenges, rewards, tokens: { SPON: spon, ...tokens }, startBlock }
}

/** Mints what the foundation lacks (faucet calls of at most `faucetLimit`) and funds the pool. */
async function fundPool (c: SettlementClients, spon: Address, rewards: Address, faucetLimit: bigint, amount: bigint): Promise<void> {
  if (amount === 0n) return
  const balance = await c.public.readContract({ address: spon, abi: TokenAbi, functionName: 'balanceOf', args: [c.account.address] })
  if (balance < amount && faucetLimit === 0n) throw new SettlementError(`funding the reward pool failed: the foundation holds ${balance} SPON wei, less than ${amount}, and SPON has no faucet; pass a smaller rewardPool`)
  for (let minted = balance; minted < amount; minted += faucetLimit) {
    const mint = amount - minted < faucetLimit ? amount - minted : faucetLimit
    await send(c, { address: spon, abi: TokenAbi, functionName: 'faucet', args: [mint] } as never)
  }
  await send(c, { address: spon, abi: TokenAbi, functionName: 'approve', args: [rewards, amount] } as never)
  await send(c, { address: rewards, abi: RewardsAbi, functionName: 'fund', args: [amount] } as never)
}
