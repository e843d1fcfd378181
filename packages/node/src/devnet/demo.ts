/**
 * `dcn devnet --demo`: one real deployment on the fresh devnet, so a newcomer sees the whole
 * flow work — a small HTTP service from busybox (built from the host's static busybox when no
 * registry is reachable), deployed through order, match, lease and manifest, its URL printed.
 */
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { deposit, escrowBalance, leaseLock, parseManifest } from '@dcn/protocol'
import type Docker from 'dockerode'
import { connectChain } from '../chain/deployment.js'
import { deploy } from '../client/deploy.js'
import type { DevnetFile } from '../client/network.js'
import { UserError } from '../errors.js'
import { loadIdentity } from '../identity.js'
import type { Logger } from '../log.js'
import { BUSYBOX_IMAGE, hasImage, importBusybox, staticBusybox } from '../runtime/images.js'

/** The demo is the README's example manifest. */
export const DEMO_MANIFEST = fileURLToPath(new URL('../../../../../examples/web.yaml', import.meta.url))

/** Makes busybox:stable present: already there, or built from a static busybox on this host. */
export async function ensureDemoImage (docker: Docker, log: Logger): Promise<void> {
  if (await hasImage(docker, BUSYBOX_IMAGE)) return
  const binary = staticBusybox()
  if (binary === null) throw new UserError(`the demo needs the image ${BUSYBOX_IMAGE}: run "docker pull ${BUSYBOX_IMAGE}", or on Debian "apt-get install busybox-static" so dcn can build it`, 1)
  log.info('building the demo image from the host busybox', { image: BUSYBOX_IMAGE, binary })
  await importBusybox(docker, binary)
}

export interface DemoResult { leaseId: bigint, url: string, ms: number }

export async function runDemo (info: DevnetFile, dataDir: string): Promise<DemoResult> {
  const started = Date.now()
  const text = readFileSync(DEMO_MANIFEST, 'utf8')
  const { order: spec } = parseManifest(text, { tokens: info.tokens })
  const { wallet } = await loadIdentity(dataDir)
  const c = await connectChain(info.chain, wallet)
  const d = info.chain.deployment
  const needed = leaseLock(d, spec.token, spec.maxPricePerSecond, spec.duration)
  const { unlocked } = await escrowBalance(c, d, spec.token)
  if (unlocked < needed) await deposit(c, d, spec.token, needed - unlocked)
  const result = await deploy({ net: info, wallet, c }, { text, spec }, { windowMs: 1000 })
  if (!result.running) throw new UserError('the demo order found no provider', 1)
  return { leaseId: result.lease.leaseId, url: result.endpoints[0]?.url ?? '', ms: Date.now() - started }
}
