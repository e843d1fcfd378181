/** `dcn node --role R …`: run one node until SIGINT/SIGTERM. */
import { watchFile, unwatchFile } from 'node:fs'
import { toJson } from '@dcn/protocol'
import { loadConfig, type Flags, type NodeConfig } from '../config.js'
import { loadIdentity, resolveDataDir } from '../identity.js'
import { startNode } from '../node.js'
import { logger, type Logger } from '../log.js'
import { UserError } from '../errors.js'
import { common, parse } from './args.js'

export const NODE_USAGE = 'dcn node --role provider|fizz|gateway|slark|matcher [--config FILE] [--listen MA]... [--bootstrap MA]... [--gateway MA] [--rpc URL --deployment FILE] [--data-dir DIR] [--api-port N] [--spoof-capacity F (devnet only)]'

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
    'api-port': { type: 'string' },
    'spoof-capacity': { type: 'string' }
  }, NODE_USAGE)
  if (values.help === true) { console.log(NODE_USAGE); return 0 }
  if (positionals.length > 0) throw new UserError(`unexpected argument "${positionals[0]}" (usage: ${NODE_USAGE})`)
  const flags: Flags = {
    role: values.role,
    config: values.config,
    listen: values.listen,
    bootstrap: values.bootstrap,
    gateway: values.gateway,
    rpc: values.rpc,
    deployment: values.deployment,
    dataDir: resolveDataDir(values['data-dir']),
    apiPort: values['api-port'],
    spoofCapacity: values['spoof-capacity']
  }
  const config = loadConfig(flags)
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
  const unwatch = flags.config === undefined ? () => {} : reloadPricing(flags, config, log)
  await new Promise<void>(resolve => {
    const shutdown = (signal: string): void => {
      log.info('stopping', { signal })
      unwatch()
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

/**
 * A provider's or fizz node's prices follow its config file without a restart: the file is
 * checked every second, and a valid new `provider.pricing` replaces the old one (bids, fizz
 * status and heartbeats read it when they need it). Anything else needs a restart.
 */
function reloadPricing (flags: Flags, config: NodeConfig, log: Logger): () => void {
  const file = flags.config!
  const onChange = (): void => {
    try {
      const next = loadConfig(flags).provider.pricing
      if (toJson(next) === toJson(config.provider.pricing)) return
      config.provider.pricing = next
      log.info('pricing reloaded', { file, strategy: next.strategy })
    } catch (err) {
      log.warn('config change ignored', { error: (err as Error).message })
    }
  }
  watchFile(file, { interval: 1000 }, onChange)
  return () => { unwatchFile(file, onChange) }
}
