/**
 * Era sync in a `dcn` slark (see @dcn/slark era-sync.ts): it serves the settled eras it keeps in
 * `<data-dir>/eras/<era>.json` over `/dcn/era/1.0.0` — only those whose hash is the one the
 * Rewards contract settled — and gets the ones it lacks from its own files first, else from the
 * other registered slarks (peer ids from the registry), each answer checked against the chain's
 * hash. A fetched era is written to `<era>.json` too (`fetchedFrom` says where from); a report of
 * its own that the chain did not settle is kept beside it as `<era>.mine.json`.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { peerIdFromString } from '@libp2p/peer-id'
import {
  Frames, MAX_SETTLED_ERA_BYTES, PROTOCOLS, ROLE_IDS, carryHistory, nodeRecord, parseSettledEra, settledEraOf, toJson,
  type Address, type EraReport, type Hex, type SettledEra, type SettlementClients, type Deployment, type SlarkHistory
} from '@dcn/protocol'
import { answerEraRequest, fetchSettledEra, type EraEnv } from '@dcn/slark'
import type { Host } from '../../host.js'
import type { Logger } from '../../log.js'
import type { SlarkChainView } from './chain.js'

/** A peer must send its request, and answer ours, this soon. */
const REQUEST_TIMEOUT_MS = 10_000
const ANSWER_TIMEOUT_MS = 30_000

export interface EraSyncOptions {
  host: Host
  /** `<data-dir>/eras`. */
  dir: string
  c: SettlementClients
  d: Deployment
  chain: SlarkChainView
  me: Address
  peerId: string
  /** The report hash the chain settled for an era (null while unsettled). */
  settledHash: (era: number) => Promise<Hex | null>
  log: Logger
}

interface SavedEra { hash?: unknown, report?: unknown, settled?: unknown }

/** The settled part of a saved era file (this slark's report, or one it fetched), or null. */
function readSaved (dir: string, era: number): { hash: string, settled: SettledEra } | null {
  const file = join(dir, `${era}.json`)
  if (!existsSync(file)) return null
  try {
    const saved = JSON.parse(readFileSync(file, 'utf8')) as SavedEra
    if (typeof saved.hash !== 'string') return null
    const raw = saved.settled ?? (saved.report === undefined ? undefined : settledEraOf(saved.report as EraReport))
    return { hash: saved.hash, settled: parseSettledEra(JSON.parse(toJson(raw))) }
  } catch {
    return null
  }
}

export async function startEraSync (o: EraSyncOptions): Promise<{ fetchSettled: NonNullable<EraEnv['fetchSettled']>, stop: () => void }> {
  const { host, log } = o
  const lookup = async (era: number): Promise<SettledEra | null> => {
    const saved = readSaved(o.dir, era)
    if (saved === null) return null
    const onChain = await o.settledHash(era)
    return onChain !== null && onChain.toLowerCase() === saved.hash.toLowerCase() ? saved.settled : null
  }

  await host.handle(PROTOCOLS.era, async (stream) => {
    const frames = new Frames(stream, 4096)
    try {
      const reply = await answerEraRequest(await frames.readJson(REQUEST_TIMEOUT_MS), lookup)
      await frames.writeJson(reply)
    } catch (err) {
      await frames.writeJson({ ok: false, error: (err as Error).message.split('\n')[0] }).catch(() => {})
    } finally {
      await frames.close().catch(() => {})
    }
  }, { maxInboundStreams: 8 })

  const ask = async (peer: string, req: { era: number }): Promise<unknown> => {
    const stream = await host.dialProtocol(peerIdFromString(peer), PROTOCOLS.era, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) })
    const frames = new Frames(stream, MAX_SETTLED_ERA_BYTES)
    try {
      await frames.writeJson(req)
      return await frames.readJson(ANSWER_TIMEOUT_MS)
    } finally {
      await frames.close().catch(() => {})
    }
  }

  /** The other approved slarks, in random order (so a late joiner does not load one peer). */
  const peers = async (): Promise<string[]> => {
    const slarks = (await o.chain.nodes()).filter(n => n.role === ROLE_IDS.slark && n.address !== o.me)
    const ids = await Promise.all(slarks.map(async n => (await nodeRecord(o.c, o.d, n.address)).peerId))
    return ids.filter(id => id !== o.peerId).map(id => ({ id, r: Math.random() })).sort((a, b) => a.r - b.r).map(x => x.id)
  }

  const fetchSettled = async (era: number, reportHash: Hex): ReturnType<NonNullable<EraEnv['fetchSettled']>> => {
    // Our own file first: a restart with the data dir intact needs nobody.
    const saved = readSaved(o.dir, era)
    if (saved !== null && saved.hash.toLowerCase() === reportHash.toLowerCase()) {
      const carried = carryHistory(saved.settled)
      return { providers: carried.providers, slarks: carried.slarks as Map<Address, SlarkHistory> }
    }
    const got = await fetchSettledEra({ era, reportHash, peers: await peers(), ask, log })
    if (got === null) return null
    mkdirSync(o.dir, { recursive: true })
    const file = join(o.dir, `${era}.json`)
    if (existsSync(file)) renameSync(file, join(o.dir, `${era}.mine.json`))
    writeFileSync(file, toJson({ hash: reportHash, settled: got.settled, fetchedFrom: got.peer }) + '\n')
    return got.history
  }

  return { fetchSettled, stop: () => { void host.unhandle(PROTOCOLS.era).catch(() => {}) } }
}
