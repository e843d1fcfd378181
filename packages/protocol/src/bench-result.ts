/**
 * What every benchmark of the project reports (`packages/*\/bench/*.ts` export
 * `run(): Promise<BenchResult[]>`; `pnpm bench` collects them into bench-results/latest.json).
 */
export interface BenchResult {
  name: string
  /** What was run: sizes, counts, settings. */
  params: Record<string, unknown>
  /** The figures measured, by name (units in the name: `_ms`, `MBps`, `Ratio`…). */
  results: Record<string, number>
  /** Figure name → its target, as `< 5`, `<= 1`, `>= 0.8` or `> 0`. */
  target?: Record<string, string>
  /** Figure name → the figure measured side by side in the same run that it is compared with. */
  baseline?: Record<string, string>
  /** Every target met (set by the benchmark; the runner checks it against the figures). */
  pass?: boolean
  note?: string
}
