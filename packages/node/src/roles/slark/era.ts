/**
 * The slark's era settlement in a `dcn` node: the facts of an era from the chain (registered
 * providers and fizz nodes, their own stakes, delegations and leases; the era's committee
 * results) and from this slark's observations (heartbeats, measured responses), the era's
 * committee (the roster of its first opened slot), and the Rewards contract to submit to.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { decodeAbiParameters, encodeAbiParameters, parseAbiItem, zeroAddress, type Address, type Hex } from 'viem'
import {
  ROLE_IDS, StakingAbi, attributeMultipliers, decodeAttributes, toJson, challengeCommittee, challengeResults, eraMessage, eraRecord, listLeases, nextEra, nodeRecord, read,
  slotRoster, submitEraReport, type Deployment, type EraParams, type SettlementClients
} from '@dcn/protocol'
import { EraSettler, eraWindow, type EraEnv, type EraObserver, type Member } from '@dcn/slark'
import type { SlarkChainView } from './chain.js'
import type { Logger } from '../../log.js'

const DELEGATED = parseAbiItem('event Delegated(address indexed delegator, address indexed node, uint256 amount)')

/**
 * A slark's registry attributes: the provider it auto-delegates 80 % of its era reward to, and
 * whether its owner opts in to move up a tier (§4.5.5) — abi.encode(address, bool).
 */
export const encodeSlarkAttributes = (delegateTo: Address, optIn: boolean): Hex => encodeAbiParameters([{ type: 'address' }, { type: 'bool' }], [delegateTo, optIn])

/** The choices in a slark's attributes; none registered (or an older one-field encoding): itself, not opted in. */
export function slarkChoicesOf (attributes: Hex, slark: Address): { delegateTo: Address, optIn: boolean } {
  const to = (a: Address): Address => a === zeroAddress ? slark : a.toLowerCase() as Address
  try {
    const [delegateTo, optIn] = decodeAbiParameters([{ type: 'address' }, { type: 'bool' }], attributes)
    return { delegateTo: to(delegateTo), optIn }
  } catch {
    // not the two-field encoding: try the older one below
  }
  try {
    return { delegateTo: to(decodeAbiParameters([{ type: 'address' }], attributes)[0]), optIn: false }
  } catch {
    return { delegateTo: slark, optIn: false }
  }
}

export interface SlarkEraOptions {
  /** Each computed report (with its input) is kept in `<dir>/<era>.json`, for operators. */
  dir: string
  c: SettlementClients
  d: Deployment
  chain: SlarkChainView
  observer: EraObserver
  me: Address
  blsSecret: Uint8Array
  chainId: number
  eraSlots: number
  heartbeatMs: number
  params: Pick<EraParams, 'baseRewardPerHour' | 'slarkRewardPerChallenge' | 'slarkDelegateBps' | 'stakeThresholds' | 'slarkTierSlots'>
  publishVote: EraEnv['publishVote']
  /** Settled eras' histories this slark did not compute (era-sync.ts). */
  fetchSettled?: EraEnv['fetchSettled']
  log: Logger
}

/** The report hash the Rewards contract settled for an era, null while unsettled. */
export async function settledEraHash (c: SettlementClients, d: Deployment, era: number): Promise<Hex | null> {
  const r = await eraRecord(c, d, BigInt(era))
  return r.settledAt === 0n ? null : r.reportHash
}

const lower = (a: string): Address => a.toLowerCase() as Address

export function startEraSettlement (o: SlarkEraOptions): EraSettler {
  const { c, d, chain, observer } = o
  /** The era's committee slot: its first opened slot, whose roster is the era's committee. */
  const firstOpened = async (era: number): Promise<number | null> => await chain.firstOpened(era * o.eraSlots, o.eraSlots)

  // An era's report counts the results on chain by its end plus this grace (late answers, the
  // last slot's votes), and is computed a slot after that, so every slark counts the same ones.
  const graceSeconds = 2 * chain.clock.slotSeconds + 30
  const { blockTime } = chain
  /** The last block at or before a time (binary search; the chain's blocks only move forward). */
  const blockAt = async (time: number): Promise<bigint> => {
    let lo = BigInt(d.startBlock)
    let hi = await c.public.getBlockNumber()
    if (await blockTime(hi) <= time) return hi
    while (lo < hi) {
      const mid = (lo + hi + 1n) / 2n
      if (await blockTime(mid) <= time) lo = mid
      else hi = mid - 1n
    }
    return lo
  }
  const settler = new EraSettler({
    me: o.me,
    blsSecret: o.blsSecret,
    clock: chain.clock,
    eraSlots: o.eraSlots,
    graceSeconds,
    log: o.log,
    nextEra: async () => Number(await nextEra(c, d)),
    settledHash: async (era) => await settledEraHash(c, d, era),
    fetchSettled: o.fetchSettled,
    committeeSlot: firstOpened,
    roster: async (slot): Promise<Member[]> => await chain.members((await slotRoster(c, d, BigInt(slot))).map(m => m.address)),
    message: (report) => eraMessage(o.chainId, d.rewards, report),
    submit: async (report, committeeSlot, q) => { await submitEraReport(c, d, { report, committeeSlot: BigInt(committeeSlot), signers: q.bitmap, signature: q.signature }) },
    publishVote: o.publishVote,
    onReport: (report, hash, input) => {
      mkdirSync(o.dir, { recursive: true })
      writeFileSync(join(o.dir, `${report.era}.json`), toJson({ hash, report, input }) + '\n')
    },
    facts: async (era) => {
      const { from, to } = eraWindow(chain.clock, era, o.eraSlots)
      const slots = new Set(Array.from({ length: o.eraSlots }, (_, i) => era * o.eraSlots + i))
      // Stakes, tiers and choices as they stood at the era's close (its end plus the grace), read
      // at that block: a slark computing the report later (after it settled and slashed) counts the same.
      const at = await blockAt(to + graceSeconds)
      // Gateways earn liveness rewards too, shared with their fizz nodes by delegation.
      const registered = (await chain.nodes()).filter(n => n.role === ROLE_IDS.provider || n.role === ROLE_IDS.fizz || n.role === ROLE_IDS.gateway)
      const rated = (await chain.ratings()).filter(r => r.time >= from && r.time <= to + graceSeconds)
      const delegatedLogs = await c.public.getLogs({ address: d.staking, event: DELEGATED, fromBlock: BigInt(d.startBlock), toBlock: at })
      const providers = await Promise.all(registered.filter(p => p.registeredAt < to).map(async p => {
        const [rec, stake, leases] = await Promise.all([
          nodeRecord(c, d, p.address, at),
          read<bigint>(c, 'reading a stake', { address: d.staking, abi: StakingAbi, functionName: 'selfStake', args: [p.address], blockNumber: at }),
          listLeases(c, d, p.address, 'provider')
        ])
        const delegators = [...new Set(delegatedLogs.filter(l => lower(l.args.node!) === p.address).map(l => lower(l.args.delegator!)))].sort()
        const delegations = (await Promise.all(delegators.map(async delegator => ({
          delegator, amount: await read<bigint>(c, 'reading a delegation', { address: d.staking, abi: StakingAbi, functionName: 'delegation', args: [delegator, p.address], blockNumber: at })
        })))).filter(x => x.amount > 0n)
        const mine = rated.filter(r => r.provider === p.address)
        return {
          address: p.address,
          registeredAt: p.registeredAt,
          ratings: { count: mine.length, sum: mine.reduce((a, r) => a + r.rating, 0) },
          tier: rec.tier,
          attributes: ((a) => attributeMultipliers(a.declared, a.capacity))(decodeAttributes(rec.attributes)),
          stake,
          delegations,
          leases: leases.map(l => ({ start: Number(l.start), end: Number(l.end), closedAt: Number(l.closedAt), pricePerSecond: l.pricePerSecond }))
        }
      }))
      const committeeSlot = await firstOpened(era)
      const roster = committeeSlot === null ? [] : await slotRoster(c, d, BigInt(committeeSlot))
      const slarks = await Promise.all(roster.map(async m => {
        const rec = await nodeRecord(c, d, m.address, at)
        return { address: lower(m.address), ...slarkChoicesOf(rec.attributes, lower(m.address)), tier: rec.tier }
      }))
      const inEra = (await challengeResults(c, d)).filter(r => slots.has(Number(r.slot)))
      const counted = (await Promise.all(inEra.map(async r => await blockTime(r.block) <= to + graceSeconds ? r : null))).filter(r => r !== null)
      const results = await Promise.all(counted.map(async r => {
        const committee = (await challengeCommittee(c, d, r.slot, r.provider)).map(lower)
        return { slot: Number(r.slot), provider: r.provider, passed: r.passed, committee, signers: committee.filter((_, i) => ((r.signers >> BigInt(i)) & 1n) === 1n) }
      }))
      return {
        era,
        clock: chain.clock,
        eraSlots: o.eraSlots,
        params: o.params,
        providers,
        slarks,
        results,
        // Fizz nodes beat through their gateway's heartbeats (the ones its polls found online).
        offline: (p) => observer.offline(p, from, to, o.heartbeatMs),
        response: (p, by) => observer.response(p, slots, by),
        slarkResponse: (s, by) => observer.slarkResponse(s, slots, by)
      }
    }
  })
  settler.start()
  return settler
}

