/**
 * `dcn deploy MANIFEST [--json]`: order → bids → match → lease on chain. Checks the escrow can
 * pay the order's maximum before anything is published, so a failure leaves nothing half-done.
 * (Manifest delivery and the running workload come with the Docker runtime.)
 */
import { TOPICS, createLease, escrowBalance, formatAmount, getLease, leaseLock, toJson, type LeaseCreated } from '@dcn/protocol'
import { connect } from '../client/light-client.js'
import { quote, type QuoteResult } from '../client/quote.js'
import { UserError } from '../errors.js'
import { common, networkFlags, parse } from './args.js'
import { chainSession } from './chain-client.js'
import { perHour, tokenSymbol } from './format.js'
import { EXIT_NO_MATCH, bidWindow, readManifest, render } from './quote-command.js'

export const DEPLOY_USAGE = 'dcn deploy MANIFEST [--json] [--window 2s] [--bootstrap MA]... [--rpc URL --deployment FILE] [--data-dir DIR]'

export async function deployCommand (args: string[]): Promise<number> {
  const { values, positionals } = parse(args, deployFlags, DEPLOY_USAGE)
  if (values.help === true) { console.log(DEPLOY_USAGE); return 0 }
  if (positionals.length !== 1) throw new UserError(`expected one manifest file (usage: ${DEPLOY_USAGE})`)
  return await deployManifest(values, positionals[0])
}

export const deployFlags = { ...common, ...networkFlags, window: { type: 'string', default: '2s' } } as const
type DeployValues = ReturnType<typeof parse<typeof deployFlags>>['values']

/** The deploy flow; with `updating`, the new lease replaces that one in the same transaction. */
export async function deployManifest (values: DeployValues, file: string, updating?: bigint): Promise<number> {
  const { net, identity, c } = await chainSession(values, { gossip: true })
  const d = net.chain.deployment
  const spec = readManifest(file, net)
  const windowMs = bidWindow(values.window)
  const sym = tokenSymbol(spec.token, net.tokens)

  const needed = leaseLock(d, spec.token, spec.maxPricePerSecond, spec.duration)
  const balance = await escrowBalance(c, d, spec.token)
  // An update frees the old lease's unused funds in the same transaction.
  const old = updating === undefined ? undefined : await getLease(c, d, updating)
  const freed = old?.token === spec.token ? old.locked : 0n
  if (balance.unlocked + freed < needed) {
    throw new UserError(`escrow holds ${formatAmount(balance.unlocked + freed)} ${sym}; this order may lock up to ${formatAmount(needed)} ${sym}: run "dcn escrow deposit ${formatAmount(needed - balance.unlocked - freed)}${sym === 'SPON' ? '' : ` --token ${sym}`}"`, 1)
  }

  const refBlock = Number(await c.public.getBlockNumber())
  const client = await connect(net, { wallet: identity.wallet, receive: ['bid', 'match', 'no-match'], publish: [TOPICS.orders] })
  let result: QuoteResult
  try {
    result = await quote(client, spec, { windowMs, chainId: net.chainId, refBlock })
  } finally {
    await client.stop()
  }
  const decision = result.decisions.find(x => x.signed !== undefined)
  if (result.winner === null || decision?.signed === undefined) {
    if (values.json === true) console.log(toJson({ ...result, lease: null }, 2))
    else console.log(render(result, net))
    return EXIT_NO_MATCH
  }
  const w = result.winner
  const lease: LeaseCreated = await createLease(c, d, {
    order: result.order, orderSig: result.orderSig, bid: w.bid, bidSig: w.sig, match: decision.signed.body, matchSig: decision.signed.sig
  }, updating)
  if (values.json === true) {
    console.log(toJson({ leaseId: lease.leaseId, replaced: updating ?? null, provider: w.bid.bidder, peerId: w.bid.peerId, pricePerSecond: w.bid.pricePerSecond, token: spec.token, locked: lease.locked, start: lease.start, end: lease.end, orderId: result.order.id }, 2))
  } else {
    console.log(`${updating === undefined ? '' : `lease ${updating} closed and replaced by `}lease ${lease.leaseId}: provider ${w.bid.bidder} (peer ${w.bid.peerId}) at ${perHour(w.bid.pricePerSecond)} ${sym}/h; locked ${formatAmount(lease.locked)} ${sym} for ${spec.duration} s`)
  }
  return 0
}
