/**
 * A provider on the settlement chain: registers (idempotent across restarts), stakes up to the
 * minimum, bids with its on-chain tier, and follows LeaseCreated / LeaseClosed for its wallet so
 * a won reservation becomes a lease and is released when the lease closes; `leases` hears of
 * both (the workloads).
 */
import { watchLeases } from '../../chain/lease-events.js'
import {
  ProviderRegistryAbi, StakingAbi, ensureStake, formatAmount, registerNode, stakeOf, tokenBalance, decodeAttributes,
  type Deployment, type Hex, type SettlementClients
} from '@dcn/protocol'
import { UserError } from '../../errors.js'
import type { Logger } from '../../log.js'
import type { BidEngine } from './bid-engine.js'

export interface LeaseListener {
  onLeaseCreated: (leaseId: bigint) => void
  onLeaseClosed: (leaseId: bigint) => void
}

/**
 * `attributes`: the capacity registered on chain, which slarks challenge, and the declared
 * attributes (`registryAttributes(config)`; a gateway sells its fizz nodes' capacity and claims none).
 */
export async function joinChain (c: SettlementClients, d: Deployment, role: 'provider' | 'gateway', peerId: string, region: string, engine: BidEngine, log: Logger, leases?: LeaseListener, attributes: Hex = '0x'): Promise<() => void> {
  const me = c.account.address
  // Check the stake can be paid before writing anything, so a failed start leaves no half-registered provider.
  const minStake = await c.public.readContract({ address: d.staking, abi: StakingAbi, functionName: 'minStake' })
  const staked = await stakeOf(c, d, me)
  const spon = staked < minStake ? await tokenBalance(c, d.spon) : 0n
  if (staked < minStake && spon < minStake - staked) throw new UserError(`${role} wallet ${me} holds ${formatAmount(spon)} SPON; it needs ${formatAmount(minStake - staked)} more to stake the minimum ${formatAmount(minStake)}`, 1)
  if (await registerNode(c, d, role, peerId, region, undefined, attributes)) log.info('registered on chain', { registry: d.registry, ...decodeAttributes(attributes) })
  if (staked < minStake) log.info('staked', { amount: formatAmount(await ensureStake(c, d, minStake)) })
  const refreshTier = async (): Promise<void> => {
    engine.tier = await c.public.readContract({ address: d.registry, abi: ProviderRegistryAbi, functionName: 'tierOf', args: [me] })
  }
  await refreshTier()
  const tierTimer = setInterval(() => { refreshTier().catch((err: Error) => { log.debug('tier refresh failed', { error: err.message }) }) }, 5_000)
  tierTimer.unref()

  const unwatch = watchLeases(c, d, me, {
    created: (e) => {
      engine.onLeaseCreated(e.orderId, e.leaseId, e.end)
      leases?.onLeaseCreated(e.leaseId)
    },
    closed: (id) => {
      engine.onLeaseClosed(id)
      leases?.onLeaseClosed(id)
    }
  }, log)
  return () => { clearInterval(tierTimer); unwatch() }
}
