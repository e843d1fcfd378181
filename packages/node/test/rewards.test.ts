/**
 * Rewards on a real anvil: era reports made final by a BLS majority of a slot's roster (3 slarks
 * with real keys and proofs of possession), settled in order once the era is over — slashes
 * (capped at own stake) into the pool, rewards out of it, slark delegations in the slark's name,
 * provider and slark tiers — and every bad submission refused with its reason. Era 1 is
 * computed by computeEra and encoded by encodeEraReport, as slarks will.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { encodeAbiParameters, keccak256, parseEther, toHex, type Address } from 'viem'
import {
  ChallengesAbi, DEFAULT_ERA_PARAMS, ERA_REPORT_ABI, ProviderRegistryAbi, RewardsAbi, StakingAbi, TokenAbi, blsAggregateSignatures, blsSign,
  computeEra, encodeEraReport, ensureStake, eraHistoryHash, eraMessage, eraRecord, faucet, nextEra, openSlot, rewardPool, setTier, signerBitmap,
  slotRoster, submitEraReport, write,
  type EraInput, type Hex, type ProviderMetrics
} from '@dcn/protocol'
import { ChallengeNet, type Member } from './helpers/committee.js'
import { rejects } from './helpers/chain.js'

const ERA_SLOTS = 3
const POOL = parseEther('1000000')
/** Own stakes of providers 0, 1, 2. */
const STAKES = [parseEther('300'), parseEther('50'), parseEther('200')]

interface Report {
  era: bigint
  rewards: Array<{ account: Address, amount: bigint }>
  slashes: Array<{ account: Address, amount: bigint }>
  tiers: Array<{ account: Address, tier: number }>
  slarkTiers: Array<{ account: Address, tier: number }>
  delegations: Array<{ slark: Address, provider: Address, amount: bigint }>
  historyHash: Hex
}

let net: ChallengeNet

test.before(async () => {
  net = await ChallengeNet.start({ slarkTiers: [1, 1, 1], providerTiers: [7, 7, 7], eraSlots: ERA_SLOTS })
  for (const [i, p] of net.providers.entries()) {
    await faucet(p.c, net.d.spon, STAKES[i])
    await ensureStake(p.c, net.d, STAKES[i])
  }
})

test.after(async () => {
  await net?.stop()
})

const encode = (r: Report): Hex => encodeAbiParameters(ERA_REPORT_ABI, [r])

async function view<T> (address: Address, abi: readonly unknown[], functionName: string, args: readonly unknown[] = []): Promise<T> {
  return await net.foundation.c.public.readContract({ address, abi, functionName, args } as never) as T
}

const balance = async (who: Address): Promise<bigint> => await view(net.d.spon, TokenAbi, 'balanceOf', [who])
const selfStake = async (who: Address): Promise<bigint> => await view(net.d.staking, StakingAbi, 'selfStake', [who])
const delegation = async (slark: Address, provider: Address): Promise<bigint> => await view(net.d.staking, StakingAbi, 'delegation', [slark, provider])
const tierOf = async (who: Address): Promise<number> => await view(net.d.registry, ProviderRegistryAbi, 'tierOf', [who])

/** The token invariant: Rewards holds exactly what its pool records. */
async function poolHeld (): Promise<bigint> {
  const pool = await rewardPool(net.foundation.c, net.d)
  assert.is(await balance(net.d.rewards), pool, 'SPON held by Rewards == its pool')
  return pool
}

/** Moves the clock to the start of `slot` (opening nothing). */
async function moveTo (slot: bigint): Promise<void> {
  const genesis = await view<bigint>(net.d.challenges, ChallengesAbi, 'genesis')
  const now = (await net.foundation.c.public.getBlock()).timestamp
  const at = genesis + slot * BigInt(net.slotSeconds)
  assert.ok(at > now, `slot ${slot} is in the future`)
  await net.rpc('evm_increaseTime', [Number(at - now)])
  await net.rpc('evm_mine')
}

/** `who`'s aggregate of eraMessage(report) and their bitmap over the slot's roster. */
async function quorum (slot: bigint, report: Hex, who: Member[], message = report): Promise<{ signers: bigint, signature: Hex }> {
  const roster = (await slotRoster(net.foundation.c, net.d, slot)).map(m => m.address)
  const msg = eraMessage(net.anvil.chainId, net.d.rewards, message)
  return { signers: signerBitmap(roster, who.map(m => m.address)), signature: blsAggregateSignatures(who.map(m => blsSign(m.key.secretKey, msg))) }
}

async function submit (report: Hex, committeeSlot: bigint, q: { signers: bigint, signature: Hex }): Promise<{ era: bigint, reportHash: Hex, gasUsed: bigint }> {
  return await submitEraReport(net.outsider.c, net.d, { report, committeeSlot, ...q })
}

// ------------------------------------------------------------------ era 0, by hand

let report0: Report
let hex0: Hex

test('deployment: Rewards is funded, slasher, rewarder and tier authority; eraMessage agrees with the contract', async () => {
  const { d, foundation } = net
  assert.is(await poolHeld(), POOL)
  assert.is(await nextEra(foundation.c, d), 0n)
  assert.is(await view<bigint>(d.rewards, RewardsAbi, 'eraSlots'), BigInt(ERA_SLOTS))
  assert.ok(await view<boolean>(d.staking, StakingAbi, 'isSlasher', [d.rewards]))
  assert.ok(await view<boolean>(d.staking, StakingAbi, 'isRewarder', [d.rewards]))
  assert.ok(await view<boolean>(d.staking, StakingAbi, 'isSlasher', [foundation.address]), 'the owner still slashes')
  assert.is((await view<Address>(d.registry, ProviderRegistryAbi, 'tierAuthority')).toLowerCase(), d.rewards.toLowerCase())
  const [p0, p1, p2] = net.providers
  const [s0, s1] = net.slarks
  report0 = {
    era: 0n,
    rewards: [{ account: p0.address, amount: parseEther('12.5') }, { account: p2.address, amount: parseEther('7') }, { account: s0.address, amount: parseEther('0.4') }],
    slashes: [{ account: p1.address, amount: parseEther('80') }],
    tiers: [{ account: p0.address, tier: 5 }],
    slarkTiers: [{ account: s1.address, tier: 2 }],
    delegations: [{ slark: s0.address, provider: p0.address, amount: parseEther('1.6') }],
    historyHash: keccak256(toHex('history after era 0'))
  }
  hex0 = encode(report0)
  assert.is(await view<Hex>(d.rewards, RewardsAbi, 'eraMessage', [keccak256(hex0)]), eraMessage(net.anvil.chainId, d.rewards, hex0))
  assert.not.equal(eraMessage(net.anvil.chainId + 1, d.rewards, hex0), eraMessage(net.anvil.chainId, d.rewards, hex0))
})

test('an era is not settled before it is over, nor from a slot never opened', async () => {
  const { slot } = await openSlot(net.foundation.c, net.d)
  assert.is(slot, 0n)
  const [s0, s1, s2] = net.slarks
  const q = await quorum(0n, hex0, [s0, s2])
  await rejects(async () => await submit(hex0, 0n, q), 'Rewards: era 0 is not over until slot 3 (now slot 0)')
  await moveTo(2n)
  await rejects(async () => await submit(hex0, 0n, q), 'Rewards: era 0 is not over until slot 3 (now slot 2)')
  await moveTo(3n)
  await openSlot(net.foundation.c, net.d)
  await rejects(async () => await submit(hex0, 1n, q), 'Rewards: committee slot 1 was never opened')
  await rejects(async () => await submit(hex0, 3n, await quorum(3n, hex0, [s0, s1])), 'Rewards: committee slot 3 is outside era 0 (slots 0 to 2)')
  assert.is(await nextEra(net.foundation.c, net.d), 0n)
})

test('minorities, forged aggregates, wrong bitmaps, bad reports, eras out of order and a short pool are refused', async () => {
  const [s0, s1, s2] = net.slarks
  const submit0 = async (q: { signers: bigint, signature: Hex }, report = hex0): Promise<unknown> => await submit(report, 0n, q)
  await rejects(async () => await submit0(await quorum(0n, hex0, [s1])), 'Rewards: 1 of the roster\'s 3 slarks signed; a strict majority must')
  // The majority's signature of another report, and of this one for another Rewards contract.
  const other = encode({ ...report0, historyHash: keccak256(toHex('another history')) })
  await rejects(async () => await submit0(await quorum(0n, hex0, [s0, s1], other)), 'Rewards: invalid aggregate signature of the era report')
  const elsewhere = eraMessage(net.anvil.chainId, net.d.staking, hex0)
  const roster = (await slotRoster(net.foundation.c, net.d, 0n)).map(m => m.address)
  await rejects(async () => await submit0({ signers: signerBitmap(roster, [s0.address, s1.address]), signature: blsAggregateSignatures([s0, s1].map(s => blsSign(s.key.secretKey, elsewhere))) }),
    'Rewards: invalid aggregate signature of the era report')
  // A key that is on no roster signs in place of a member.
  const withOutsider = await quorum(0n, hex0, [s0, s1])
  const outsiderSig = blsAggregateSignatures([s0, net.outsider].map(s => blsSign(s.key.secretKey, eraMessage(net.anvil.chainId, net.d.rewards, hex0))))
  await rejects(async () => await submit0({ signers: withOutsider.signers, signature: outsiderSig }), 'Rewards: invalid aggregate signature of the era report')
  // Bits for a member who did not sign, and bits beyond the roster.
  const two = await quorum(0n, hex0, [s0, s1])
  await rejects(async () => await submit0({ ...two, signers: 7n }), 'Rewards: invalid aggregate signature of the era report')
  await rejects(async () => await submit0({ ...two, signers: two.signers | 8n }), 'Rewards: signer bits beyond the roster')
  await rejects(async () => await submit0({ ...two, signature: `0x${'00'.repeat(100)}` }), 'the signature is 100 bytes')
  // Bytes that are no report, and a report with a non-canonical tail (even if signed).
  await rejects(async () => await submit0(two, '0x1234'), 'Rewards: the report does not decode as abi.encode(EraReport)')
  const padded: Hex = `${hex0}${'00'.repeat(32)}`
  await rejects(async () => await submit0(await quorum(0n, padded, [s0, s1]), padded), 'Rewards: the report is not in its canonical encoding')
  // Era 1 before era 0.
  const era1 = encode({ ...report0, era: 1n })
  await rejects(async () => await submit(era1, 3n, await quorum(3n, era1, [s0, s1])), 'Rewards: era 1 is out of order; era 0 settles first')
  // More than the pool holds, with the slash (capped at 50) counted in.
  const greedy = encode({ ...report0, rewards: [...report0.rewards.slice(0, 2), { account: s0.address, amount: POOL + parseEther('30') }] })
  const pays = POOL + parseEther('30') + parseEther('12.5') + parseEther('7') + parseEther('1.6')
  await rejects(async () => await submit0(await quorum(0n, greedy, [s0, s1, s2]), greedy), `Rewards: the pool holds ${POOL + STAKES[1]}, the report pays ${pays}`)
  assert.is(await nextEra(net.foundation.c, net.d), 0n)
  assert.is(await selfStake(net.providers[1].address), STAKES[1], 'the refused slash left the stake alone')
  await poolHeld()
})

test('a majority settles era 0: slash capped into the pool, rewards paid, the delegation in the slark\'s name, tiers set', async () => {
  const { d, foundation } = net
  const [p0, p1, p2] = net.providers
  const [s0, s1, s2] = net.slarks
  const before = {
    pool: await poolHeld(),
    wallets: await Promise.all(report0.rewards.map(async r => await balance(r.account))),
    delegatedTo: await view<bigint>(d.staking, StakingAbi, 'delegatedTo', [p0.address]),
    slashCount: await view<bigint>(d.staking, StakingAbi, 'slashes', [p1.address])
  }
  const { era, reportHash, gasUsed } = await submit(hex0, 0n, await quorum(0n, hex0, [s0, s2]))
  console.log(`submitEra gas (3 rewards, 1 slash, 2 tier changes, 1 delegation; 2 of a 3-slark roster signing): ${gasUsed}`)
  assert.ok(gasUsed < 650_000n, `submitEra took ${gasUsed} gas`)
  assert.is(era, 0n)
  assert.is(reportHash, keccak256(hex0))
  const rec = await eraRecord(foundation.c, d, 0n)
  assert.is(rec.reportHash, keccak256(hex0))
  assert.is(rec.historyHash, report0.historyHash)
  assert.ok(rec.settledAt > 0n)
  assert.is(await nextEra(foundation.c, d), 1n)
  // Rewards paid to the wei.
  for (const [i, r] of report0.rewards.entries()) assert.is(await balance(r.account) - before.wallets[i], r.amount, `reward of ${r.account}`)
  // 80 SPON asked, 50 staked: 50 taken, into the pool.
  assert.is(await selfStake(p1.address), 0n)
  assert.is(await view<bigint>(d.staking, StakingAbi, 'slashes', [p1.address]), before.slashCount + 1n)
  assert.is(await poolHeld(), before.pool + STAKES[1] - parseEther('12.5') - parseEther('7') - parseEther('0.4') - parseEther('1.6'))
  // The slark's 80 % staked to its provider in its own name: the slark alone can take it back.
  assert.is(await delegation(s0.address, p0.address), parseEther('1.6'))
  assert.is(await delegation(d.rewards, p0.address), 0n)
  assert.is(await view<bigint>(d.staking, StakingAbi, 'delegatedTo', [p0.address]) - before.delegatedTo, parseEther('1.6'))
  const wallet = await balance(s0.address)
  await write(s0.c, 'undelegating', { address: d.staking, abi: StakingAbi, functionName: 'undelegate', args: [p0.address, parseEther('0.6')] })
  assert.is(await balance(s0.address) - wallet, parseEther('0.6'))
  assert.is(await tierOf(p0.address), 5)
  assert.is(await tierOf(s1.address), 2)
  assert.is(await tierOf(p2.address), 7, 'untouched')
  // Settled once.
  await rejects(async () => await submit(hex0, 0n, await quorum(0n, hex0, [s0, s1, s2])), 'Rewards: era 0 is already settled')
})

test('only Rewards (and the owner) act for era settlement in Staking and the registry', async () => {
  const { d, foundation, outsider } = net
  const [p0] = net.providers
  await rejects(async () => await write(outsider.c, 'slashing', { address: d.staking, abi: StakingAbi, functionName: 'slash', args: [p0.address, 1n, outsider.address] }), 'Staking: only a slasher')
  await rejects(async () => await write(outsider.c, 'delegating', { address: d.staking, abi: StakingAbi, functionName: 'delegateFor', args: [outsider.address, p0.address, 1n] }),
    'Staking: only a rewarder delegates for others')
  await rejects(async () => await setTier(outsider.c, d, p0.address, 1), 'Registry: only the tier authority or the owner sets tiers')
  // The owner keeps setting tiers (a devnet's profile tiers).
  await setTier(foundation.c, d, p0.address, 4)
  assert.is(await tierOf(p0.address), 4)
  await setTier(foundation.c, d, p0.address, 5)
})

// ------------------------------------------------------------------ era 1, computed

test('era 1, computed and encoded as slarks do, settles every payout on chain', async () => {
  const { d, foundation } = net
  const [p0, p1, p2] = net.providers
  const [s0, s1, s2] = net.slarks
  const HOUR = 3600
  const metrics = (p: Member, stake: bigint, tier: number, over: Partial<ProviderMetrics> = {}): ProviderMetrics => ({
    address: p.address,
    stake,
    delegations: [],
    attributes: { compute: 0, storage: 0, gpu: 0, connectivity: 0, compliance: 0 },
    tasks: { assigned: 10, completed: 10 },
    response: { count: 10, totalMs: 900 },
    ratings: { count: 0, sum: 0 },
    offline: [],
    workloads: [],
    history: { tier, promoteStreak: 0, demoteStreak: 0, offlineSeconds: 0, offlineSlashed: false, cooldownSeconds: 0 },
    ...over
  })
  const slark = (s: Member, to: Member, tier: number) => ({
    address: s.address, delegateTo: to.address, challenges: 40, agreed: 40, response: { count: 40, totalMs: 2000 }, optIn: false,
    history: { tier, promoteStreak: 0, demoteStreak: 0 }
  })
  const input: EraInput = {
    era: 1,
    params: DEFAULT_ERA_PARAMS,
    providers: [
      metrics(p0, STAKES[0], 5, { delegations: [{ delegator: s0.address, amount: parseEther('1') }] }),
      // Its stake is gone (slashed in era 0): demoted to tier 7 at once.
      metrics(p1, 0n, 6),
      // Offline two hours in standby: one hour's reward slashed.
      metrics(p2, STAKES[2], 6, { offline: [{ from: 5 * HOUR, to: 7 * HOUR }] })
    ],
    slarks: [slark(s0, p0, 1), slark(s1, p2, 2), slark(s2, p0, 1)]
  }
  const report = computeEra(input, { explain: false })
  const { payouts } = report
  assert.ok(payouts.rewards.length >= 3 && payouts.slashes.length === 1 && payouts.delegations.length === 3 && payouts.tiers.length >= 1, JSON.stringify(payouts, (_, v) => typeof v === 'bigint' ? v.toString() : v))
  const hex = encodeEraReport(report)
  assert.is(hex, encode({ era: 1n, ...payouts, historyHash: eraHistoryHash(report) }))

  const accounts = [...new Set(payouts.rewards.map(r => r.account))]
  const before = {
    pool: await poolHeld(),
    wallets: new Map(await Promise.all(accounts.map(async a => [a, await balance(a)] as const))),
    stakes: new Map(await Promise.all(payouts.slashes.map(async s => [s.account, await selfStake(s.account)] as const))),
    delegations: await Promise.all(payouts.delegations.map(async x => await delegation(x.slark, x.provider)))
  }
  await moveTo(6n)
  await openSlot(foundation.c, d)
  // A slot of era 2 is no committee for era 1; slot 3 (opened in era 1) is.
  await rejects(async () => await submit(hex, 6n, await quorum(6n, hex, [s0, s1, s2])), 'Rewards: committee slot 6 is outside era 1 (slots 3 to 5)')
  const { era } = await submit(hex, 3n, await quorum(3n, hex, [s0, s1, s2]))
  assert.is(era, 1n)
  assert.is(await nextEra(foundation.c, d), 2n)
  const rec = await eraRecord(foundation.c, d, 1n)
  assert.is(rec.reportHash, keccak256(hex))
  assert.is(rec.historyHash, eraHistoryHash(report))

  const paid = new Map<Address, bigint>()
  for (const r of payouts.rewards) paid.set(r.account, (paid.get(r.account) ?? 0n) + r.amount)
  for (const a of accounts) assert.is(await balance(a) - before.wallets.get(a)!, paid.get(a), `reward of ${a}`)
  let slashed = 0n
  for (const s of payouts.slashes) {
    const had = before.stakes.get(s.account)!
    const taken = s.amount < had ? s.amount : had
    assert.ok(taken > 0n)
    assert.is(await selfStake(s.account), had - taken)
    slashed += taken
  }
  for (const [i, x] of payouts.delegations.entries()) assert.is(await delegation(x.slark, x.provider) - before.delegations[i], x.amount, `delegation of ${x.slark}`)
  for (const t of [...payouts.tiers, ...payouts.slarkTiers]) assert.is(await tierOf(t.account), t.tier)
  assert.is(await tierOf(p1.address), 7)
  const out = payouts.rewards.reduce((a, r) => a + r.amount, 0n) + payouts.delegations.reduce((a, x) => a + x.amount, 0n)
  assert.is(await poolHeld(), before.pool + slashed - out)
  await rejects(async () => await submit(hex, 3n, await quorum(3n, hex, [s0, s1])), 'Rewards: era 1 is already settled')
})

test.run()
