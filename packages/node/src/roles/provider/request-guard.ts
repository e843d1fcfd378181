/**
 * The checks every signed lease-access request passes before its wallet is even looked up:
 * fresh (±60 s), a valid signature, never seen before (a captured request cannot be replayed,
 * not even within its minute). Refusals are AccessErrors, sent back as one line.
 */
import { MAX_ACCESS_AGE_S, SchemaError, staleness, type Address } from '@dcn/protocol'
import { FrameError, type Frames } from '@dcn/protocol'
import type { Logger } from '../../log.js'
import { AccessError } from './workloads.js'

/** A peer that opens a stream must send its request this soon. */
export const REQUEST_TIMEOUT_MS = 10_000

export class RequestGuard {
  private readonly seen = new Map<string, number>()

  /** Returns the signer once time, signature and freshness check out. */
  async admit (time: number, sig: string, recover: () => Promise<Address | null>): Promise<Address> {
    const stale = staleness(time)
    if (stale !== null) throw new AccessError(stale)
    const signer = await recover()
    if (signer === null) throw new AccessError('malformed signature')
    const now = Date.now()
    for (const [k, until] of this.seen) if (until < now) this.seen.delete(k)
    if (this.seen.has(sig)) throw new AccessError('this signed request was already used')
    this.seen.set(sig, now + 2 * MAX_ACCESS_AGE_S * 1000)
    return signer
  }
}

/** Sends a refusal (or hides an internal error behind a generic line, logging it here). */
export async function refuse (frames: Frames, err: unknown, log: Logger, what: string): Promise<string> {
  const known = err instanceof AccessError || err instanceof SchemaError || err instanceof FrameError
  const message = known ? (err as Error).message : 'the provider failed to handle the request'
  if (!known) log.warn(`${what} failed`, { error: (err as Error).message })
  await frames.writeJson({ ok: false, error: message }).catch(() => {})
  return message
}
