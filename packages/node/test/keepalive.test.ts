/**
 * Dead links without the connection monitor: yamux's keepalive ping (patched, see patches/)
 * closes a connection whose peer stopped answering, and leaves a live one alone.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createLibp2p, type Libp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { delayedTransport } from '../src/network/link-delay.js'

const KEEPALIVE_MS = 400

/** A bare host whose received bytes stop arriving once `frozen.on` (a peer gone without a FIN). */
async function host (frozen: { on: boolean }): Promise<Libp2p> {
  return await createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [delayedTransport(tcp(), () => frozen.on ? 1e9 : 0)],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux({ keepAliveInterval: KEEPALIVE_MS })],
    connectionMonitor: { enabled: false }
  })
}

async function waitFor (cond: () => boolean, ms: number): Promise<boolean> {
  const until = Date.now() + ms
  while (!cond()) {
    if (Date.now() > until) return false
    await new Promise(resolve => setTimeout(resolve, 50))
  }
  return true
}

test('a link whose peer stopped answering is closed by the keepalive; a live one stays open', async () => {
  const frozen = { on: false }
  const a = await host(frozen)
  const b = await host({ on: false })
  try {
    await a.dial(b.getMultiaddrs()[0])
    // Several keepalive rounds on a live link: answered, so the connection stays.
    await new Promise(resolve => setTimeout(resolve, KEEPALIVE_MS * 5))
    assert.is(a.getConnections().length, 1, 'a live link was closed')
    assert.is(b.getConnections().length, 1, 'a live link was closed')
    // From now on nothing b sends reaches a: a's pings go unanswered, and b's pings are never seen.
    frozen.on = true
    assert.ok(await waitFor(() => a.getConnections().length === 0, KEEPALIVE_MS * 6), 'the side whose pings went unanswered kept the dead link')
    assert.ok(await waitFor(() => b.getConnections().length === 0, KEEPALIVE_MS * 6), 'the other side kept the dead link')
  } finally {
    await Promise.all([a.stop(), b.stop()])
  }
})

test.run()
