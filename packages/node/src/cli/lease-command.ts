/** `dcn lease list | close ID [--json]`: the user's leases on chain. */
import { closeLease, getLease, listLeases, formatAmount, toJson, type LeaseRecord } from '@dcn/protocol'
import { UserError } from '../errors.js'
import { common, networkFlags, parse } from './args.js'
import { chainSession } from './chain-client.js'
import { perHour, short, table, tokenSymbol } from './format.js'

export const LEASE_USAGE = 'dcn lease list | close ID [--json]'

function state (l: LeaseRecord, now: bigint): string {
  return l.closedAt !== 0n ? 'closed' : now >= l.end ? 'ended' : 'active'
}

export async function leaseCommand (args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { ...common, ...networkFlags }, LEASE_USAGE)
  if (values.help === true) { console.log(LEASE_USAGE); return 0 }
  const [action, id, extra] = positionals
  if (action !== 'list' && action !== 'close') throw new UserError(`expected list or close (usage: ${LEASE_USAGE})`)
  if (extra !== undefined || (action === 'list' && id !== undefined)) throw new UserError(`unexpected argument "${extra ?? id}" (usage: ${LEASE_USAGE})`)
  let leaseId = 0n
  if (action === 'close') {
    if (id === undefined || !/^[1-9]\d{0,30}$/.test(id)) throw new UserError(`close needs a lease ID (a positive number), got "${id ?? ''}"`)
    leaseId = BigInt(id)
  }
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
  const { refund } = await closeLease(c, d, leaseId)
  const after = await getLease(c, d, leaseId)
  const paid = (after.paidUntil - lease.start) * lease.pricePerSecond
  const sym = tokenSymbol(lease.token, net.tokens)
  if (values.json === true) console.log(toJson({ leaseId, closed: true, refund, paidGross: paid, token: lease.token }, 2))
  else console.log(`lease ${leaseId} closed: provider paid for ${after.paidUntil - lease.start} s (${formatAmount(paid)} ${sym} gross); ${formatAmount(refund)} ${sym} back to your escrow`)
  return 0
}
