/**
 * The whole deploy flow for a user: order → bids → match → lease on chain → manifest to the
 * winner → endpoints that answer. The escrow is checked before anything is published; if the
 * provider cannot run the manifest, the lease is closed at once so the locked funds come back.
 * `dcn deploy`, `dcn lease update`, `dcn devnet --demo` and the benchmark all run this.
 */
import {
  TOPICS, closeLease, createLease, escrowBalance, formatAmount, getLease, leaseLock,
  type Endpoint, type LeaseCreated, type OrderSpec, type SettlementClients
} from '@dcn/protocol'
import type { LocalAccount } from 'viem/accounts'
import type { ChainConfig } from '../chain/deployment.js'
import { UserError } from '../errors.js'
import { connect } from './light-client.js'
import { quote, type QuoteResult } from './quote.js'
import { deliverManifest, waitAnswering } from './lease-access.js'
import type { NetworkInfo } from './network.js'

export interface DeploySession {
  net: NetworkInfo & { chain: ChainConfig }
  wallet: LocalAccount
  c: SettlementClients
}

export interface DeployOptions {
  windowMs: number
  /** Replace this lease in the same transaction (`dcn lease update`). */
  updating?: bigint
  /** Told once the lease exists, before the manifest goes out. */
  onLease?: (lease: LeaseCreated, quote: QuoteResult) => void
  /** The provider's deploy as it happens: image pulls, containers created and started. */
  onProgress?: (line: string) => void
}

export type DeployResult =
  | { running: false, quote: QuoteResult }
  | { running: true, quote: QuoteResult, lease: LeaseCreated, endpoints: Endpoint[] }

export async function deploy (s: DeploySession, manifest: { text: string, spec: OrderSpec }, opts: DeployOptions): Promise<DeployResult> {
  const { net, c } = s
  const d = net.chain.deployment
  const { spec } = manifest
  const sym = Object.entries(net.tokens).find(([, a]) => a.toLowerCase() === spec.token.toLowerCase())?.[0] ?? spec.token
  const needed = leaseLock(d, spec.token, spec.maxPricePerSecond, spec.duration)
  const balance = await escrowBalance(c, d, spec.token)
  // An update frees the old lease's unused funds in the same transaction.
  const old = opts.updating === undefined ? undefined : await getLease(c, d, opts.updating)
  const freed = old?.token === spec.token ? old.locked : 0n
  if (balance.unlocked + freed < needed) {
    throw new UserError(`escrow holds ${formatAmount(balance.unlocked + freed)} ${sym}; this order may lock up to ${formatAmount(needed)} ${sym}: run "dcn escrow deposit ${formatAmount(needed - balance.unlocked - freed)}${sym === 'SPON' ? '' : ` --token ${sym}`}"`, 1)
  }

  const refBlock = Number(await c.public.getBlockNumber())
  const client = await connect(net, { wallet: s.wallet, receive: ['bid', 'match', 'no-match'], publish: [TOPICS.orders] })
  try {
    const result = await quote(client, spec, { windowMs: opts.windowMs, chainId: net.chainId, refBlock, untilMatch: true })
    const w = result.winner
    // The lease needs the match that names this very bid (matchers may disagree).
    const decision = w === null ? undefined : result.decisions.find(x => x.signed !== undefined && x.bidHash === w.bidHash)
    if (w === null || decision?.signed === undefined) return { running: false, quote: result }
    const lease = await createLease(c, d, {
      order: result.order, orderSig: result.orderSig, bid: w.bid, bidSig: w.sig, match: decision.signed.body, matchSig: decision.signed.sig
    }, opts.updating)
    opts.onLease?.(lease, result)
    try {
      const endpoints = await deliverManifest({ host: client.host, wallet: s.wallet, chainId: net.chainId }, { leaseId: lease.leaseId, peerId: w.bid.peerId }, manifest.text, opts.onProgress)
      await waitAnswering(endpoints)
      return { running: true, quote: result, lease, endpoints }
    } catch (err) {
      // Nothing runs for the user: give the locked funds back now rather than at the lease's end.
      const { refund } = await closeLease(c, d, lease.leaseId)
      throw new UserError(`${(err as Error).message}; lease ${lease.leaseId} closed, ${formatAmount(refund)} ${sym} back to your escrow`, 1)
    }
  } finally {
    await client.stop()
  }
}
