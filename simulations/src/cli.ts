/**
 * `dcn sim SCENARIO [--out DIR] [--json]`: parses the scenario, runs it with a progress bar on
 * stderr, writes the results (results.json, CSVs, report.html) and prints a short summary. The
 * `dcn` binary loads this module dynamically (the node package cannot depend on simulations,
 * which depends on it). User errors print one line starting `dcn:` and return exit code 2.
 */
import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { ScenarioError, parseScenario } from './scenario/parse.js'
import type { SimResults } from './results/types.js'
import { writeResults } from './results/write.js'
import { runSimulation } from './run.js'

export const SIM_USAGE = 'dcn sim SCENARIO [--out DIR] [--json]   # simulation harness; writes results.json, CSVs, report.html'

class SimUserError extends Error {}

export async function simCommand (args: string[]): Promise<number> {
  try {
    return await sim(args)
  } catch (err) {
    if (err instanceof SimUserError || err instanceof ScenarioError) {
      process.stderr.write(`dcn: ${err.message}\n`)
      return 2
    }
    throw err
  }
}

async function sim (args: string[]): Promise<number> {
  let parsed
  try {
    parsed = parseArgs({ args, allowPositionals: true, options: { out: { type: 'string', short: 'o' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } })
  } catch (err) {
    throw new SimUserError(`${(err as Error).message.split('\n')[0]} (usage: ${SIM_USAGE})`)
  }
  const { values, positionals } = parsed
  if (values.help === true) { console.log(SIM_USAGE); return 0 }
  if (positionals.length !== 1) throw new SimUserError(`expected one scenario file (usage: ${SIM_USAGE})`)
  const file = positionals[0]
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    throw new SimUserError(`cannot read scenario ${file}: ${code === 'ENOENT' ? 'no such file' : code ?? (err as Error).message}`)
  }
  const scenario = parseScenario(text, file)
  const out = resolve(values.out ?? join('sim-results', scenario.name))
  const bar = progressBar(process.stderr)
  const results = await runSimulation(scenario, { onProgress: bar.update, log: line => { bar.clear(); process.stderr.write(line + '\n') } })
  bar.done()
  const files = writeResults(results, out)
  if (values.json === true) console.log(JSON.stringify({ out, files, wallMs: results.wallMs, summary: summaryOf(results) }, null, 2))
  else console.log(render(results, out, files))
  return 0
}

/** A bar redrawn in place on a TTY; otherwise a line every ~10 %. */
function progressBar (stream: NodeJS.WriteStream): { update: (done: number, total: number, label: string) => void, clear: () => void, done: () => void } {
  const tty = stream.isTTY
  let lastDraw = 0
  let lastTenth = -1
  let shown = false
  return {
    update (done, total, label) {
      const f = total <= 0 ? 1 : Math.min(1, done / total)
      if (tty) {
        const now = Date.now()
        if (now - lastDraw < 100 && done < total) return
        lastDraw = now
        const width = 30
        const full = Math.round(f * width)
        stream.write(`\r[${'#'.repeat(full)}${'.'.repeat(width - full)}] ${String(Math.floor(f * 100)).padStart(3)}% ${label}\x1b[K`)
        shown = true
      } else {
        const tenth = Math.floor(f * 10)
        if (tenth <= lastTenth) return
        lastTenth = tenth
        stream.write(`sim: ${tenth * 10}% ${label}\n`)
      }
    },
    clear () { if (tty && shown) stream.write('\r\x1b[K') },
    done () { if (tty && shown) stream.write('\r\x1b[K'); shown = false }
  }
}

function summaryOf (r: SimResults): Record<string, unknown> {
  return {
    scenario: r.scenario.name,
    mode: r.mode,
    seed: r.scenario.seed,
    simulatedMs: r.simulatedMs,
    nodes: r.nodes,
    orders: r.matching?.orders,
    matched: r.matching?.matched,
    matchLatencyP50Ms: r.matching?.latencyMs.p50,
    matchLatencyP99Ms: r.matching?.latencyMs.p99,
    deliveryRatio: r.delivery?.ratio,
    spoofers: r.detection?.spoofers,
    spoofersDetected: r.detection?.spoofersDetected,
    falsePositiveRate: r.detection?.falsePositiveRate,
    eras: r.eras?.length,
    rewardPerProviderP50: r.rewards?.p50
  }
}

const ms = (x: number): string => x >= 10_000 ? `${(x / 1000).toFixed(1)} s` : `${Math.round(x)} ms`
const dur = (x: number): string => x >= 3_600_000 ? `${+(x / 3_600_000).toFixed(1)} h` : x >= 60_000 ? `${+(x / 60_000).toFixed(1)} min` : `${+(x / 1000).toFixed(1)} s`
const pct = (a: number, b: number): string => b === 0 ? '–' : `${(100 * a / b).toFixed(1)} %`

function render (r: SimResults, out: string, files: string[]): string {
  const lines = [`${r.scenario.name} (${r.mode} mode, seed ${r.scenario.seed}): ${dur(r.simulatedMs)} simulated in ${ms(r.wallMs)}, ${r.nodes.started} nodes`]
  const m = r.matching
  if (m !== undefined) lines.push(`  orders ${m.orders}, matched ${m.matched} (${pct(m.matched, m.orders)}), order → match p50 ${ms(m.latencyMs.p50)}, p99 ${ms(m.latencyMs.p99)} after the deadline`)
  if (r.delivery !== undefined) lines.push(`  gossip delivery ${(r.delivery.ratio * 100).toFixed(1)} %, p99 ${ms(r.delivery.latencyMs.p99)}`)
  const d = r.detection
  if (d !== undefined) lines.push(`  challenges ${d.challenges}; spoofers detected ${d.spoofersDetected} of ${d.spoofers}; false positives ${(d.falsePositiveRate * 100).toFixed(2)} %`)
  if (r.eras !== undefined && r.eras.length > 0) {
    const last = r.eras[r.eras.length - 1]
    lines.push(`  ${r.eras.length} eras; tiers 1–7 at the end: ${last.tiers.join(' / ')}; reward per provider p50 ${(r.rewards?.p50 ?? 0).toFixed(1)} tokens`)
  }
  lines.push(`  wrote ${files.join(', ')} to ${out}`)
  lines.push(`  report: ${join(out, 'report.html')}`)
  return lines.join('\n')
}
