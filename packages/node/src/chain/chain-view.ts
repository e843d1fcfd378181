/**
 * The matcher's view of the chain at an order's reference block: the beacon (that block's
 * hash) and each bidder's tier, stake share, slashes and mean rating — the same numbers for
 * every matcher, so they converge on the same winner.
 */
import { LeasesAbi, ProviderRegistryAbi, StakingAbi, type Bid, type Deployment, type Hex, type SettlementClients, type Standing } from '@dcn/protocol'
import type { ChainView } from '../roles/matcher/matcher.js'

const NO_STANDING: Standing = { tier: 7, stakeShare: 0, slashes: 0, feedback: 0 }

export function chainView (c: SettlementClients, d: Deployment): ChainView {
  const at = (refBlock: number): bigint => BigInt(refBlock)
  return {
    beacon: async (refBlock) => (await c.public.getBlock({ blockNumber: at(refBlock) })).hash as Hex,
    standing: async (refBlock, bids) => {
      // Before the contracts existed nobody had standing: every matcher agrees on that too.
      if (refBlock < d.startBlock) return () => NO_STANDING
      const blockNumber = at(refBlock)
      const read = async (address: `0x${string}`, abi: readonly unknown[], functionName: string, args: unknown[] = []): Promise<bigint> =>
        BigInt(await c.public.readContract({ address, abi, functionName, args, blockNumber } as Parameters<typeof c.public.readContract>[0]) as bigint | number)
      const total = await read(d.staking, StakingAbi, 'totalStaked')
      const byBidder = new Map<string, Standing>()
      await Promise.all([...new Set(bids.map(b => b.bidder))].map(async bidder => {
        const [tier, stake, slashes, sum, count] = await Promise.all([
          read(d.registry, ProviderRegistryAbi, 'tierOf', [bidder]),
          read(d.staking, StakingAbi, 'stakeOf', [bidder]),
          read(d.staking, StakingAbi, 'slashes', [bidder]),
          read(d.leases, LeasesAbi, 'ratingSum', [bidder]),
          read(d.leases, LeasesAbi, 'ratingCount', [bidder])
        ])
        byBidder.set(bidder, {
          // Unregistered at that block: the least trusted tier.
          tier: tier === 0n ? 7 : Number(tier),
          stakeShare: total === 0n ? 0 : Number(stake * 1_000_000n / total) / 1_000_000,
          slashes: Number(slashes),
          feedback: count === 0n ? 0 : Number(sum * 1000n / count) / 1000
        })
      }))
      return (bid: Bid) => byBidder.get(bid.bidder) ?? NO_STANDING
    }
  }
}
