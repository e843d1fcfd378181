/** One-line reasons an operator can read: why this tier, which hours earned nothing, why slashed. */
import { formatAmount } from '../units.js'
import { BPS, PROVIDER_DEMOTION_ERAS, PROVIDER_PROMOTION_ERAS, PROVIDER_TIERS, SLARK_DEMOTION_ERAS, SLARK_PROMOTION_ERAS, type EraParams } from './tables.js'
import type { Incident, LostHour, ProviderResult, SlarkResult } from './types.js'
import type { Transition } from './tiers.js'

export const spon = (wei: bigint): string => `${formatAmount(wei)} SPON`
export const times = (bps: number): string => `${bps / BPS}×`
export const percent = (ppm: number): string => `${ppm / 10_000} %`

/** A time of the era as h:mm (h:mm:ss when not on a minute) from its start. */
export function clock (s: number): string {
  const hm = `${Math.floor(s / 3600)}:${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}`
  return s % 60 === 0 ? hm : `${hm}:${String(s % 60).padStart(2, '0')}`
}

/** A length of time as 1h05m10s. */
export function duration (s: number): string {
  const pad = (n: number): string => String(n).padStart(2, '0')
  const h = Math.floor(s / 3600)
  const m = Math.floor((s % 3600) / 60)
  const sec = s % 60 === 0 ? '' : `${pad(s % 60)}s`
  if (h > 0) return `${h}h${pad(m)}m${sec}`
  return m > 0 ? `${m}m${sec}` : `${s}s`
}

export function tierLine (kind: 'provider' | 'slark', before: number, tr: Transition, best: number | null, missed: readonly string[], stakeShort: string, waitingForSeat = false): string {
  const promoteEras = kind === 'provider' ? PROVIDER_PROMOTION_ERAS : SLARK_PROMOTION_ERAS
  const demoteEras = kind === 'provider' ? PROVIDER_DEMOTION_ERAS : SLARK_DEMOTION_ERAS
  const bestText = best === null ? 'no tier' : `tier ${best}`
  switch (tr.change) {
    case 'stake': return `tier ${before} → ${tr.tier}: ${stakeShort}; demoted at once to the best tier its stake allows`
    case 'promoted': return `tier ${before} → ${tr.tier}: promoted after ${promoteEras} eras in a row meeting tier ${tr.tier}`
    case 'demoted': return `tier ${before} → ${tr.tier}: failed tier ${before} (${missed.join(', ')}) ${demoteEras} eras in a row; best met this era: ${bestText}`
    case 'held': {
      let line = missed.length > 0
        ? `tier ${before} held; missed ${missed.join(', ')} (${tr.demoteStreak} of ${demoteEras} eras before demotion)`
        : `tier ${before} held; met all its requirements; best met: ${bestText}`
      if (tr.promoteStreak > 0) {
        const up = kind === 'provider' ? before - 1 : before + 1
        line += tr.promoteStreak >= promoteEras
          ? `; met tier ${up} ${waitingForSeat ? `${tr.promoteStreak} eras in a row and its owner opted in; waits for a free seat in tier ${up}` : `${promoteEras} eras in a row; waits for its owner to opt in`}`
          : `; met tier ${up} ${tr.promoteStreak} of ${promoteEras} eras needed to move up`
      }
      return line
    }
  }
}

/** "hours 3–5 offline, 6 cooldown" from the lost hours (sorted). */
export function lostHoursLine (lost: readonly LostHour[], hours: number): string {
  const groups: string[] = []
  let i = 0
  while (i < lost.length) {
    let j = i
    while (j + 1 < lost.length && lost[j + 1].hour === lost[j].hour + 1 && lost[j + 1].reason === lost[i].reason) j++
    const reason = lost[i].reason === 'offline' ? 'offline' : lost[i].reason === 'challenge' ? 'failed a challenge' : 'cooldown after reconnect'
    groups.push(`${lost[i].hour}${j > i ? `–${lost[j].hour}` : ''} ${reason}`)
    i = j + 1
  }
  return `no reward for ${lost.length} of ${hours} hours: ${groups.join(', ')}`
}

export function incidentLine (i: Incident, hourSeconds: number): string {
  if (i.rule === 'challenge') return `slash ${spon(i.slash)}: failed a capacity challenge at ${clock(i.from)} — one hour's reward`
  const what = `offline ${clock(i.from)}–${clock(i.to)} (${duration(i.to - i.from)}${i.seconds > i.to - i.from ? `, ${duration(i.seconds)} with the previous era` : ''})`
  switch (i.rule) {
    case 'workload': return `slash ${spon(i.slash)}: ${what} during a workload — max(one hour's reward, one hour of its fee ${spon(i.workloadFee)})`
    case 'standby': return `slash ${spon(i.slash)}: ${what}, more than an hour (${duration(hourSeconds)}) in standby — one hour's reward`
    case 'already-slashed': return `no slash: ${what}; this stretch was slashed in an earlier era`
    case 'short': return `no slash: ${what}, not more than an hour (${duration(hourSeconds)}) in standby`
  }
}

export function explainProvider (r: ProviderResult, p: EraParams): string[] {
  const hours = p.eraSeconds / p.hourSeconds
  const before = r.tierBefore
  const stakeShort = r.change === 'stake' ? `stake ${spon(r.totalStake)} is not above X${before} (${spon(p.stakeThresholds[before - 1])})` : ''
  const why = [
    tierLine('provider', before, { ...r.history, change: r.change }, r.bestTierMet, r.missed, stakeShort),
    `uptime ${percent(r.uptimePpm)}, completion ${r.completionPpm === null ? 'no tasks' : percent(r.completionPpm)}, ` +
      `mean response ${r.meanResponseMs === null ? 'not measured' : `${Math.round(r.meanResponseMs)} ms`}, ` +
      `rating ${r.ratingCenti === null ? 'none yet' : r.ratingCenti / 100}, stake ${spon(r.totalStake)}`
  ]
  if (r.multiplierBps === 0) why.push(`tier ${r.rewardTier} earns no liveness reward`)
  else {
    why.push(`reward ${spon(r.reward)}: ${r.hoursRewarded} of ${hours} hours × ${spon(r.hourReward)} ` +
      `(${spon(p.baseRewardPerHour)} × ${times(r.multiplierBps)} = trust ${times(PROVIDER_TIERS[r.rewardTier - 1].multiplierBps)} of tier ${r.rewardTier}` +
      `${r.attributeBps > 0 ? ` + attributes ${times(r.attributeBps)}` : ''})`)
  }
  if (r.lostHours.length > 0) why.push(lostHoursLine(r.lostHours, hours))
  if (r.shares.length > 0) {
    why.push(`shared by stake with ${r.shares.length} delegator${r.shares.length === 1 ? '' : 's'}: own share ${spon(r.ownShare)} for ${spon(r.totalStake - r.shares.reduce((s, x) => s + x.stake, 0n))} staked (it takes the rounding dust)`)
    for (const s of r.shares) why.push(`delegator ${s.account}: ${spon(s.amount)} for ${spon(s.stake)} delegated`)
  }
  let slashes = 0n
  for (const i of r.incidents) {
    why.push(incidentLine(i, p.hourSeconds))
    slashes += i.slash
  }
  if (r.slash < slashes) why.push(`slash capped at its own stake: ${spon(r.slash)} of ${spon(slashes)}`)
  return why
}

export function explainSlark (r: SlarkResult, p: EraParams): string[] {
  const accuracy = r.accuracyPpm === null ? 'no verdicts' : `${percent(r.accuracyPpm)} of ${r.challenges} verdicts agreed with the quorum`
  return [
    r.challenges === 0
      ? `tier ${r.tierBefore} held: no verdicts this era, no evidence either way`
      : tierLine('slark', r.tierBefore, { ...r.history, change: r.change }, r.bestTierMet, r.missed, '', r.waitingForSeat),
    `accuracy ${accuracy}, mean response ${r.meanResponseMs === null ? 'not measured' : `${Math.round(r.meanResponseMs)} ms`}`,
    `reward ${spon(r.reward)}: ${r.challenges} challenges × ${spon(p.slarkRewardPerChallenge)} × ${times(r.multiplierBps)} of tier ${r.tierBefore}; ` +
      `${spon(r.delegated)} delegated to ${r.delegateTo}, ${spon(r.liquid)} liquid; next era it may challenge provider tiers ${r.challengesFromTier}–7`
  ]
}
