/** `dcn devnet`: run a whole network on this machine until Ctrl-C. */
import { resolveDataDir } from '../identity.js'
import { startDevnet } from '../devnet/devnet.js'
import { devnetFile } from '../client/network.js'
import { logger } from '../log.js'
import { UserError } from '../errors.js'
import { common, parse } from './args.js'
import { connectDocker } from '../runtime/docker.js'
import { ensureDemoImage, runDemo } from '../devnet/demo.js'

export const DEVNET_USAGE = 'dcn devnet [--providers N] [--fizz N] [--slarks N] [--slot SECONDS] [--matchers N] [--demo] [--data-dir DIR]'

function count (flag: string, v: string, min: number, max: number): number {
  const n = Number(v)
  if (!Number.isInteger(n) || n < min || n > max) throw new UserError(`--${flag}: expected a whole number from ${min} to ${max}, got "${v}"`)
  return n
}

export async function devnetCommand (args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {
    ...common,
    providers: { type: 'string', default: '5' },
    matchers: { type: 'string', default: '1' },
    fizz: { type: 'string', default: '0' },
    slarks: { type: 'string', default: '3' },
    slot: { type: 'string', default: '20' },
    heartbeat: { type: 'string', default: '10s' },
    demo: { type: 'boolean', default: false }
  }, DEVNET_USAGE)
  if (values.help === true) { console.log(DEVNET_USAGE); return 0 }
  if (positionals.length > 0) throw new UserError(`unexpected argument "${positionals[0]}" (usage: ${DEVNET_USAGE})`)
  const dataDir = resolveDataDir(values['data-dir'])
  const log = logger('devnet')
  const started = Date.now()
  const providers = count('providers', values.providers, 1, 200)
  const matchers = count('matchers', values.matchers, 1, 10)
  const fizz = count('fizz', values.fizz, 0, 50)
  const slarks = count('slarks', values.slarks, 0, 50)
  const slotSeconds = count('slot', values.slot, 5, 3600)
  // Signals during start-up abort it, and startDevnet stops what it had started.
  const stopSignal = new AbortController()
  let signalled: string | undefined
  // Later signals (a process group signalled twice, a second Ctrl-C) must not cut the clean-up short.
  const onSignal = (sig: string) => (): void => { signalled ??= sig; stopSignal.abort() }
  process.on('SIGINT', onSignal('SIGINT'))
  process.on('SIGTERM', onSignal('SIGTERM'))
  let devnet
  try {
    if (values.demo === true) await ensureDemoImage(await connectDocker(), log)
    devnet = await startDevnet({ dataDir, providers, fizz, slarks, slotSeconds, matchers, heartbeat: values.heartbeat, log, signal: stopSignal.signal })
  } catch (err) {
    if (signalled !== undefined) {
      log.info('stopped during start-up', { signal: signalled })
      return 0
    }
    throw err
  }
  const { info } = devnet
  if (values.json === true) {
    console.log(JSON.stringify(info, null, 2))
  } else {
    console.log(`devnet up in ${((Date.now() - started) / 1000).toFixed(1)} s: ${info.nodes.length} nodes; network file ${devnetFile(dataDir)}`)
    for (const n of info.nodes) console.log(`  ${n.name.padEnd(12)} ${n.api}/status  ${n.addrs[0]}`)
  }
  const dd = values['data-dir'] === undefined ? '' : ` --data-dir ${dataDir}`
  if (values.demo === true) {
    try {
      const demo = await runDemo(info, dataDir)
      if (values.json !== true) {
        console.log(`\ndemo: lease ${demo.leaseId} deployed in ${(demo.ms / 1000).toFixed(1)} s and answering at ${demo.url}`)
        console.log(`  dcn lease status ${demo.leaseId}${dd}   ·   dcn lease logs ${demo.leaseId} --follow${dd}   ·   dcn lease shell ${demo.leaseId}${dd}`)
      }
    } catch (err) {
      await devnet.stop()
      throw err
    }
  }
  if (values.json !== true) console.log(`\ntry: dcn deploy examples/web.yaml${dd}   (Ctrl-C stops the devnet)`)
  const reason = await new Promise<string>(resolve => {
    if (signalled !== undefined) resolve(signalled)
    stopSignal.signal.addEventListener('abort', () => { resolve(signalled ?? 'signal') })
    void devnet.exited.then(e => { resolve(`${e.name} exited with code ${String(e.code)}`) })
  })
  log.info('stopping', { reason })
  await devnet.stop()
  return reason.startsWith('SIG') ? 0 : 1
}
