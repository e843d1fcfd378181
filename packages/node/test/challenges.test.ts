/**
 * BLS on a real anvil (EIP-2537 precompiles): BLS.sol against RFC 9380 and Ethereum vectors and
 * the TypeScript side, proofs of possession at registration, committee draws against the
 * TypeScript draw, and Challenges.submitResult accepting a majority aggregate and refusing every
 * forgery, bad bitmap and replay with its reason.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { keccak256, toHex, type Address } from 'viem'
import {
  BLSHarnessAbi, BLSHarnessBytecode, BLS_POP_DST, BLS_SIG_DST, ChallengesAbi, ProviderRegistryAbi, bitmapOf, blsAggregateSignatures,
  blsRegistration, blsSign, challengeCommittee, challengeResultMessage, commitChallenge, committeeOf, g1ToEip2537, g2ToEip2537, getChallenge, hashToG2, nodeRecord,
  openSlot, registerNode, slarkVotes, slotRoster, submitChallengeResult, waitForReceipt, write,
  type Hex, type SettlementClients
} from '@dcn/protocol'
import { ChallengeNet, type Member } from './helpers/committee.js'
import { rejects } from './helpers/chain.js'

let net: ChallengeNet
let harness: Address
const SLARK_TIERS = [1, 2, 3, 4, 5, 6, 6]
/** A tier-7 provider (every slark may challenge it), a tier-3 one (slark tiers 4–6) and a tier-1 one (only the two tier-6 slarks). */
const PROVIDER_TIERS = [7, 3, 1]
const utf8 = (s: string): Hex => toHex(new TextEncoder().encode(s))
const answer = (s: string): Hex => keccak256(toHex(s))

test.before(async () => {
  net = await ChallengeNet.start({ slarkTiers: SLARK_TIERS, providerTiers: PROVIDER_TIERS })
  const c = net.foundation.c
  const receipt = await waitForReceipt(c, await c.wallet.deployContract({ abi: BLSHarnessAbi, bytecode: BLSHarnessBytecode, args: [] } as Parameters<typeof c.wallet.deployContract>[0]))
  harness = receipt.contractAddress!
})

test.after(async () => {
  await net?.stop()
})

async function call<T> (functionName: string, args: readonly unknown[]): Promise<T> {
  return await net.foundation.c.public.readContract({ address: harness, abi: BLSHarnessAbi, functionName, args } as Parameters<SettlementClients['public']['readContract']>[0]) as T
}

/** Opens the next slot and has a member of `provider`'s committee commit; returns the slot and committee. */
async function committed (provider: Member): Promise<{ slot: bigint, committee: Member[] }> {
  const { slot } = await net.nextSlot()
  const committee = (await challengeCommittee(net.foundation.c, net.d, slot, provider.address)).map(a => net.slark(a))
  await commitChallenge(committee[0].c, net.d, slot, provider.address, answer(`puzzle ${slot}`), answer(`spec ${slot}`))
  return { slot, committee }
}

// ------------------------------------------------------------------ BLS.sol

test('BLS.sol hashes to G2 as RFC 9380 J.10.1 and as the TypeScript side', async () => {
  const dst = utf8('QUUX-V01-CS02-with-BLS12381G2_XMD:SHA-256_SSWU_RO_')
  const msgs = ['', 'abc', 'abcdef0123456789', 'q128_' + 'q'.repeat(128), 'a512_' + 'a'.repeat(512)]
  for (const m of msgs) {
    const onChain = await call<Hex>('hashToG2', [utf8(m), dst])
    assert.is(onChain, hashToG2(new TextEncoder().encode(m), 'QUUX-V01-CS02-with-BLS12381G2_XMD:SHA-256_SSWU_RO_'), `msg of ${m.length} bytes`)
  }
  // J.10.1, msg "abc", pinned here too: x.c0 of P.
  assert.is((await call<Hex>('hashToG2', ['0x616263', dst])).slice(2 + 32, 2 + 128), '02c2d18e033b960562aae3cab37a27ce00d80ccd5ba4b7fe0e7a210245129dbec7780ccc7954725f4168aff2787776e6')
  for (const m of ['0x', '0x00', keccak256('0x01')] as Hex[]) {
    assert.is(await call<Hex>('hashToG2', [m, utf8(BLS_SIG_DST)]), hashToG2(m))
    assert.is(await call<Hex>('hashToG2', [m, utf8(BLS_POP_DST)]), hashToG2(m, BLS_POP_DST))
  }
})

test('BLS.sol verifies the Ethereum vector signature, sums G1 keys, and says false to forgeries', async () => {
  const pk = '0xa491d1b0ecd9bb917989f0e74f0dea0422eac4a873e5e2644f368dffb9a6e20fd6e10c1b77654d067c0618f6e5a7f79a'
  const sig = '0xb6ed936746e01f8ecf281f020953fbf1f01debd5657c4a383940b020b26507f6076334f91e2366c96e9ab279fb5158090352ea1c5b0c9274504f4f0e7053af24802e51e4568d164fe986834f41e55c8e850ce1f98458c0cfc9ab380b55285a55'
  const msg = `0x${'00'.repeat(32)}` as Hex
  assert.ok(await call<boolean>('verify', [g1ToEip2537(pk), msg, g2ToEip2537(sig)]))
  assert.not.ok(await call<boolean>('verify', [g1ToEip2537(pk), `0x${'00'.repeat(31)}01`, g2ToEip2537(sig)]), 'another message')
  const [a, b] = net.slarks
  assert.not.ok(await call<boolean>('verify', [g1ToEip2537(a.key.publicKey), msg, g2ToEip2537(sig)]), 'another key')
  // Not on the curve: the pairing precompile fails and verify answers false (with bounded gas).
  const offCurve = `0x${(`${'00'.repeat(16)}${'11'.repeat(48)}`).repeat(4)}` as Hex
  assert.not.ok(await call<boolean>('verify', [g1ToEip2537(pk), msg, offCurve]))
  const sum = await call<Hex>('g1Add', [g1ToEip2537(a.key.publicKey), g1ToEip2537(b.key.publicKey)])
  const both = blsAggregateSignatures([blsSign(a.key.secretKey, msg), blsSign(b.key.secretKey, msg)])
  assert.ok(await call<boolean>('verify', [sum, msg, g2ToEip2537(both)]))
})

test('BLS.sol checks a proof of possession and that the 128-byte key is the 48-byte one', async () => {
  const [a, b] = net.slarks
  const ra = blsRegistration(a.key)
  assert.ok(await call<boolean>('verifyPop', [ra.publicKey, ra.publicKeyG1, ra.pop]))
  assert.not.ok(await call<boolean>('verifyPop', [ra.publicKey, ra.publicKeyG1, blsRegistration(b.key).pop]))
  assert.not.ok(await call<boolean>('isUncompressedOf', [a.key.publicKey, g1ToEip2537(b.key.publicKey)]))
  // −pk has the same x and the other y: the sign flag tells them apart.
  const negated = `0x${(parseInt(a.key.publicKey.slice(2, 4), 16) ^ 0x20).toString(16).padStart(2, '0')}${a.key.publicKey.slice(4)}` as Hex
  assert.not.ok(await call<boolean>('isUncompressedOf', [negated, ra.publicKeyG1]))
  assert.ok(await call<boolean>('isUncompressedOf', [negated, g1ToEip2537(negated)]))
})

// ------------------------------------------------------------------ registration

test('the registry takes a slark key only with a valid proof of possession, once per key', async () => {
  const { outsider, slarks } = net
  const good = blsRegistration(outsider.key)
  const other = blsRegistration(slarks[0].key)
  await rejects(async () => await registerNode(outsider.c, net.d, 'slark', outsider.peerId, 'eu-west', { ...good, pop: other.pop }), 'Registry: invalid BLS proof of possession')
  // The key signed as a message (the message DST) is no proof.
  const asMessage = g2ToEip2537(blsSign(outsider.key.secretKey, outsider.key.publicKey))
  await rejects(async () => await registerNode(outsider.c, net.d, 'slark', outsider.peerId, 'eu-west', { ...good, pop: asMessage }), 'Registry: invalid BLS proof of possession')
  await rejects(async () => await registerNode(outsider.c, net.d, 'slark', outsider.peerId, 'eu-west', { ...good, publicKeyG1: other.publicKeyG1 }), 'is not the 48-byte key uncompressed')
  await rejects(async () => await registerNode(outsider.c, net.d, 'slark', outsider.peerId, 'eu-west', other), 'Registry: this BLS key is registered by another node')
  await rejects(async () => await registerNode(outsider.c, net.d, 'slark', outsider.peerId, 'eu-west'), 'a slark registers a BLS key')
  await rejects(async () => await write(outsider.c, 'registration', {
    address: net.d.registry, abi: ProviderRegistryAbi, functionName: 'register', args: [1, outsider.peerId, 'eu-west', '0x', good.publicKey, good.publicKeyG1, good.pop]
  }), 'Registry: only matchers and slarks register a BLS key')
  assert.is((await nodeRecord(outsider.c, net.d, outsider.address)).role, 0, 'still unregistered')
  const rec = await nodeRecord(slarks[0].c, net.d, slarks[0].address)
  assert.is(rec.blsPublicKey, slarks[0].key.publicKey)
  assert.is(rec.blsPublicKeyG1, other.publicKeyG1)
})

// ------------------------------------------------------------------ slots and committees

test('committee draws on chain match the TypeScript draw, slot after slot', async () => {
  const seen = new Set<string>()
  for (let i = 0; i < 5; i++) {
    const { slot, seed } = await net.nextSlot()
    const roster = await slotRoster(net.foundation.c, net.d, slot)
    // Every slark with its tier (registered in parallel, so in no fixed order).
    assert.equal(roster.map(m => [m.address.toLowerCase(), m.tier]).sort(), net.slarks.map((s, k) => [s.address, SLARK_TIERS[k]]).sort())
    for (const [j, p] of net.providers.entries()) {
      const onChain = await challengeCommittee(net.foundation.c, net.d, slot, p.address)
      assert.equal(onChain, committeeOf(seed, p.address, roster, PROVIDER_TIERS[j], 3), `slot ${slot}, provider tier ${PROVIDER_TIERS[j]}`)
      for (const a of onChain) assert.ok(SLARK_TIERS[net.slarks.indexOf(net.slark(a))] + PROVIDER_TIERS[j] >= 7)
      if (j === 0) seen.add(onChain.join())
    }
    assert.is((await challengeCommittee(net.foundation.c, net.d, slot, net.providers[2].address)).length, 2, 'only two slarks may challenge tier 1')
  }
  assert.ok(seen.size > 1, 'the seed changes the committee')
})

test('a slot opens once, commitments come from the committee during the slot, once', async () => {
  const [provider] = net.providers
  const { slot } = await net.nextSlot()
  await rejects(async () => await openSlot(net.foundation.c, net.d), 'Challenges: slot already opened')
  const committee = (await challengeCommittee(net.foundation.c, net.d, slot, provider.address)).map(a => net.slark(a))
  const outsider = net.slarks.find(s => !committee.includes(s))!
  await rejects(async () => await commitChallenge(outsider.c, net.d, slot, provider.address, answer('p'), answer('s')), 'Challenges: the caller is not on this provider\'s committee')
  await rejects(async () => await commitChallenge(committee[0].c, net.d, slot, net.slarks[0].address, answer('p'), answer('s')), 'Challenges: not a registered provider')
  await commitChallenge(committee[0].c, net.d, slot, provider.address, answer('p'), answer('s'))
  await rejects(async () => await commitChallenge(committee[1].c, net.d, slot, provider.address, answer('p'), answer('s')), 'Challenges: already committed for this slot and provider')
  await net.nextSlot()
  await rejects(async () => await commitChallenge(committee[0].c, net.d, slot, net.providers[1].address, answer('p'), answer('s')), 'Challenges: commitments are made during their slot')
})

// ------------------------------------------------------------------ results

test('a majority aggregate is recorded once, with the votes counted per slark', async () => {
  const [provider] = net.providers
  const { slot, committee } = await committed(provider)
  assert.is(committee.length, 3)
  const before = await Promise.all(committee.map(async s => await slarkVotes(s.c, net.d, s.address)))
  const onChainMessage = await net.foundation.c.public.readContract({ address: net.d.challenges, abi: ChallengesAbi, functionName: 'resultMessage', args: [slot, provider.address, true, answer('ok')] })
  assert.is(onChainMessage, challengeResultMessage({ chainId: net.anvil.chainId, challenges: net.d.challenges, slot, provider: provider.address, passed: true, answerHash: answer('ok') }))
  const signers = [committee[0], committee[2]]
  const signature = net.sign(signers, slot, provider.address, true, answer('ok'))
  const { gasUsed } = await submitChallengeResult(net.outsider.c, net.d, { slot, provider: provider.address, passed: true, answerHash: answer('ok'), signers: bitmapOf([0, 2]), signature })
  assert.ok(gasUsed > 0n)
  const r = await getChallenge(net.foundation.c, net.d, slot, provider.address)
  assert.ok(r.resulted && r.passed)
  assert.is(r.answerHash, answer('ok'))
  assert.is(r.signers, 5n)
  assert.is(r.committer.toLowerCase(), committee[0].address)
  const after = await Promise.all(committee.map(async s => await slarkVotes(s.c, net.d, s.address)))
  assert.equal(after.map((v, i) => v.seated - before[i].seated), [1n, 1n, 1n])
  assert.equal(after.map((v, i) => v.inMajority - before[i].inMajority), [1n, 0n, 1n])
  // Replayed: the same result again.
  await rejects(async () => await submitChallengeResult(net.outsider.c, net.d, { slot, provider: provider.address, passed: true, answerHash: answer('ok'), signers: 5n, signature }),
    'Challenges: a result for this slot and provider is already recorded')
  // A 256-byte EIP-2537 signature is taken as it is.
  const all = net.sign(committee, slot, provider.address, false, answer('x'))
  await rejects(async () => await submitChallengeResult(net.outsider.c, net.d, { slot, provider: provider.address, passed: false, answerHash: answer('x'), signers: 7n, signature: g2ToEip2537(all) }),
    'already recorded')
})

test('forged aggregates, wrong bitmaps and replays are refused with their reason', async () => {
  const [provider, other] = net.providers
  const { slot, committee } = await committed(provider)
  const ok = answer('fine')
  const submit = async (signers: bigint, signature: Hex, over: { slot?: bigint, provider?: Address, passed?: boolean } = {}): Promise<unknown> =>
    await submitChallengeResult(net.outsider.c, net.d, { slot: over.slot ?? slot, provider: over.provider ?? provider.address, passed: over.passed ?? true, answerHash: ok, signers, signature })
  const majority = [committee[0], committee[1]]
  // The signature of another message (the opposite verdict).
  await rejects(async () => await submit(3n, net.sign(majority, slot, provider.address, false, ok)), 'Challenges: invalid aggregate signature')
  // A non-member signs in place of a member (bits say members 0 and 1).
  const nonMember = net.slarks.find(s => !committee.includes(s))!
  await rejects(async () => await submit(3n, net.sign([committee[0], nonMember], slot, provider.address, true, ok)), 'Challenges: invalid aggregate signature')
  await rejects(async () => await submit(3n, net.sign([committee[0], net.outsider], slot, provider.address, true, ok)), 'Challenges: invalid aggregate signature')
  // Bits for a member who did not sign.
  await rejects(async () => await submit(7n, net.sign(majority, slot, provider.address, true, ok)), 'Challenges: invalid aggregate signature')
  // A minority, even with a valid signature.
  await rejects(async () => await submit(1n, net.sign([committee[0]], slot, provider.address, true, ok)), 'Challenges: the signers are not a majority of the committee')
  // Bits beyond the committee.
  await rejects(async () => await submit(bitmapOf([0, 1, 3]), net.sign(majority, slot, provider.address, true, ok)), 'Challenges: signer bits beyond the committee')
  // Malformed signatures.
  await rejects(async () => await submit(3n, `0x${'00'.repeat(100)}`), 'the signature is 100 bytes')
  await rejects(async () => await submit(3n, `0x${'ff'.repeat(96)}`), 'not a valid BLS signature')
  // Nothing committed for the other provider yet.
  const good = net.sign(majority, slot, provider.address, true, ok)
  await rejects(async () => await submit(3n, good, { provider: other.address }), 'Challenges: nothing committed for this slot and provider')
  await submit(3n, good)
  // Replays of the accepted result: to another provider in the same slot, and to the same provider in a later slot.
  await commitChallenge(net.slark((await challengeCommittee(net.foundation.c, net.d, slot, other.address))[0]).c, net.d, slot, other.address, answer('p2'), answer('s2'))
  await rejects(async () => await submit(3n, good, { provider: other.address }), 'Challenges: invalid aggregate signature')
  const later = await committed(provider)
  await rejects(async () => await submit(3n, good, { slot: later.slot }), 'Challenges: invalid aggregate signature')
})

test('a two-member committee needs both signatures', async () => {
  const provider = net.providers[2]
  const { slot, committee } = await committed(provider)
  assert.is(committee.length, 2)
  const verdict = answer('two')
  await rejects(async () => await submitChallengeResult(net.outsider.c, net.d, { slot, provider: provider.address, passed: false, answerHash: verdict, signers: 1n, signature: net.sign([committee[0]], slot, provider.address, false, verdict) }),
    'Challenges: the signers are not a majority of the committee')
  await submitChallengeResult(net.outsider.c, net.d, { slot, provider: provider.address, passed: false, answerHash: verdict, signers: 3n, signature: net.sign(committee, slot, provider.address, false, verdict) })
  assert.not.ok((await getChallenge(net.foundation.c, net.d, slot, provider.address)).passed)
})

test.run()
