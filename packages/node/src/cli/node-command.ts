/** `dcn node --role R …`: run one node until SIGINT/SIGTERM. */
import { loadConfig } from '../config.js'
import { loadIdentity, resolveDataDir } from '../identity.js'
import { startNode } from '../node.js'
import { logger } from '../log.js'
import { UserError } from '../errors.js'
import { common, parse } from './args.js'

export const NODE_USAGE = 'dcn node --role provider|fizz|gateway|slark|matcher [--config FILE] [--listen MA]... [--bootstrap MA]... [--gateway MA] [--rpc URL --deployment FILE] [--data-dir DIR] [--api-port N]'

export async function nodeCommand (args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {
    ...common,
    role: { type: 'string' },
    config: { type: 'string' },
    listen: { type: 'string', multiple: true },
    bootstrap: { type: 'string', multiple: true },
    gateway: { type: 'string' },
    rpc: { type: 'string' },
    deployment: { type: 'string' },
    'api-port': { type: 'string' }
  }, NODE_USAGE)
  if (values.help === true) { console.log(NODE_USAGE); return 0 }
  if (positionals.length > 0) throw new UserError(`unexpected argument "${positionals[0]}" (usage: ${NODE_USAGE})`)
  const config = loadConfig({
    role: values.role,
    config: values.config,
    listen: values.listen,
    bootstrap: values.bootstrap,
    gateway: values.gateway,
    rpc: values.rpc,
    deployment: values.deployment,
    dataDir: resolveDataDir(values['data-dir']),
    apiPort: values['api-port']
  })
  const log = logger(config.role)
  process.on('unhandledRejection', (err) => { log.error('unhandled rejection', { error: (err as Error)?.message ?? String(err) }) })
  const identity = await loadIdentity(config.dataDir)
  let node
  try {
    node = await startNode(config, identity, { log })
  } catch (err) {
    const msg = (err as Error).message
    if (/EADDRINUSE|address already in use/i.test(msg)) {
      // libp2p lists every failed address with its stack: keep the one line that names the address.
      const line = msg.split('\n').map(l => l.trim()).find(l => /EADDRINUSE/.test(l)) ?? msg.split('\n')[0]
      throw new UserError(`cannot listen: address already in use (${line.replace(/Error: /g, '')})`, 1)
    }
    throw err
  }
  await new Promise<void>(resolve => {
    const shutdown = (signal: string): void => {
      log.info('stopping', { signal })
      const force = setTimeout(() => { process.exit(0) }, 5000)
      force.unref()
      node.stop().then(resolve, resolve)
    }
    process.once('SIGINT', () => { shutdown('SIGINT') })
    process.once('SIGTERM', () => { shutdown('SIGTERM') })
  })
  log.info('stopped')
  return 0
}
