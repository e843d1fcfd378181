/**
 * Emulation mode is built on another branch; this placeholder keeps the model branch building
 * until the two are merged (the merge takes the other branch's file).
 */
import type { Scenario } from '../scenario/types.js'
import type { SimResults } from '../results/types.js'

export async function runEmulation (scenario: Scenario, opts: { onProgress?: (done: number, total: number, label: string) => void, log?: (line: string) => void }): Promise<SimResults> {
  void scenario
  void opts
  throw new Error('emulation mode is built on another branch')
}
