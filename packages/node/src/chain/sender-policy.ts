/**
 * Who may send what, from the registry and staking contracts: bids from approved providers and
 * gateways holding the minimum stake, matches from approved matchers, heartbeats from any
 * approved node; challenge reveals and votes, era votes from approved slarks; orders from anyone (users are not registered). Answers are cached briefly so a
 * busy topic costs one chain read per sender, not per message.
 */
import { ROLE_IDS, nodeRecord, type Address, type Deployment, type MessageKind, type SenderPolicy, type SettlementClients } from '@dcn/protocol'
import { StakingAbi } from '@dcn/protocol'
import type { Logger } from '../log.js'

/** Registration changes rarely: a yes is trusted for 30 s; a no only for 2 s, so a node that just registered is not turned away. */
const TTL_MS = 30_000
const NEGATIVE_TTL_MS = 2_000

export function chainSenderPolicy (c: SettlementClients, d: Deployment, log: Logger): SenderPolicy {
  const cache = new Map<Address, { at: number, role: number, approved: boolean, staked: boolean }>()
  const lookup = async (who: Address): Promise<{ role: number, approved: boolean, staked: boolean }> => {
    const hit = cache.get(who)
    if (hit !== undefined && Date.now() - hit.at < (hit.approved && hit.role !== 0 ? TTL_MS : NEGATIVE_TTL_MS)) return hit
    const [rec, staked] = await Promise.all([
      nodeRecord(c, d, who),
      c.public.readContract({ address: d.staking, abi: StakingAbi, functionName: 'hasMinStake', args: [who] })
    ])
    const entry = { at: Date.now(), role: rec.role, approved: rec.approved, staked }
    cache.set(who, entry)
    if (cache.size > 50_000) cache.delete(cache.keys().next().value as Address)
    return entry
  }
  return async (signer: Address, kind: MessageKind): Promise<boolean | 'unknown'> => {
    if (kind === 'order') return true
    try {
      const n = await lookup(signer)
      if (!n.approved) return false
      switch (kind) {
        case 'bid': return (n.role === ROLE_IDS.provider || n.role === ROLE_IDS.gateway) && n.staked
        case 'match': case 'no-match': return n.role === ROLE_IDS.matcher
        case 'challenge-reveal': case 'challenge-vote': case 'era-vote': return n.role === ROLE_IDS.slark
        default: return n.role !== 0
      }
    } catch (err) {
      log.warn('cannot check sender on chain', { signer, error: (err as Error).message })
      return 'unknown'
    }
  }
}
