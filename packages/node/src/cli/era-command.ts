/** `dcn era compute --input METRICS.json [--json]`: one era's tiers, rewards and slashes, computed locally (no network). */
import { readFileSync } from 'node:fs'
import { SchemaError, computeEra, eraReportHash, formatAmount, parseEraInput, toJson, type EraInput, type EraReport } from '@dcn/protocol'
import { UserError } from '../errors.js'
import { common, parse } from './args.js'
import { short, table } from './format.js'

export const ERA_USAGE = 'dcn era compute --input METRICS.json [--json]'

export async function eraCommand (args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { json: common.json, help: common.help, input: { type: 'string', short: 'i' } }, ERA_USAGE)
  if (values.help === true) { console.log(ERA_USAGE); return 0 }
  const [action, extra] = positionals
  if (action !== 'compute') throw new UserError(`expected "era compute" (usage: ${ERA_USAGE})`)
  if (extra !== undefined) throw new UserError(`unexpected argument "${extra}" (usage: ${ERA_USAGE})`)
  if (values.input === undefined) throw new UserError(`missing --input METRICS.json (usage: ${ERA_USAGE})`)
  const report = computeEra(readInput(values.input))
  const reportHash = eraReportHash(report)
  if (values.json === true) console.log(toJson({ ...report, reportHash }, 2))
  else console.log(render(report, reportHash))
  return 0
}

/** Reads and checks the metrics file; every problem is one line naming the file and the field. */
export function readInput (file: string): EraInput {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    throw new UserError(`cannot read metrics ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, 1)
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (err) {
    throw new UserError(`${file}: not valid JSON: ${(err as Error).message}`, 1)
  }
  try {
    return parseEraInput(json)
  } catch (err) {
    if (err instanceof SchemaError) throw new UserError(`${file}: ${err.message}`, 1)
    throw err
  }
}

const spon = (wei: bigint): string => formatAmount(wei)
const times = (bps: number): string => `${bps / 10_000}×`

export function render (r: EraReport, reportHash: string): string {
  const p = r.params
  const lines = [
    `era ${r.era} · ${r.providers.length} providers · ${r.slarks.length} slarks · ${p.eraSeconds / p.hourSeconds} hours of ${p.hourSeconds} s · ` +
      `base ${spon(p.baseRewardPerHour)} SPON/hour · ${spon(p.slarkRewardPerChallenge)} SPON/challenge · amounts in SPON`,
    ''
  ]
  if (r.providers.length > 0) {
    const rows = [['PROVIDER', 'TIER', 'MULT', 'HOURS', 'REWARD', 'SLASH', 'STAKE']]
    for (const x of r.providers) {
      rows.push([
        short(x.address),
        x.tierAfter === x.tierBefore ? String(x.tierAfter) : `${x.tierBefore} → ${x.tierAfter}`,
        times(x.multiplierBps),
        `${x.hoursRewarded}/${x.hoursRewarded + x.lostHours.length}`,
        spon(x.reward),
        spon(x.slash),
        spon(x.totalStake)
      ])
    }
    lines.push(indent(table(rows)), '')
  }
  if (r.slarks.length > 0) {
    const rows = [['SLARK', 'TIER', 'CHALLENGES', 'ACCURACY', 'REWARD', 'DELEGATED', 'LIQUID', 'DELEGATED TO']]
    for (const s of r.slarks) {
      rows.push([
        short(s.address),
        s.tierAfter === s.tierBefore ? String(s.tierAfter) : `${s.tierBefore} → ${s.tierAfter}`,
        String(s.challenges),
        s.accuracyPpm === null ? '-' : `${s.accuracyPpm / 10_000} %`,
        spon(s.reward),
        spon(s.delegated),
        spon(s.liquid),
        short(s.delegateTo)
      ])
    }
    lines.push(indent(table(rows)), '')
  }
  for (const x of r.providers) lines.push(`provider ${x.address}`, ...x.why.map(w => `  ${w}`), '')
  for (const s of r.slarks) lines.push(`slark ${s.address}`, ...s.why.map(w => `  ${w}`), '')
  const t = r.totals
  lines.push(
    `totals: provider rewards ${spon(t.providerRewards)} SPON · slark rewards ${spon(t.slarkRewards)} SPON (${spon(t.delegated)} delegated) · slashes ${spon(t.slashes)} SPON`,
    `report hash ${reportHash}`)
  return lines.join('\n')
}

const indent = (s: string): string => s.split('\n').map(l => '  ' + l).join('\n')
