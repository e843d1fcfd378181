/** Flag parsing for every command: strict (unknown flags are user errors), repeatable lists. */
import { parseArgs, type ParseArgsConfig } from 'node:util'
import { UserError } from '../errors.js'

type Options = NonNullable<ParseArgsConfig['options']>

export function parse<T extends Options> (args: string[], options: T, usage: string): ReturnType<typeof parseArgs<{ args: string[], options: T, allowPositionals: true, strict: true }>> {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true })
  } catch (err) {
    throw new UserError(`${(err as Error).message.split(/\.(\s|$)/)[0]} (usage: ${usage})`)
  }
}

export const common = {
  'data-dir': { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false }
} as const

/** Where client commands find the network (each defaults to <data-dir>/devnet.json). */
export const networkFlags = {
  bootstrap: { type: 'string', multiple: true },
  rpc: { type: 'string' },
  deployment: { type: 'string' }
} as const
