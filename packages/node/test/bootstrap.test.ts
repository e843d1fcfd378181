/**
 * Bootstrap redials (network/bootstrap.ts): a peer not listening yet is retried until reached; a
 * full peer that prunes us at once is redialled only on a growing backoff; one lost after a long
 * link is dialled again at once. Real libp2p hosts over TCP.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createLibp2p, type Libp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { PrivateKey } from '@libp2p/interface'
import { startBootstrap } from '../src/network/bootstrap.js'
import { silent } from '../src/log.js'
import { freePort } from '../src/devnet/devnet.js'
import { waitFor } from './helpers/cluster.js'

async function host (listen: string[], privateKey?: PrivateKey): Promise<Libp2p> {
  return await createLibp2p({ privateKey, addresses: { listen }, transports: [tcp()], connectionEncrypters: [noise()], streamMuxers: [yamux()], connectionMonitor: { enabled: false } })
}

const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }

test('a bootstrap peer that is not listening yet is dialled until it is reached', async () => {
  const key = await generateKeyPair('Ed25519')
  const port = await freePort()
  const node = await host([])
  const stop = startBootstrap(node, [`/ip4/127.0.0.1/tcp/${port}/p2p/${peerIdFromPrivateKey(key).toString()}`], silent, { retryMaxMs: 400, tickMs: 50 })
  let seed: Libp2p | undefined
  try {
    await sleep(1200)
    seed = await host([`/ip4/127.0.0.1/tcp/${port}`], key)
    await waitFor(async () => node.getPeers().length === 1, 2000, 'the peer to be reached once it listens')
  } finally {
    stop()
    await Promise.all([node.stop(), seed?.stop()])
  }
})

test('a peer that prunes us at once is redialled on a growing backoff; one lost after a long link at once', async () => {
  const seed = await host(['/ip4/127.0.0.1/tcp/0'])
  const node = await host([])
  let prune = true
  const opens: number[] = []
  seed.addEventListener('connection:open', (evt) => {
    opens.push(Date.now())
    if (prune) void evt.detail.close()
  })
  // A peer we fail to reach is retried within 200 ms; one that drops us waits 0.4, 0.8, 1.6 s.
  const stop = startBootstrap(node, [seed.getMultiaddrs()[0].toString()], silent, { retryMaxMs: 200, dropMinMs: 400, dropMaxMs: 1600, tickMs: 20, minPeers: 0 })
  try {
    await sleep(4000)
    const gaps = opens.slice(1).map((t, i) => t - opens[i])
    assert.ok(opens.length >= 3 && opens.length <= 5, `${opens.length} dials in 4 s (at most 5 with the backoff, ~20 without)`)
    assert.ok(gaps.every((g, i) => g >= 350 && (i === 0 || g >= gaps[i - 1] * 1.5 || g >= 1500)), `gaps grow: ${gaps.join(', ')} ms`)
    prune = false
    await waitFor(async () => node.getPeers().length === 1, 3000, 'the backoff to end in a dial')
    // A link that lasted longer than dropMinMs and is then lost is redialled at once.
    await sleep(600)
    const before = opens.length
    await Promise.all(seed.getConnections().map(async c => { await c.close() }))
    await waitFor(async () => opens.length > before && node.getPeers().length === 1, 1000, 'a redial at once')
  } finally {
    stop()
    await Promise.all([node.stop(), seed.stop()])
  }
})

test('a full peer that refuses us is retried ever more slowly while we have other peers, and soon when cut off', async () => {
  const full = await createLibp2p({ addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] }, transports: [tcp()], connectionEncrypters: [noise()], streamMuxers: [yamux()], connectionMonitor: { enabled: false }, connectionManager: { maxConnections: 1 } })
  const filler = await host([])
  const other = await host(['/ip4/127.0.0.1/tcp/0'])
  const node = await host([])
  await filler.dial(full.getMultiaddrs()[0])
  await node.dial(other.getMultiaddrs()[0])
  const dials: number[] = []
  const counted = { dial: async (...a: Parameters<Libp2p['dial']>) => { dials.push(Date.now()); return await node.dial(...a) }, getConnections: node.getConnections.bind(node) }
  const stop = startBootstrap(counted, [full.getMultiaddrs()[0].toString()], silent, { retryMaxMs: 100, idleRetryMaxMs: 2000, tickMs: 20, minPeers: 1 })
  try {
    // Refused at 0, then retried after 0.5, 1 and 2 s: four dials in 4 s (about 40 if cut off).
    await sleep(4000)
    assert.ok(node.getConnections(full.peerId).length === 0, 'the full peer refused us')
    assert.ok(dials.length >= 3 && dials.length <= 5, `${dials.length} dials in 4 s`)
    // Cut off from everyone: the backoff is capped at retryMaxMs.
    await Promise.all(node.getConnections().map(async c => { await c.close() }))
    const before = dials.length
    await sleep(1000)
    assert.ok(dials.length - before >= 5, `${dials.length - before} dials in 1 s once cut off`)
  } finally {
    stop()
    await Promise.all([node.stop(), other.stop(), filler.stop(), full.stop()])
  }
})

test.run()
