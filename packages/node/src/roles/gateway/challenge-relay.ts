/**
 * Fizz nodes are challenged through their gateway (SPEC.md, Slark): a slark's
 * `/dcn/challenge/1.0.0` request for one of this gateway's fizz nodes is passed on verbatim over
 * the relayed connection, and the fizz node's signed answer comes back the same way. The fizz
 * node checks the request against the chain itself; the gateway only refuses what is not for
 * one of its fizz nodes, or arrives while that node is offline.
 */
import { peerIdFromString } from '@libp2p/peer-id'
import { CHALLENGE_PROTOCOL, Frames, MAX_PROOF_BYTES, parseChallengeRequest } from '@dcn/protocol'
import type { Host } from '../../host.js'
import type { Logger } from '../../log.js'
import { REQUEST_TIMEOUT_MS, refuse } from '../provider/request-guard.js'
import { AccessError } from '../provider/workloads.js'
import type { FizzDirectory } from './directory.js'

export async function relayChallenges (host: Host, directory: FizzDirectory, log: Logger): Promise<() => void> {
  await host.handle(CHALLENGE_PROTOCOL, async (stream) => {
    const frames = new Frames(stream, 64 * 1024)
    let fizz: Frames | undefined
    try {
      const req = parseChallengeRequest(await frames.readJson(REQUEST_TIMEOUT_MS), 'request')
      const target = directory.list().find(f => f.record.wallet.toLowerCase() === req.provider.toLowerCase())
      if (target === undefined) throw new AccessError(`${req.provider} is not a fizz node of this gateway`)
      const peer = peerIdFromString(target.record.peerId)
      if (!host.getConnections().some(c => c.remotePeer.equals(peer))) throw new AccessError(`fizz node ${req.provider} is offline`)
      const out = await host.dialProtocol(peer, CHALLENGE_PROTOCOL, { signal: AbortSignal.timeout(10_000) })
        .catch((err: Error) => { throw new AccessError(`cannot reach fizz node ${req.provider}: ${err.message.split('\n')[0]}`) })
      fizz = new Frames(out, MAX_PROOF_BYTES + 64 * 1024)
      await fizz.writeJson(req)
      // The acknowledgement (or a refusal), then the answer.
      const first = await fizz.readJson() as { accepted?: boolean }
      await frames.writeJson(first)
      if (first.accepted === true) await frames.writeJson(await fizz.readJson())
    } catch (err) {
      await refuse(frames, err, log, 'challenge relay')
    } finally {
      await fizz?.close().catch(() => {})
      await stream.close().catch(() => { stream.abort(new Error('close failed')) })
    }
  }, { maxInboundStreams: 32 })
  return () => { void host.unhandle(CHALLENGE_PROTOCOL).catch(() => {}) }
}
