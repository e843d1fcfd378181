/**
 * The slark's view of the chain (`SlarkChain` of @dcn/slark) over the settlement contracts:
 * slots and commitments from Challenges, providers and their registered capacity from the
 * registry, what their leases hold from Leases. Writes go one at a time (one wallet, one nonce
 * sequence); registry reads are cached for a few seconds.
 */
import { parseAbiItem, type Address, type Hex } from 'viem'
import {
  ChallengesAbi, LeasesAbi, ProviderRegistryAbi, ROLE_IDS, challengeCommittee, commitChallenge, decodeCapacity, getChallenge, nodeRecord,
  openSlot, read, slotRecord, submitChallengeResult, type Capacity, type Deployment, type SettlementClients
} from '@dcn/protocol'
import { SLOTS_PER_EPOCH, firstSlotOf, type Member, type RegisteredProvider, type SlarkChain } from '@dcn/slark'

const CACHE_MS = 5_000
const LEASE_RESOURCES = parseAbiItem('event LeaseResources(uint256 indexed leaseId, address indexed provider, uint64 cpu, uint64 memoryBytes, uint64 storageBytes, uint32 gpuUnits)')

/** A small time-limited cache of async lookups. */
function cached<K, V> (ms: number, load: (k: K) => Promise<V>): (k: K) => Promise<V> {
  const entries = new Map<K, { at: number, value: Promise<V> }>()
  return async (k: K) => {
    const hit = entries.get(k)
    if (hit !== undefined && Date.now() - hit.at < ms) return await hit.value
    const value = load(k)
    entries.set(k, { at: Date.now(), value })
    value.catch(() => { entries.delete(k) })
    return await value
  }
}

export async function slarkChain (c: SettlementClients, d: Deployment): Promise<SlarkChain> {
  const [genesis, slotSeconds] = await Promise.all([
    read<bigint>(c, 'reading the slot genesis', { address: d.challenges, abi: ChallengesAbi, functionName: 'genesis' }),
    read<bigint>(c, 'reading the slot length', { address: d.challenges, abi: ChallengesAbi, functionName: 'slotSeconds' })
  ])
  let queue: Promise<unknown> = Promise.resolve()
  const serial = async <T>(f: () => Promise<T>): Promise<T> => {
    const next = queue.then(f, f)
    queue = next.catch(() => {})
    return await next
  }
  const seeds = new Map<number, Hex>()
  const slotSeed = async (slot: number): Promise<Hex | null> => {
    const known = seeds.get(slot)
    if (known !== undefined) return known
    const s = await slotRecord(c, d, BigInt(slot))
    if (!s.opened) return null
    seeds.set(slot, s.seed)
    return s.seed
  }
  const blsKey = cached(60_000, async (who: Address) => (await nodeRecord(c, d, who)).blsPublicKey)

  const providers = cached(CACHE_MS, async (_: 'all'): Promise<RegisteredProvider[]> => {
    const count = await read<bigint>(c, 'reading the registry', { address: d.registry, abi: ProviderRegistryAbi, functionName: 'count' })
    const addrs = await Promise.all(Array.from({ length: Number(count) }, async (_, i) =>
      await read<Address>(c, 'reading the registry', { address: d.registry, abi: ProviderRegistryAbi, functionName: 'at', args: [BigInt(i)] })))
    const records = await Promise.all(addrs.map(async a => ({ a, r: await nodeRecord(c, d, a) })))
    // Providers and fizz nodes sell capacity; gateways sell their fizz nodes'.
    return records.filter(({ r }) => r.approved && (r.role === ROLE_IDS.provider || r.role === ROLE_IDS.fizz))
      .map(({ a, r }) => ({ address: a.toLowerCase() as Address, registeredAt: Number(r.registeredAt), reports: 0, capacity: decodeCapacity(r.attributes) }))
  })

  const inUse = cached(CACHE_MS, async (provider: Address): Promise<Capacity> => {
    const logs = await c.public.getLogs({ address: d.leases, event: LEASE_RESOURCES, args: { provider }, fromBlock: BigInt(d.startBlock) })
    const total: Capacity = { cpu: 0, memory: 0, storage: 0, gpuUnits: 0 }
    await Promise.all(logs.map(async l => {
      const active = await read<boolean>(c, 'reading a lease', { address: d.leases, abi: LeasesAbi, functionName: 'isActive', args: [l.args.leaseId!] })
      if (!active) return
      total.cpu += Number(l.args.cpu)
      total.memory += Number(l.args.memoryBytes)
      total.storage += Number(l.args.storageBytes)
      total.gpuUnits += Number(l.args.gpuUnits)
    }))
    return total
  })

  return {
    clock: { genesis: Number(genesis), slotSeconds: Number(slotSeconds) },
    slotSeed,
    openSlot: async () => { await serial(async () => await openSlot(c, d)) },
    epochSeed: async (epoch) => {
      for (let slot = firstSlotOf(epoch); slot < firstSlotOf(epoch) + SLOTS_PER_EPOCH; slot++) {
        const seed = await slotSeed(slot)
        if (seed !== null) return seed
      }
      return null
    },
    providers: async () => await providers('all'),
    inUse,
    committee: async (slot, provider): Promise<Member[]> => {
      const addrs = await challengeCommittee(c, d, BigInt(slot), provider)
      return await Promise.all(addrs.map(async a => ({ address: a.toLowerCase() as Address, blsKey: await blsKey(a.toLowerCase() as Address) })))
    },
    challenge: async (slot, provider) => {
      const r = await getChallenge(c, d, BigInt(slot), provider)
      return { resulted: r.resulted, committer: r.committer, puzzleHash: r.puzzleHash, specHash: r.specHash }
    },
    commit: async (slot, provider, puzzleHash, specHash) => { await serial(async () => { await commitChallenge(c, d, BigInt(slot), provider, puzzleHash, specHash) }) },
    submit: async (slot, provider, passed, answerHash, q) => {
      await serial(async () => { await submitChallengeResult(c, d, { slot: BigInt(slot), provider, passed, answerHash, signers: q.bitmap, signature: q.signature }) })
    }
  }
}
