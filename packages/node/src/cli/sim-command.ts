/**
 * `dcn sim SCENARIO [--out DIR] [--json]`: the simulation harness lives in the workspace's
 * `simulations` package, which depends on this one (emulation starts real nodes), so it is
 * loaded here with a dynamic import of its built entry point rather than a static dependency.
 */
import { UserError } from '../errors.js'

export const SIM_USAGE = 'dcn sim SCENARIO [--out DIR] [--json]   # simulation harness: results.json, CSVs, report.html'

const ENTRY = new URL('../../../../../simulations/dist/src/cli.js', import.meta.url)

export async function simCommand (args: string[]): Promise<number> {
  let mod: { simCommand: (args: string[]) => Promise<number> }
  try {
    mod = await import(ENTRY.href) as typeof mod
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ERR_MODULE_NOT_FOUND' && (err as Error).message.includes('simulations')) {
      throw new UserError(`the simulation harness is not built (${ENTRY.pathname} is missing): run "npx -y pnpm@10 build" in the repository`, 1)
    }
    throw err
  }
  return await mod.simCommand(args)
}
