/**
 * Discovery (network/discovery.ts): a node short of links dials peers it already knows of, as
 * many as it lacks, with no DHT at all; only full nodes (serving the DHT), never a fizz node or
 * light client, and never one reachable only through a relay; rounds whose dials all fail back
 * off, up to a cap. Real libp2p hosts over TCP.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { multiaddr } from '@multiformats/multiaddr'
import { PROTOCOLS } from '@dcn/protocol'
import { createHost, type Host } from '../src/host.js'
import { startDiscovery } from '../src/network/discovery.js'
import { silent } from '../src/log.js'
import { waitFor } from './helpers/cluster.js'

const host = async (): Promise<Host> => await createHost({ privateKey: await generateKeyPair('Ed25519'), listen: ['/ip4/127.0.0.1/tcp/0'], noDht: true })
const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }

test('a node short of links dials known peers, only as many as it lacks', async () => {
  const [node, first, ...known] = await Promise.all([host(), host(), host(), host(), host()])
  const stop = startDiscovery(node, silent, { targetPeers: 3, intervalMs: 200 })
  try {
    await node.dial(first.getMultiaddrs()[0])
    for (const k of known) await node.peerStore.merge(k.peerId, { multiaddrs: k.getMultiaddrs(), protocols: [PROTOCOLS.kad] })
    await waitFor(async () => node.getPeers().length === 3, 5000, 'two more links, from the peer store')
    // Three known peers, two slots: a few more rounds add nothing.
    await sleep(800)
    assert.is(node.getPeers().length, 3)
    assert.ok(node.getPeers().some(p => p.equals(first.peerId)), 'the first link is kept')
  } finally {
    stop()
    await Promise.all([node, first, ...known].map(async h => { await h.stop() }))
  }
})

test('a peer that does not serve the DHT (a fizz node, a light client) or is known only behind a relay is not dialled', async () => {
  const [node, first, relayed, light, known] = await Promise.all([host(), host(), host(), host(), host()])
  const stop = startDiscovery(node, silent, { targetPeers: 5, intervalMs: 200 })
  const dialled: string[] = []
  const dial = node.dial.bind(node)
  node.dial = async (peer, opts) => { dialled.push(peer.toString()); return await dial(peer, opts) }
  try {
    await node.dial(first.getMultiaddrs()[0])
    await node.peerStore.merge(known.peerId, { multiaddrs: known.getMultiaddrs(), protocols: [PROTOCOLS.kad] })
    await node.peerStore.merge(relayed.peerId, { multiaddrs: [multiaddr(`${first.getMultiaddrs()[0].toString()}/p2p-circuit/p2p/${relayed.peerId.toString()}`)], protocols: [PROTOCOLS.kad] })
    // A direct address, but no DHT: not a full node.
    await node.peerStore.merge(light.peerId, { multiaddrs: light.getMultiaddrs() })
    await waitFor(async () => node.getPeers().length === 2, 5000, 'the direct peer dialled')
    await sleep(800)
    assert.not.ok(dialled.includes(relayed.peerId.toString()), 'the peer behind a relay was dialled')
    assert.not.ok(dialled.includes(light.peerId.toString()), 'the peer without the DHT was dialled')
  } finally {
    stop()
    await Promise.all([node, first, relayed, light, known].map(async h => { await h.stop() }))
  }
})

test('rounds whose dials all fail back off, up to a cap: a peer learnt of later is still dialled soon', async () => {
  const [node, first, gone, late] = await Promise.all([host(), host(), host(), host()])
  const goneAddrs = gone.getMultiaddrs()
  await gone.stop() // known, but its port refuses: every dial of it fails
  const stop = startDiscovery(node, silent, { targetPeers: 2, intervalMs: 100 })
  const at: number[] = []
  const dial = node.dial.bind(node)
  node.dial = async (peer, opts) => { at.push(Date.now()); return await dial(peer, opts) }
  try {
    await dial(first.getMultiaddrs()[0])
    await node.peerStore.merge(gone.peerId, { multiaddrs: goneAddrs, protocols: [PROTOCOLS.kad] })
    await waitFor(async () => at.length > 0, 5000, 'a first round')
    const t0 = Date.now()
    await sleep(2500)
    // After a failed round the wait doubles, 200, 400, 800 (the cap, 8 intervals) ms: about 5 dials in
    // 2.5 s, where a steady 100 ms pace would make about 25.
    assert.ok(at.length >= 3 && at.length <= 7, `${at.length} dials in 2.5 s`)
    const gaps = at.slice(1).map((t, i) => t - at[i])
    assert.ok(gaps[gaps.length - 1] >= 700, `the last wait was ${gaps[gaps.length - 1]} ms`)
    // The wait is capped (800 ms here): a peer learnt of now fills the missing slot within it.
    await node.peerStore.delete(gone.peerId)
    await node.peerStore.merge(late.peerId, { multiaddrs: late.getMultiaddrs(), protocols: [PROTOCOLS.kad] })
    await waitFor(async () => node.getPeers().length === 2, 5000, 'the late peer dialled')
    assert.ok(Date.now() - t0 < 6000)
  } finally {
    stop()
    await Promise.all([node, first, late].map(async h => { await h.stop() }))
  }
})

test.run()
