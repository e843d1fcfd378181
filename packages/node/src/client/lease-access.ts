/**
 * The user's side of `/dcn/manifest/1.0.0` and `/dcn/lease/1.0.0`: every request is signed by
 * the lease owner's wallet; the provider is found by the peer id the lease records on chain
 * (libp2p looks its addresses up in the DHT).
 */
import { connect as netConnect } from 'node:net'
import { peerIdFromString } from '@libp2p/peer-id'
import type { LocalAccount } from 'viem/accounts'
import type { Stream } from '@libp2p/interface'
import {
  MAX_MANIFEST_BYTES, PROTOCOLS, signLeaseRequest, signManifestDelivery,
  type Endpoint, type LeaseArgs, type LeaseEvent, type LeaseOp, type ServiceStatus
} from '@dcn/protocol'
import type { Host } from '../host.js'
import { CHANNEL, Frames, type Control } from '@dcn/protocol'
import { UserError } from '../errors.js'

export interface ProviderRef {
  leaseId: bigint
  /** The provider's libp2p peer id, from the lease on chain. */
  peerId: string
}

export interface AccessContext {
  host: Host
  wallet: LocalAccount
  chainId: number
}

interface Answer { ok?: boolean, error?: string, progress?: string, [k: string]: unknown }

async function open (ctx: AccessContext, lease: ProviderRef, protocol: string, request: unknown, maxFrame?: number, timeoutMs = 30_000): Promise<{ frames: Frames, answer: Answer }> {
  const stream = await dialProvider(ctx.host, lease, protocol, timeoutMs)
  const frames = new Frames(stream, maxFrame)
  await frames.writeJson(request)
  return { frames, answer: await frames.readJson() as Answer }
}

/**
 * Opens a stream to the lease's provider. Its addresses come from the DHT; right after connecting,
 * the client's routing table may still be empty (identify has not finished), so a lookup that
 * finds nothing is retried for a moment.
 */
async function dialProvider (host: Host, lease: ProviderRef, protocol: string, timeoutMs: number): Promise<Stream> {
  const peer = peerIdFromString(lease.peerId)
  const until = Date.now() + Math.min(timeoutMs, 15_000)
  while (true) {
    try {
      return await host.dialProtocol(peer, protocol, { signal: AbortSignal.timeout(timeoutMs) })
    } catch (err) {
      const e = err as Error
      if (e.name === 'NoValidAddressesError' && Date.now() < until) {
        await new Promise(resolve => setTimeout(resolve, 100))
        continue
      }
      throw new UserError(`cannot reach the provider of lease ${lease.leaseId} (peer ${lease.peerId}): ${e.message.split('\n')[0]}`, 1)
    }
  }
}

function refused (lease: ProviderRef, answer: Answer): UserError {
  return new UserError(`provider refused lease ${lease.leaseId}: ${answer.error ?? 'no reason given'}`, 1)
}

/** Sends the manifest; resolves with the endpoints once the provider runs every replica. */
export async function deliverManifest (ctx: AccessContext, lease: ProviderRef, manifest: string, onProgress?: (line: string) => void, timeoutMs = 600_000): Promise<Endpoint[]> {
  const req = await signManifestDelivery(ctx.wallet, ctx.chainId, lease.leaseId, manifest)
  const opened = await open(ctx, lease, PROTOCOLS.manifest, req, MAX_MANIFEST_BYTES + 4096, timeoutMs)
  let answer = opened.answer
  try {
    while (!('ok' in answer)) {
      if (typeof answer.progress === 'string') onProgress?.(answer.progress)
      answer = await opened.frames.readJson() as Answer
    }
  } finally {
    await opened.frames.close()
  }
  if (!answer.ok) throw refused(lease, answer)
  return answer.endpoints as Endpoint[]
}

async function request<K extends LeaseOp> (ctx: AccessContext, lease: ProviderRef, op: K, args: Partial<LeaseArgs[K]>): Promise<{ frames: Frames, answer: Answer }> {
  const frame = await signLeaseRequest(ctx.wallet, ctx.chainId, lease.leaseId, op, args)
  const r = await open(ctx, lease, PROTOCOLS.lease, frame)
  if (r.answer.ok !== true) {
    await r.frames.close()
    throw refused(lease, r.answer)
  }
  return r
}

export async function leaseStatus (ctx: AccessContext, lease: ProviderRef): Promise<ServiceStatus[]> {
  const { frames, answer } = await request(ctx, lease, 'status', {})
  await frames.close()
  return answer.services as ServiceStatus[]
}

export async function leaseEvents (ctx: AccessContext, lease: ProviderRef): Promise<LeaseEvent[]> {
  const { frames, answer } = await request(ctx, lease, 'events', {})
  await frames.close()
  return answer.events as LeaseEvent[]
}

export interface Output {
  stdout: (data: Uint8Array) => void
  stderr: (data: Uint8Array) => void
}

/** Streams logs to `out` until they end (or, with follow, until `signal`). */
export async function leaseLogs (ctx: AccessContext, lease: ProviderRef, args: Partial<LeaseArgs['logs']>, out: Output, signal?: AbortSignal): Promise<void> {
  const { frames } = await request(ctx, lease, 'logs', args)
  const stop = (): void => { void frames.close() }
  signal?.addEventListener('abort', stop)
  try {
    const end = await pump(frames, out)
    if (end?.error !== undefined) throw new UserError(`logs of lease ${lease.leaseId}: ${end.error}`, 1)
  } finally {
    signal?.removeEventListener('abort', stop)
    await frames.close()
  }
}

export interface ShellIo extends Output {
  /** Called with a function that sends stdin; call `end` when stdin is done. */
  input: (send: (data: Uint8Array) => void, end: () => void, resize: (cols: number, rows: number) => void) => () => void
}

/** Runs a command in a replica; resolves with its exit code. */
export async function leaseShell (ctx: AccessContext, lease: ProviderRef, args: Partial<LeaseArgs['exec']> & { cmd: string[] }, io: ShellIo): Promise<number> {
  const { frames } = await request(ctx, lease, 'exec', args)
  const detach = io.input(
    (d) => { void frames.writeData(CHANNEL.stdin, d).catch(() => {}) },
    () => { void frames.writeControl({ eof: true }).catch(() => {}) },
    (cols, rows) => { void frames.writeControl({ resize: { cols, rows } }).catch(() => {}) }
  )
  try {
    const end = await pump(frames, io)
    if (end === null) throw new UserError(`the provider closed the shell of lease ${lease.leaseId} without an exit code`, 1)
    if (end.error !== undefined) throw new UserError(`shell of lease ${lease.leaseId}: ${end.error}`, 1)
    return end.exit ?? 0
  } finally {
    detach()
    await frames.close()
  }
}

/** Copies output frames until the closing control frame (returned), or null if the stream just ended. */
async function pump (frames: Frames, out: Output): Promise<Control | null> {
  while (true) {
    const f = await frames.readData().catch(() => null)
    if (f === null) return null
    if (f.channel === CHANNEL.stdout) out.stdout(f.data)
    else if (f.channel === CHANNEL.stderr) out.stderr(f.data)
    else if (f.control?.exit !== undefined || f.control?.error !== undefined) return f.control
  }
}

/** Waits until every endpoint answers (HTTP: any response; TCP: a connection), or throws after `timeoutMs`. */
export async function waitAnswering (endpoints: Endpoint[], timeoutMs = 60_000): Promise<void> {
  const until = Date.now() + timeoutMs
  for (const e of endpoints.filter(x => x.proto !== 'udp')) {
    while (!(await answers(e))) {
      if (Date.now() > until) throw new UserError(`${e.service} is running but ${e.url} does not answer after ${Math.round(timeoutMs / 1000)} s`, 1)
      await new Promise(resolve => setTimeout(resolve, 50))
    }
  }
}

async function answers (e: Endpoint): Promise<boolean> {
  if (e.proto === 'http') {
    return await fetch(e.url, { signal: AbortSignal.timeout(2000) }).then(async r => { await r.body?.cancel(); return true }, () => false)
  }
  return await new Promise(resolve => {
    const s = netConnect({ host: e.host, port: e.hostPort, timeout: 2000 })
    s.once('connect', () => { s.destroy(); resolve(true) })
    s.once('error', () => { resolve(false) })
    s.once('timeout', () => { s.destroy(); resolve(false) })
  })
}
