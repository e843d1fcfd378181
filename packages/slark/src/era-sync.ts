/**
 * Era sync: how a slark gets back into era consensus (SPEC.md, Eras). Slarks answer
 * `/dcn/era/1.0.0` requests `{ era }` with the era's settled payouts and histories
 * (`SettledEra`), and a slark that lacks an era's histories, or computed a different report,
 * asks the other registered slarks one by one and adopts the first answer whose hash is the one
 * the chain settled. A peer that sends anything else — not JSON, the wrong shape, another era, a
 * tampered history — is skipped and the next one asked. The transport (libp2p streams, frames,
 * timeouts) is the node's; here is what is asked, answered and checked.
 */
import { SchemaError, carryHistory, eraReportHash, parseSettledEra, uint, type Address, type Hex, type ProviderHistory, type SettledEra, type SlarkHistory } from '@dcn/protocol'

export interface EraRequest { era: number }
export type EraReply = { ok: true, settled: SettledEra } | { ok: false, error: string }

/** Checks a request from the network: `{ era }` and nothing else. */
export function parseEraRequest (json: unknown): EraRequest {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new SchemaError('request', 'expected an object { era }')
  const keys = Object.keys(json)
  if (keys.length !== 1 || keys[0] !== 'era') throw new SchemaError('request', 'expected exactly { era }')
  return { era: uint()((json as { era: unknown }).era, 'request.era') }
}

/**
 * The answer to a request: the settled era this slark holds (`lookup` returns only eras whose
 * hash the chain settled), or a one-line refusal.
 */
export async function answerEraRequest (json: unknown, lookup: (era: number) => Promise<SettledEra | null>): Promise<EraReply> {
  let req: EraRequest
  try {
    req = parseEraRequest(json)
  } catch (err) {
    return { ok: false, error: (err as Error).message }
  }
  const settled = await lookup(req.era)
  return settled === null ? { ok: false, error: `era ${req.era} is not settled here` } : { ok: true, settled }
}

/**
 * Checks a peer's reply for era `era` against the hash the chain holds for it; returns the
 * settled era, or throws one line saying what is wrong with it.
 */
export function verifyEraReply (reply: unknown, era: number, reportHash: Hex): SettledEra {
  if (typeof reply !== 'object' || reply === null) throw new SchemaError('reply', 'expected an object')
  const r = reply as { ok?: unknown, error?: unknown, settled?: unknown }
  if (r.ok !== true) throw new Error(`refused: ${typeof r.error === 'string' ? r.error.slice(0, 200) : 'no reason given'}`)
  const keys = Object.keys(r)
  if (keys.length !== 2 || !keys.includes('settled')) throw new SchemaError('reply', 'expected exactly { ok, settled }')
  const settled = parseSettledEra(r.settled, 'reply.settled')
  if (settled.era !== era) throw new Error(`it sent era ${settled.era}, not era ${era}`)
  const hash = eraReportHash(settled)
  if (hash.toLowerCase() !== reportHash.toLowerCase()) throw new Error(`its report of era ${era} hashes to ${hash}, not the ${reportHash} settled on chain`)
  return settled
}

export interface FetchedEra {
  settled: SettledEra
  /** The peer that served it. */
  peer: string
  /** The next era's histories, by address. */
  history: { providers: Map<Address, ProviderHistory>, slarks: Map<Address, SlarkHistory> }
}

export interface FetchOptions {
  era: number
  /** The report hash the chain settled for the era. */
  reportHash: Hex
  /** Peers to ask, in order. */
  peers: readonly string[]
  /** Sends `{ era }` to a peer and returns its reply (JSON-parsed); throws when it cannot. */
  ask: (peer: string, req: EraRequest) => Promise<unknown>
  log: { info: (m: string, f?: Record<string, unknown>) => void, warn: (m: string, f?: Record<string, unknown>) => void }
}

/** Asks the peers in turn for a settled era; the first verified answer wins, null when none gave one. */
export async function fetchSettledEra (o: FetchOptions): Promise<FetchedEra | null> {
  for (const peer of o.peers) {
    try {
      const settled = verifyEraReply(await o.ask(peer, { era: o.era }), o.era, o.reportHash)
      const carried = carryHistory(settled)
      o.log.info('fetched a settled era report', { era: o.era, peer, hash: o.reportHash })
      return { settled, peer, history: { providers: carried.providers, slarks: carried.slarks as Map<Address, SlarkHistory> } }
    } catch (err) {
      o.log.warn('a peer\'s era report was not taken', { era: o.era, peer, error: (err as Error).message.split('\n')[0] })
    }
  }
  return null
}
