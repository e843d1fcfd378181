/**
 * `runSimulation(scenario, opts)`: runs a parsed scenario in its mode and returns its results,
 * with `wallMs` (the run's wall-clock time) filled in here, never by the modes themselves.
 */
import type { Scenario } from './scenario/types.js'
import type { SimResults } from './results/types.js'
import { runModel } from './model/index.js'
import { runEmulation } from './emulation/index.js'

export interface RunOptions {
  /** Called as the run advances (model: per slot; emulation: its own steps). */
  onProgress?: (done: number, total: number, label: string) => void
  /** Lines worth showing a user while it runs. */
  log?: (line: string) => void
}

export async function runSimulation (scenario: Scenario, opts: RunOptions = {}): Promise<SimResults> {
  const started = performance.now()
  const results = scenario.mode === 'model' ? await runModel(scenario, opts) : await runEmulation(scenario, opts)
  return { ...results, wallMs: Math.round(performance.now() - started) }
}
