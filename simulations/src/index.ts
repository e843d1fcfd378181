/**
 * @dcn/simulations — the research harness (SPEC.md, Shape): scenarios, in-process emulation
 * with the real protocol code, model mode, reports.
 *
 * - `parseScenario(text, file)`: a scenario YAML → Scenario (defaults filled, unknown keys
 *   refused; a ScenarioError is one line naming the file and field).
 * - `runSimulation(scenario, { onProgress, log })`: runs it in its mode → SimResults
 *   (`runModel`: the discrete-event model; `runEmulation`: real dcn nodes in worker processes).
 * - `writeResults(results, dir)`: results.json, run.json (wall time), CSVs, report.html.
 * - `simCommand(args)`: `dcn sim SCENARIO [--out DIR] [--json]`.
 */
export type * from './scenario/types.js'
export type * from './results/types.js'
export { parseScenario, ScenarioError, DEFAULT_TIMING } from './scenario/parse.js'
export { runSimulation, type RunOptions } from './run.js'
export { runModel, type ModelOptions } from './model/index.js'
export { runEmulation, simRuntime, type EmulationOptions } from './emulation/index.js'
export { writeResults } from './results/write.js'
export { renderReport } from './results/report.js'
export { distribution } from './results/stats.js'
export { simCommand, SIM_USAGE } from './cli.js'
