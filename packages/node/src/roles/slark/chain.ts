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
const LEASE_RATED = parseAbiItem('event LeaseRated(uint256 indexed leaseId, address indexed provider, uint8 rating)')
/** A rating this low is a user's report against the provider: it is challenged early in the next epoch. */
export const REPORT_RATING = 2

export interface RegisteredNode { address: Address, role: number, registeredAt: number, capacity: Capacity, gateway: Address }
export interface Rating { provider: Address, rating: number, time: number }

const LEASE_RESOURCES = parseAbiItem('event LeaseResources(uint256 indexed leaseId, address indexed provider, uint64 cpu, uint64 memoryBytes, uint64 storageBytes, uint32 gpuUnits)')

/** A small time-limited cache of async lookups; `fresh` skips a hit (and replaces it). */
function cached<K, V> (ms: number, load: (k: K) => Promise<V>): (k: K, fresh?: boolean) => Promise<V> {
  const entries = new Map<K, { at: number, value: Promise<V> }>()
  return async (k: K, fresh = false) => {
    const hit = entries.get(k)
    if (!fresh && hit !== undefined && Date.now() - hit.at < ms) return await hit.value
    const value = load(k)
    entries.set(k, { at: Date.now(), value })
    value.catch(() => { entries.delete(k) })
    return await value
  }
}

/** The chain as a slark needs it; the extra reads serve its era reports too. */
export interface SlarkChainView extends SlarkChain {
  /** The first opened slot in [from, from + count), null when none was. */
  firstOpened: (from: number, count: number) => Promise<number | null>
  /** Slarks with their registered BLS keys (cached), in the order given. */
  members: (addresses: Address[]) => Promise<Member[]>
  nodes: () => Promise<RegisteredNode[]>
  ratings: () => Promise<Rating[]>
  blockTime: (block: bigint) => Promise<number>
}

export async function slarkChain (c: SettlementClients, d: Deployment): Promise<SlarkChainView> {
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

  const nodes = cached(CACHE_MS, async (_: 'all'): Promise<RegisteredNode[]> => {
    const count = await read<bigint>(c, 'reading the registry', { address: d.registry, abi: ProviderRegistryAbi, functionName: 'count' })
    const addrs = await Promise.all(Array.from({ length: Number(count) }, async (_, i) =>
      await read<Address>(c, 'reading the registry', { address: d.registry, abi: ProviderRegistryAbi, functionName: 'at', args: [BigInt(i)] })))
    const records = await Promise.all(addrs.map(async a => ({ a, r: await nodeRecord(c, d, a) })))
    return records.filter(({ r }) => r.approved)
      .map(({ a, r }) => ({ address: a.toLowerCase() as Address, role: r.role, registeredAt: Number(r.registeredAt), capacity: decodeCapacity(r.attributes), gateway: r.gateway.toLowerCase() as Address }))
  })
  const blockTimes = new Map<bigint, number>()
  const blockTime = async (n: bigint): Promise<number> => {
    let t = blockTimes.get(n)
    if (t === undefined) blockTimes.set(n, t = Number((await c.public.getBlock({ blockNumber: n })).timestamp))
    return t
  }
  /** Users' ratings of providers' leases (1–5 stars) with their block times. */
  const ratings = cached(CACHE_MS, async (_: 'all'): Promise<Rating[]> => {
    const logs = await c.public.getLogs({ address: d.leases, event: LEASE_RATED, fromBlock: BigInt(d.startBlock) })
    return await Promise.all(logs.map(async l => ({ provider: l.args.provider!.toLowerCase() as Address, rating: Number(l.args.rating), time: await blockTime(l.blockNumber) })))
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

  const firstOpened = async (from: number, count: number): Promise<number | null> => {
    for (let slot = from; slot < from + count; slot++) if (await slotSeed(slot) !== null) return slot
    return null
  }
  // Providers and fizz nodes sell capacity (gateways sell their fizz nodes'); reports are low
  // ratings up to `asOf`, so every slark plans an epoch from the same ones.
  const providers = async (asOf = Infinity, fresh = false): Promise<RegisteredProvider[]> => {
    const [all, rated] = await Promise.all([nodes('all', fresh), ratings('all')])
    return all.filter(n => n.role === ROLE_IDS.provider || n.role === ROLE_IDS.fizz).map(n => ({
      address: n.address, registeredAt: n.registeredAt, capacity: n.capacity,
      ...(n.role === ROLE_IDS.fizz ? { gateway: n.gateway } : {}),
      reports: rated.filter(r => r.provider === n.address && r.rating <= REPORT_RATING && r.time <= asOf).length
    }))
  }
  const members = async (addresses: Address[]): Promise<Member[]> =>
    await Promise.all(addresses.map(async a => ({ address: a.toLowerCase() as Address, blsKey: await blsKey(a.toLowerCase() as Address) })))

  return {
    clock: { genesis: Number(genesis), slotSeconds: Number(slotSeconds) },
    slotSeed,
    openSlot: async () => { await serial(async () => await openSlot(c, d)) },
    epochSeed: async (epoch) => {
      const slot = await firstOpened(firstSlotOf(epoch), SLOTS_PER_EPOCH)
      return slot === null ? null : await slotSeed(slot)
    },
    firstOpened,
    members,
    providers: async (asOf) => await providers(asOf),
    // A reveal may name a newcomer registered since the list was read: read it again before calling it unknown.
    provider: async (address) => {
      const find = (list: RegisteredProvider[]): RegisteredProvider | undefined => list.find(p => p.address === address.toLowerCase())
      return find(await providers()) ?? find(await providers(Infinity, true))
    },
    nodes: async () => await nodes('all'),
    ratings: async () => await ratings('all'),
    blockTime,
    inUse,
    committee: async (slot, provider) => await members(await challengeCommittee(c, d, BigInt(slot), provider)),
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
