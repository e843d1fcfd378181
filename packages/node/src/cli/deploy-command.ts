/** `dcn deploy MANIFEST [--json]`: the whole flow to a running service; prints its endpoints once they answer. */
import { toJson, formatAmount } from '@dcn/protocol'
import { deploy } from '../client/deploy.js'
import { UserError } from '../errors.js'
import { common, networkFlags, parse } from './args.js'
import { chainSession } from './chain-client.js'
import { perHour, tokenSymbol } from './format.js'
import { EXIT_NO_MATCH, bidWindow, readManifest, render } from './quote-command.js'

export const DEPLOY_USAGE = 'dcn deploy MANIFEST [--json] [--window 1s] [--bootstrap MA]... [--rpc URL --deployment FILE] [--data-dir DIR]'

export async function deployCommand (args: string[]): Promise<number> {
  const { values, positionals } = parse(args, deployFlags, DEPLOY_USAGE)
  if (values.help === true) { console.log(DEPLOY_USAGE); return 0 }
  if (positionals.length !== 1) throw new UserError(`expected one manifest file (usage: ${DEPLOY_USAGE})`)
  return await deployManifest(values, positionals[0])
}

export const deployFlags = { ...common, ...networkFlags, window: { type: 'string', default: '1s' } } as const
type DeployValues = ReturnType<typeof parse<typeof deployFlags>>['values']

/** `dcn deploy`, and `dcn lease update` with `updating`: the new lease replaces that one in one transaction. */
export async function deployManifest (values: DeployValues, file: string, updating?: bigint): Promise<number> {
  const { net, identity, c } = await chainSession(values, { gossip: true })
  const manifest = readManifest(file, net)
  const sym = tokenSymbol(manifest.spec.token, net.tokens)
  const json = values.json === true
  const result = await deploy({ net, wallet: identity.wallet, c }, manifest, {
    windowMs: bidWindow(values.window),
    updating,
    onLease: (lease, q) => {
      if (json) return
      const w = q.winner!.bid
      console.error(`${updating === undefined ? '' : `lease ${updating} closed and replaced by `}lease ${lease.leaseId}: provider ${w.bidder} at ${perHour(w.pricePerSecond)} ${sym}/h; locked ${formatAmount(lease.locked)} ${sym} for ${manifest.spec.duration} s; sending the manifest`)
    },
    onProgress: (line) => { if (!json) console.error(`  ${line}`) }
  })
  if (!result.running) {
    console.log(json ? toJson({ ...result.quote, lease: null }, 2) : render(result.quote, net))
    return EXIT_NO_MATCH
  }
  const { lease, endpoints } = result
  const w = result.quote.winner!.bid
  if (json) {
    console.log(toJson({ leaseId: lease.leaseId, replaced: updating ?? null, provider: w.bidder, peerId: w.peerId, pricePerSecond: w.pricePerSecond, token: manifest.spec.token, locked: lease.locked, start: lease.start, end: lease.end, orderId: result.quote.order.id, endpoints }, 2))
  } else {
    console.log(`lease ${lease.leaseId} is running${endpoints.length === 0 ? ' (no public endpoints)' : ':'}`)
    for (const e of endpoints) {
      const byName = e.httpHost === undefined ? '' : `; also http://${e.httpHost}:${e.httpPort ?? 80} by name`
      console.log(`  ${e.service}${endpoints.filter(x => x.service === e.service).length > 1 ? `-${e.replica}` : ''}  ${e.url}  (port ${e.port}/${e.proto}${byName})`)
    }
  }
  return 0
}
