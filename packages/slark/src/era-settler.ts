/**
 * Era settlement (SPEC.md, Eras): once an era is over (and a grace for its last results to land),
 * every slark computes the era report from the same facts, BLS-signs the Rewards contract's
 * message for it and votes on `dcn/1/attestations`; the committee is the era's roster (the
 * eligible slarks when its first slot was opened). A strict majority for one report hash is
 * aggregated and submitted — in roster order, a few seconds apart — and the contract pays,
 * slashes and sets tiers. Each slark carries the histories of the report it computed into the
 * next era; a slark without them — new, restarted, or out of agreement — fetches the settled
 * era's histories from other slarks (`fetchSettled`, checked against the hash on chain) and
 * agrees again from the next era.
 */
import {
  blsSign, carryHistory, computeEra, encodeEraReport, eraReportHash,
  type Address, type EraInput, type EraReport, type EraVote, type Hex, type ProviderHistory, type SlarkHistory
} from '@dcn/protocol'
import { buildEraInput, eraWindow, type EraFacts } from './era-input.js'
import type { SlotClock } from './schedule.js'
import { Tally, type Member, type Quorum } from './tally.js'

export interface EraEnv {
  me: Address
  blsSecret: Uint8Array
  clock: SlotClock
  eraSlots: number
  /** The era's facts from the chain and this slark's observations (histories are filled in here). */
  facts: (era: number) => Promise<Omit<EraFacts, 'history'>>
  /** The era's first opened slot (its roster is the era's committee), null when none was. */
  committeeSlot: (era: number) => Promise<number | null>
  roster: (slot: number) => Promise<Member[]>
  nextEra: () => Promise<number>
  /** The report hash the chain settled for an era (null while unsettled). */
  settledHash: (era: number) => Promise<Hex | null>
  /** What the committee BLS-signs for a report's ABI encoding. */
  message: (report: Hex) => Hex
  submit: (report: Hex, committeeSlot: number, q: Quorum) => Promise<void>
  publishVote: (body: EraVote) => Promise<void>
  /** Results landing up to this long after an era's end still count in it; its report is computed a slot later. */
  graceSeconds: number
  now?: () => number
  log: { info: (m: string, f?: Record<string, unknown>) => void, warn: (m: string, f?: Record<string, unknown>) => void, debug: (m: string, f?: Record<string, unknown>) => void }
  onReport?: (report: EraReport, hash: Hex, input: EraInput) => void
  /**
   * The histories carried out of a settled era whose report hash is `reportHash` (the chain's),
   * from wherever they can be had and checked (era-sync.ts): null when nobody gave them.
   */
  fetchSettled?: (era: number, reportHash: Hex) => Promise<{ providers: Map<Address, ProviderHistory>, slarks: Map<Address, SlarkHistory> } | null>
}

interface EraState {
  era: number
  committeeSlot: number
  tally: Tally
  /** This slark's report (abi encoding) and hash, once computed. */
  report?: { bytes: Hex, hash: Hex, computed: EraReport }
  submitted: boolean
}

const SUBMIT_STAGGER_MS = 2_000

export class EraSettler {
  private readonly states = new Map<number, Promise<EraState | null>>()
  private history: { providers: Map<Address, ProviderHistory>, slarks: Map<Address, SlarkHistory> } = { providers: new Map(), slarks: new Map() }
  /** The era whose report `history` came from (-1: none yet). */
  private historyEra = -1
  private timer?: NodeJS.Timeout
  private busy = false
  private readonly now: () => number
  readonly stats = { reports: 0, settled: 0, fetched: 0, lastEra: -1, lastHash: '' as string }

  constructor (private readonly env: EraEnv) {
    this.now = env.now ?? Date.now
  }

  start (): void {
    this.timer = setInterval(() => { void this.tick() }, 2000)
  }

  stop (): void { clearInterval(this.timer) }

  private async tick (): Promise<void> {
    if (this.busy) return
    this.busy = true
    try {
      const era = await this.env.nextEra()
      await this.catchUp(era)
      const { to } = eraWindow(this.env.clock, era, this.env.eraSlots)
      // A slot past the grace, so the blocks up to its end are there for everyone.
      if (this.now() / 1000 < to + this.env.graceSeconds + this.env.clock.slotSeconds) return
      const state = await this.state(era)
      if (state === null || state.report !== undefined) return
      await this.report(state, true)
    } catch (err) {
      this.env.log.warn('era tick failed', { error: (err as Error).message })
    } finally {
      this.busy = false
    }
  }

  /**
   * Carries the histories of every era settled since the last one carried: from this slark's
   * report when the chain settled the same hash (computed now if another slark was quicker),
   * else the settled era's, fetched and checked; failing both, from scratch (the registry's
   * tiers) — then the next era's mismatch fetches again. More than one era behind (a new or
   * restarted slark), only the last settled era's histories matter: they are fetched first.
   */
  private async catchUp (next: number): Promise<void> {
    if (this.historyEra < next - 2) {
      const hash = await this.env.settledHash(next - 1)
      if (hash !== null && await this.adopt(next - 1, hash)) return
    }
    while (this.historyEra < next - 1) {
      const era = this.historyEra + 1
      const state = await this.state(era)
      if (state !== null && state.report === undefined) await this.report(state, false)
      const settledHash = await this.env.settledHash(era)
      if (state?.report !== undefined && settledHash === state.report.hash) {
        this.settled(state)
        continue
      }
      this.env.log.warn('the settled era report is not the one this slark computed', { era, settled: settledHash, mine: state?.report?.hash })
      if (settledHash !== null && await this.adopt(era, settledHash)) continue
      this.history = { providers: new Map(), slarks: new Map() }
      this.historyEra = era
    }
  }

  /** Takes a settled era's histories from elsewhere (era-sync.ts); false when none could be had. */
  private async adopt (era: number, reportHash: Hex): Promise<boolean> {
    const history = await this.env.fetchSettled?.(era, reportHash).catch((err: Error) => {
      this.env.log.warn('fetching a settled era failed', { era, error: err.message })
      return null
    })
    if (history === null || history === undefined) return false
    this.history = history
    this.historyEra = era
    this.stats.settled++
    this.stats.fetched++
    this.stats.lastEra = era
    this.stats.lastHash = reportHash
    for (const e of this.states.keys()) if (e <= era) this.states.delete(e)
    this.env.log.info('carrying the settled histories of an era this slark did not compute', { era, hash: reportHash })
    return true
  }

  private async state (era: number): Promise<EraState | null> {
    let s = this.states.get(era)
    if (s === undefined) {
      s = (async () => {
        const slot = await this.env.committeeSlot(era)
        if (slot === null) return null
        return { era, committeeSlot: slot, tally: new Tally(await this.env.roster(slot)), submitted: false }
      })()
      s.catch(() => { this.states.delete(era) })
      this.states.set(era, s)
    }
    return await s
  }

  /** Computes this slark's report of the era; `vote`: also sign and publish it (the era is not settled yet). */
  private async report (state: EraState, vote: boolean): Promise<void> {
    const { env } = this
    // Histories carry from the previous era's report; without it (a fresh slark) they start from the registry.
    const history = this.historyEra === state.era - 1 ? this.history : { providers: new Map(), slarks: new Map() }
    const facts = await env.facts(state.era)
    const input = buildEraInput({ ...facts, history })
    const computed = computeEra(input, { explain: false })
    const bytes = encodeEraReport(computed)
    const hash = eraReportHash(computed)
    state.report = { bytes, hash, computed }
    this.stats.reports++
    env.onReport?.(computed, hash, input)
    env.log.info('era report', { era: state.era, hash, rewards: computed.payouts.rewards.length, slashes: computed.payouts.slashes.length, tiers: computed.payouts.tiers.length })
    if (!vote || !state.tally.committee.some(m => m.address.toLowerCase() === env.me.toLowerCase())) return
    const now = this.now()
    const body: EraVote = { era: state.era, reportHash: hash, slark: env.me, blsSig: blsSign(env.blsSecret, env.message(bytes)), createdMs: now, expiry: Math.floor(now / 1000) + 600 }
    await env.publishVote(body).catch((err: Error) => { env.log.warn('era vote not published', { error: err.message }) })
    await this.onVote(body)
  }

  /** A slark's era vote (ours or from gossip). */
  async onVote (v: EraVote): Promise<void> {
    const state = await this.state(v.era).catch(() => null)
    if (state === null) return
    // The ballot's message is the one the voter's report hash stands for: known only for our own report.
    const mine = state.report
    const message = mine !== undefined && mine.hash === v.reportHash ? this.env.message(mine.bytes) : null
    if (message === null) {
      // A vote for a report this slark has not computed (yet, or ever): keep it until it has.
      this.pending.push(v)
      return
    }
    const outcome = state.tally.add(v.slark, { key: v.reportHash, message }, v.blsSig)
    if (outcome !== 'added' && outcome !== 'duplicate') this.env.log.warn('era vote refused', { era: v.era, slark: v.slark, outcome })
    await this.flushPending(state)
    const q = state.tally.quorum()
    if (q === null || state.submitted || mine === undefined || q.ballot.key !== mine.hash) return
    state.submitted = true
    await this.submit(state, q)
  }

  private pending: EraVote[] = []

  private async flushPending (state: EraState): Promise<void> {
    const mine = state.report
    if (mine === undefined) return
    const keep: EraVote[] = []
    for (const v of this.pending) {
      if (v.era !== state.era) { if (v.era > state.era) keep.push(v); continue }
      if (v.reportHash !== mine.hash) { this.env.log.warn('era vote for another report', { era: v.era, slark: v.slark, theirs: v.reportHash, mine: mine.hash }); continue }
      state.tally.add(v.slark, { key: v.reportHash, message: this.env.message(mine.bytes) }, v.blsSig)
    }
    this.pending = keep
  }

  private async submit (state: EraState, q: Quorum): Promise<void> {
    const { env } = this
    const rank = state.tally.committee.findIndex(m => m.address.toLowerCase() === env.me.toLowerCase())
    if (rank > 0) await new Promise(resolve => setTimeout(resolve, rank * SUBMIT_STAGGER_MS))
    // Already settled (by an earlier member): the next tick's catch-up carries it.
    if (await env.nextEra() > state.era) return
    try {
      await env.submit(state.report!.bytes, state.committeeSlot, q)
      env.log.info('era settled on chain', { era: state.era, signers: q.signers.length, of: state.tally.committee.length })
    } catch (err) {
      env.log.debug('era report not submitted', { era: state.era, error: (err as Error).message })
    }
  }

  private settled (state: EraState): void {
    if (state.era <= this.historyEra) return
    this.stats.settled++
    this.stats.lastEra = state.era
    this.stats.lastHash = state.report!.hash
    const carried = carryHistory(state.report!.computed)
    this.history = { providers: carried.providers, slarks: carried.slarks as Map<Address, SlarkHistory> }
    this.historyEra = state.era
    for (const e of this.states.keys()) if (e < state.era) this.states.delete(e)
  }
}
