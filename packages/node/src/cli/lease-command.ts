/** `dcn lease list | close ID [--json]`: the user's leases on chain. */
import { closeLease, getLease, listLeases, formatAmount, toJson, type LeaseRecord } from '@dcn/protocol'
import { UserError } from '../errors.js'
import { parse } from './args.js'
import { deployFlags, deployManifest } from './deploy-command.js'
import { chainSession } from './chain-client.js'
import { perHour, short, table, tokenSymbol } from './format.js'

export const LEASE_USAGE = 'dcn lease list | close ID | update ID MANIFEST [--json]'

function state (l: LeaseRecord, now: bigint): string {
  return l.closedAt !== 0n ? 'closed' : now >= l.end ? 'ended' : 'active'
}

export async function leaseCommand (args: string[]): Promise<number> {
  const { values, positionals } = parse(args, deployFlags, LEASE_USAGE)
  if (values.help === true) { console.log(LEASE_USAGE); return 0 }
  const [action, id, file, extra] = positionals
  if (action !== 'list' && action !== 'close' && action !== 'update') throw new UserError(`expected list, close or update (usage: ${LEASE_USAGE})`)
  const unexpected = action === 'list' ? id : action === 'close' ? file : extra
  if (unexpected !== undefined) throw new UserError(`unexpected argument "${unexpected}" (usage: ${LEASE_USAGE})`)
  let leaseId = 0n
  if (action !== 'list') {
    if (id === undefined || !/^[1-9]\d{0,30}$/.test(id)) throw new UserError(`${action} needs a lease ID (a positive number), got "${id ?? ''}"`)
    leaseId = BigInt(id)
  }
  if (action === 'update' && file === undefined) throw new UserError(`update needs a manifest file (usage: ${LEASE_USAGE})`)
  const { net, c } = await chainSession(values)
  const d = net.chain.deployment
  const now = (await c.public.getBlock()).timestamp
  if (action === 'list') {
    const leases = await listLeases(c, d, c.account.address)
    if (values.json === true) {
      console.log(toJson(leases.map(l => ({ ...l, state: state(l, now) })), 2))
    } else if (leases.length === 0) {
      console.log('no leases')
    } else {
      console.log(table([['ID', 'STATE', 'PROVIDER', 'PRICE/H', 'LOCKED', 'ENDS'],
        ...leases.map(l => [String(l.leaseId), state(l, now), short(l.provider), `${perHour(l.pricePerSecond)} ${tokenSymbol(l.token, net.tokens)}`,
          formatAmount(l.locked), new Date(Number(l.end) * 1000).toISOString()])]))
    }
    return 0
  }
  const lease = await getLease(c, d, leaseId).catch(() => { throw new UserError(`no lease ${leaseId} on this chain`, 1) })
  if (lease.owner.toLowerCase() !== c.account.address.toLowerCase()) throw new UserError(`lease ${leaseId} belongs to ${lease.owner}, not to this wallet (${c.account.address})`, 1)
  if (lease.closedAt !== 0n) throw new UserError(`lease ${leaseId} is already closed`, 1)
  if (action === 'update') return await deployManifest(values, file!, leaseId)
  const { refund } = await closeLease(c, d, leaseId)
  const after = await getLease(c, d, leaseId)
  const paid = (after.paidUntil - lease.start) * lease.pricePerSecond
  const sym = tokenSymbol(lease.token, net.tokens)
  if (values.json === true) console.log(toJson({ leaseId, closed: true, refund, paidGross: paid, token: lease.token }, 2))
  else console.log(`lease ${leaseId} closed: provider paid for ${after.paidUntil - lease.start} s (${formatAmount(paid)} ${sym} gross); ${formatAmount(refund)} ${sym} back to your escrow`)
  return 0
}
