/**
 * The slark's chain view on a real anvil: a reveal may name a provider registered after the
 * slark last read the registry (a newcomer is challenged in its first slot, and the leader read
 * the registry later than this member). `provider` reads again before calling it unknown.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { registerNode } from '@dcn/protocol'
import { slarkChain } from '../src/roles/slark/chain.js'
import { ChallengeNet } from './helpers/committee.js'

let net: ChallengeNet

test.before(async () => {
  net = await ChallengeNet.start({ slarkTiers: [1], providerTiers: [7] })
})

test.after(async () => {
  await net?.stop()
})

test('a provider registered since the last registry read is found, not called unknown', async () => {
  const chain = await slarkChain(net.slarks[0].c, net.d)
  const before = await chain.providers()
  assert.equal(before.map(p => p.address), [net.providers[0].address])
  const newcomer = net.outsider
  await registerNode(newcomer.c, net.d, 'provider', newcomer.peerId, 'eu-west')
  // The list is still the cached one; the lookup of one provider is not.
  assert.is((await chain.providers()).length, 1, 'the list read a moment ago is cached')
  const found = await chain.provider(newcomer.address)
  assert.is(found?.address, newcomer.address)
  assert.is(found?.gateway, undefined, 'a provider has no gateway')
  assert.is((await chain.providers()).length, 2, 'the fresh read replaced the cached list')
  assert.is(await chain.provider(net.slarks[0].address), undefined, 'a slark is no provider')
})

test.run()
