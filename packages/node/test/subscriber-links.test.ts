/**
 * A provider keeps its links to the subscribers of what it publishes but nobody relays
 * (network/subscriber-links.ts): real libp2p hosts over TCP.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { KEEP_ALIVE } from '@libp2p/interface'
import { TOPICS } from '@dcn/protocol'
import { createHost, type Host } from '../src/host.js'
import { keepSubscribersLinked } from '../src/network/subscriber-links.js'
import { Gossip } from '../src/network/gossip.js'
import { NodeMetrics } from '../src/metrics.js'
import { silent } from '../src/log.js'
import { privateKeyToAccount, generatePrivateKey } from 'viem/accounts'

const host = async (): Promise<Host> => await createHost({ privateKey: await generateKeyPair('Ed25519'), listen: ['/ip4/127.0.0.1/tcp/0'] })

async function keepAliveTags (h: Host, peer: Host): Promise<string[]> {
  const p = await h.peerStore.get(peer.peerId)
  return [...p.tags.keys()].filter(t => t.startsWith(KEEP_ALIVE))
}

test('a peer subscribing to bids is kept linked; one subscribing only to orders is not', async () => {
  const provider = await host()
  const matcher = await host()
  const other = await host()
  const gossip = new Gossip({ host: provider, chainId: 31337, wallet: privateKeyToAccount(generatePrivateKey()), metrics: new NodeMetrics(), log: silent })
  const stop = keepSubscribersLinked(provider, gossip, [TOPICS.bids, TOPICS.heartbeats])
  try {
    matcher.services.pubsub.subscribe(TOPICS.bids)
    other.services.pubsub.subscribe(TOPICS.orders)
    await provider.dial(matcher.getMultiaddrs()[0])
    await provider.dial(other.getMultiaddrs()[0])
    const until = Date.now() + 10_000
    while (provider.services.pubsub.getSubscribers(TOPICS.bids).length === 0 || provider.services.pubsub.getSubscribers(TOPICS.orders).length === 0) {
      assert.ok(Date.now() < until, 'subscriptions did not arrive')
      await new Promise(resolve => setTimeout(resolve, 50))
    }
    await new Promise(resolve => setTimeout(resolve, 100))
    assert.is((await keepAliveTags(provider, matcher)).length, 1, 'the bids subscriber is tagged keep-alive')
    assert.is((await keepAliveTags(provider, other)).length, 0, 'a peer on other topics is not')
  } finally {
    stop()
    await Promise.all([provider.stop(), matcher.stop(), other.stop()])
  }
})

test.run()
