/** One-line logs on stderr: `time level name message key=value…`. DCN_LOG=debug for more. */
export type Level = 'debug' | 'info' | 'warn' | 'error'
const ORDER: Record<Level, number> = { debug: 0, info: 1, warn: 2, error: 3 }

export interface Logger {
  debug: (msg: string, fields?: Record<string, unknown>) => void
  info: (msg: string, fields?: Record<string, unknown>) => void
  warn: (msg: string, fields?: Record<string, unknown>) => void
  error: (msg: string, fields?: Record<string, unknown>) => void
}

export function logger (name: string, level: Level = (process.env.DCN_LOG as Level | undefined) ?? 'info'): Logger {
  const min = ORDER[level] ?? 1
  const write = (lvl: Level) => (msg: string, fields: Record<string, unknown> = {}): void => {
    if (ORDER[lvl] < min) return
    const kv = Object.entries(fields).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v, (_k, x: unknown) => typeof x === 'bigint' ? x.toString() : x)}`)
    process.stderr.write(`${new Date().toISOString()} ${lvl.toUpperCase()} ${name} ${msg}${kv.length > 0 ? ' ' + kv.join(' ') : ''}\n`)
  }
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') }
}

/** A logger that writes nothing (in-process benchmarks). */
export const silent: Logger = { debug () {}, info () {}, warn () {}, error () {} }
