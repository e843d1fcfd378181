/**
 * `dcn lease list | status ID | events ID | logs ID | shell ID -- CMD… | close ID | update ID MANIFEST`:
 * the user's leases on chain, and their workloads through the provider (`/dcn/lease/1.0.0`).
 */
import { closeLease, getLease, listLeases, formatAmount, toJson, type LeaseRecord } from '@dcn/protocol'
import { UserError } from '../errors.js'
import { connect, type LightClient } from '../client/light-client.js'
import { leaseEvents, leaseLogs, leaseShell, leaseStatus, type AccessContext, type ProviderRef } from '../client/lease-access.js'
import { parse } from './args.js'
import { deployFlags, deployManifest } from './deploy-command.js'
import { chainSession, type ChainSession } from './chain-client.js'
import { perHour, short, table, tokenSymbol } from './format.js'

export const LEASE_USAGE = 'dcn lease list | status ID | events ID | logs ID [--follow] [--tail N] [--service S] | shell ID [--service S] [--replica N] -- CMD… | close ID | update ID MANIFEST [--json]'

const ACTIONS = ['list', 'status', 'events', 'logs', 'shell', 'close', 'update'] as const
type Action = (typeof ACTIONS)[number]

const leaseFlags = {
  ...deployFlags,
  follow: { type: 'boolean', short: 'f', default: false },
  tail: { type: 'string' },
  service: { type: 'string', default: '' },
  replica: { type: 'string', default: '0' }
} as const

function state (l: LeaseRecord, now: bigint): string {
  return l.closedAt !== 0n ? 'closed' : l.pausedAt !== 0n ? 'paused' : now >= l.end ? 'ended' : 'active'
}

export async function leaseCommand (args: string[]): Promise<number> {
  const { values, positionals } = parse(args, leaseFlags, LEASE_USAGE)
  if (values.help === true) { console.log(LEASE_USAGE); return 0 }
  const [action, id, ...rest] = positionals
  if (!(ACTIONS as readonly string[]).includes(action)) throw new UserError(`expected one of ${ACTIONS.join(', ')} (usage: ${LEASE_USAGE})`)
  const maxRest = action === 'update' ? 1 : action === 'shell' ? Infinity : 0
  if (action === 'list' && id !== undefined) throw new UserError(`unexpected argument "${id}" (usage: ${LEASE_USAGE})`)
  if (rest.length > maxRest) throw new UserError(`unexpected argument "${rest[maxRest]}" (usage: ${LEASE_USAGE})`)
  let leaseId = 0n
  if (action !== 'list') {
    if (id === undefined || !/^[1-9]\d{0,30}$/.test(id)) throw new UserError(`${action} needs a lease ID (a positive number), got "${id ?? ''}"`)
    leaseId = BigInt(id)
  }
  if (action === 'update' && rest[0] === undefined) throw new UserError(`update needs a manifest file (usage: ${LEASE_USAGE})`)
  const tail = values.tail === undefined ? -1 : Number(values.tail)
  if (!Number.isInteger(tail) || tail < -1 || tail > 100_000) throw new UserError(`--tail: expected a number of lines 0–100000, got "${values.tail ?? ''}"`)
  const replica = Number(values.replica)
  if (!Number.isInteger(replica) || replica < 0 || replica > 99) throw new UserError(`--replica: expected 0–99, got "${values.replica}"`)

  const session = await chainSession(values)
  const { net, c } = session
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
  const me = c.account.address.toLowerCase()
  // The provider may close a lease too (it is then refunded to the owner); everything else is the owner's.
  if (lease.owner.toLowerCase() !== me && !(action === 'close' && lease.provider.toLowerCase() === me)) {
    throw new UserError(`lease ${leaseId} belongs to ${lease.owner}, not to this wallet (${c.account.address})`, 1)
  }
  if (lease.closedAt !== 0n || (now >= lease.end && lease.pausedAt === 0n)) {
    if (action === 'status' && values.json === true) { console.log(toJson({ leaseId, state: state(lease, now), services: [] }, 2)); return 0 }
    throw new UserError(lease.closedAt !== 0n ? `lease ${leaseId} is already closed` : `lease ${leaseId} has already ended`, 1)
  }
  if (action === 'update') return await deployManifest(values, rest[0], leaseId)
  if (action === 'close') return await close(session, lease, values.json === true)
  return await withProvider(session, lease, async (ctx, ref) => {
    if (action === 'status') return await status(ctx, ref, lease, now, values.json === true)
    if (action === 'events') return await events(ctx, ref, values.json === true)
    if (action === 'logs') return await logs(ctx, ref, { service: values.service, follow: values.follow, ...(tail < 0 ? {} : { tail }) })
    return await shell(ctx, ref, { service: values.service, replica, cmd: rest.length === 0 ? ['sh'] : rest })
  })
}

async function close ({ net, c }: ChainSession, lease: LeaseRecord, json: boolean): Promise<number> {
  const d = net.chain.deployment
  const { refund } = await closeLease(c, d, lease.leaseId)
  const after = await getLease(c, d, lease.leaseId)
  const paid = (after.paidUntil - lease.start) * lease.pricePerSecond
  const sym = tokenSymbol(lease.token, net.tokens)
  const whose = lease.owner.toLowerCase() === c.account.address.toLowerCase() ? 'your' : 'the owner’s'
  if (json) console.log(toJson({ leaseId: lease.leaseId, closed: true, refund, paidGross: paid, token: lease.token }, 2))
  else console.log(`lease ${lease.leaseId} closed: provider paid for ${after.paidUntil - lease.start} s (${formatAmount(paid)} ${sym} gross); ${formatAmount(refund)} ${sym} back to ${whose} escrow`)
  return 0
}

async function withProvider (session: ChainSession, lease: LeaseRecord, run: (ctx: AccessContext, ref: ProviderRef) => Promise<number>): Promise<number> {
  const { net, identity } = session
  const client: LightClient = await connect(net, { wallet: identity.wallet, receive: [], publish: [] })
  try {
    return await run({ host: client.host, wallet: identity.wallet, chainId: net.chainId }, { leaseId: lease.leaseId, peerId: lease.peerId })
  } finally {
    await client.stop()
  }
}

async function status (ctx: AccessContext, ref: ProviderRef, lease: LeaseRecord, now: bigint, json: boolean): Promise<number> {
  // A paused lease's fizz node is offline: the chain's word is the status.
  if (lease.pausedAt !== 0n) {
    const since = new Date(Number(lease.pausedAt) * 1000).toISOString()
    if (json) console.log(toJson({ leaseId: lease.leaseId, state: 'paused', pausedAt: lease.pausedAt, provider: lease.provider, end: lease.end, services: [] }, 2))
    else console.log(`lease ${lease.leaseId} · paused since ${since} (its fizz node is offline; nothing is paid while paused) · provider ${short(lease.provider)}`)
    return 0
  }
  const services = await leaseStatus(ctx, ref)
  if (json) {
    console.log(toJson({ leaseId: lease.leaseId, state: state(lease, now), provider: lease.provider, end: lease.end, services }, 2))
    return 0
  }
  console.log(`lease ${lease.leaseId} · ${state(lease, now)} · provider ${short(lease.provider)} · ends ${new Date(Number(lease.end) * 1000).toISOString()}`)
  console.log(table([['SERVICE', 'READY', 'RESTARTS', 'LAST EXIT', 'ENDPOINTS'],
    ...services.map(s => [s.service, `${s.ready}/${s.replicas}`, String(s.restarts), s.lastExit === '' ? '-' : s.lastExit, s.endpoints.map(e => e.url).join(' ') || '-'])]))
  return 0
}

async function events (ctx: AccessContext, ref: ProviderRef, json: boolean): Promise<number> {
  const list = await leaseEvents(ctx, ref)
  if (json) console.log(toJson(list, 2))
  else console.log(table([['TIME', 'EVENT', 'SERVICE', 'DETAIL'], ...list.map(e => [new Date(e.time).toISOString(), e.kind, e.service === '' ? '-' : `${e.service}-${e.replica}`, e.detail])]))
  return 0
}

async function logs (ctx: AccessContext, ref: ProviderRef, args: { service: string, tail?: number, follow: boolean }): Promise<number> {
  const stop = new AbortController()
  const onSignal = (): void => { stop.abort() }
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  try {
    await leaseLogs(ctx, ref, args, { stdout: d => process.stdout.write(d), stderr: d => process.stderr.write(d) }, stop.signal)
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
  return 0
}

/** An interactive shell when this terminal is one (raw mode, resizes); otherwise stdin is piped. */
async function shell (ctx: AccessContext, ref: ProviderRef, args: { service: string, replica: number, cmd: string[] }): Promise<number> {
  const tty = process.stdin.isTTY && process.stdout.isTTY
  const size = { cols: process.stdout.columns ?? 80, rows: process.stdout.rows ?? 24 }
  return await leaseShell(ctx, ref, { ...args, tty, ...size }, {
    stdout: d => process.stdout.write(d),
    stderr: d => process.stderr.write(d),
    input: (send, end, resize) => {
      const onData = (d: Buffer): void => { send(d) }
      const onResize = (): void => { resize(process.stdout.columns, process.stdout.rows) }
      if (tty) {
        process.stdin.setRawMode(true)
        process.stdout.on('resize', onResize)
      }
      process.stdin.on('data', onData)
      process.stdin.once('end', end)
      process.stdin.resume()
      return () => {
        process.stdin.off('data', onData)
        process.stdin.off('end', end)
        process.stdout.off('resize', onResize)
        if (tty) process.stdin.setRawMode(false)
        process.stdin.pause()
        process.stdin.unref?.()
      }
    }
  })
}
