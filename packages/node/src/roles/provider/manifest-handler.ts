/**
 * `/dcn/manifest/1.0.0`: the lease owner sends the manifest (signed over lease id, manifest hash
 * and time); the provider checks it against the chain, deploys — sending `{ progress }` frames
 * as it goes — and answers `{ ok, endpoints }` once every replica runs.
 */
import { MAX_MANIFEST_BYTES, PROTOCOLS, manifestDeliverySigner, parseManifestDelivery, type LeaseEvent } from '@dcn/protocol'
import type { Host } from '../../host.js'
import type { Logger } from '../../log.js'
import type { NodeMetrics } from '../../metrics.js'
import { Frames } from '@dcn/protocol'
import { REQUEST_TIMEOUT_MS, refuse, type RequestGuard } from './request-guard.js'
import type { Workloads } from './workloads.js'

export interface HandlerOptions {
  host: Host
  workloads: Workloads
  guard: RequestGuard
  chainId: number
  metrics: NodeMetrics
  log: Logger
}

export async function handleManifests ({ host, workloads, guard, chainId, metrics, log }: HandlerOptions): Promise<void> {
  await host.handle(PROTOCOLS.manifest, async (stream, conn) => {
    const frames = new Frames(stream, MAX_MANIFEST_BYTES + 4096)
    try {
      const req = parseManifestDelivery(await frames.readJson(REQUEST_TIMEOUT_MS), 'request')
      const signer = await guard.admit(req.time, req.sig, async () => await manifestDeliverySigner(chainId, req))
      // The deploy's events go back as they happen (an image pull can take minutes).
      let sent = Promise.resolve()
      const progress = (e: LeaseEvent): void => {
        const line = `${e.kind}${e.service === '' ? '' : ` ${e.service}-${e.replica}`}${e.detail === '' ? '' : `: ${e.detail}`}`
        sent = sent.then(async () => { await frames.writeJson({ progress: line }) }).catch(() => {})
      }
      const endpoints = await workloads.deliver(req.leaseId, req.manifest, signer, progress)
      await sent
      metrics.accessRequests.inc({ op: 'manifest', result: 'ok' })
      await frames.writeJson({ ok: true, endpoints })
    } catch (err) {
      metrics.accessRequests.inc({ op: 'manifest', result: 'refused' })
      const reason = await refuse(frames, err, log, 'manifest delivery')
      log.info('manifest refused', { peer: conn.remotePeer.toString(), reason })
    } finally {
      await frames.close()
    }
  }, { maxInboundStreams: 8 })
}
