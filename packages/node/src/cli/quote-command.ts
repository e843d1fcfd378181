/** `dcn quote MANIFEST [--json]`: publish an order, show every bid and the winner or why none. */
import { readFileSync } from 'node:fs'
import { ManifestError, TOPICS, parseManifest, parseMillis, toJson, type OrderSpec } from '@dcn/protocol'
import { loadIdentity, resolveDataDir } from '../identity.js'
import { resolveNetwork, type NetworkInfo } from '../client/network.js'
import { connect } from '../client/light-client.js'
import { quote, type QuoteResult } from '../client/quote.js'
import { UserError } from '../errors.js'
import { common, networkFlags, parse } from './args.js'
import { connectChain, type ChainConfig } from '../chain/deployment.js'
import type { LocalAccount } from 'viem/accounts'
import { perHour, resources, short, table, tokenSymbol } from './format.js'

export const QUOTE_USAGE = 'dcn quote MANIFEST [--json] [--window 2s] [--bootstrap MA]... [--rpc URL --deployment FILE] [--data-dir DIR]'

/** Exit code when the quote worked but nothing matched. */
export const EXIT_NO_MATCH = 3

export async function quoteCommand (args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {
    ...common,
    ...networkFlags,
    window: { type: 'string', default: '2s' }
  }, QUOTE_USAGE)
  if (values.help === true) { console.log(QUOTE_USAGE); return 0 }
  if (positionals.length !== 1) throw new UserError(`expected one manifest file (usage: ${QUOTE_USAGE})`)
  const dataDir = resolveDataDir(values['data-dir'])
  const net = resolveNetwork(dataDir, values)
  const { spec } = readManifest(positionals[0], net)
  const windowMs = bidWindow(values.window)
  const { wallet } = await loadIdentity(dataDir)
  const refBlock = net.chain === undefined ? 0 : await latestBlock(net.chain, wallet)
  const client = await connect(net, { wallet, receive: ['bid', 'match', 'no-match'], publish: [TOPICS.orders] })
  try {
    const result = await quote(client, spec, { windowMs, chainId: net.chainId, refBlock })
    if (values.json === true) console.log(toJson(result, 2))
    else console.log(render(result, net))
    return result.winner !== null || result.decisions.some(d => d.bidHash !== null) ? 0 : EXIT_NO_MATCH
  } finally {
    await client.stop()
  }
}

/** Parses --window: the time from publishing the order to its bid deadline. */
export function bidWindow (value: string): number {
  let windowMs: number
  try {
    windowMs = parseMillis(value)
  } catch (err) {
    throw new UserError(`--window: ${(err as Error).message}`)
  }
  if (windowMs < 200 || windowMs > 600_000) throw new UserError('--window: must be between 200ms and 10m')
  return windowMs
}

/** The chain's latest block: orders read chain-derived match inputs there. */
export async function latestBlock (chain: ChainConfig, wallet: LocalAccount): Promise<number> {
  const c = await connectChain(chain, wallet)
  return Number(await c.public.getBlockNumber())
}

export function readManifest (file: string, net: NetworkInfo): { text: string, spec: OrderSpec } {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    throw new UserError(`cannot read manifest ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`)
  }
  try {
    return { text, spec: parseManifest(text, { tokens: net.tokens }).order }
  } catch (err) {
    if (err instanceof ManifestError) throw new UserError(`${file}: ${err.message}`)
    throw err
  }
}

export function render (r: QuoteResult, net: NetworkInfo): string {
  const sym = tokenSymbol(r.order.token, net.tokens)
  const o = r.order
  const lines = [
    `order ${short(o.id, 10, 6)} · ${resources(o.resources)} · max ${perHour(o.maxPricePerSecond)} ${sym}/h` +
      `${o.region === '' ? '' : ` · region ${o.region}`} · tier ≤ ${o.minTrustTier} · ${r.bids.length} bid${r.bids.length === 1 ? '' : 's'}`,
    ''
  ]
  if (r.bids.length > 0) {
    const rows = [['', 'PROVIDER', 'PEER', `${sym}/HOUR`, 'REGION', 'TIER', 'SCORE']]
    for (const b of r.bids) {
      rows.push([
        b === r.winner ? '*' : '',
        short(b.bid.bidder),
        short(b.bid.peerId, 8, 6),
        perHour(b.bid.pricePerSecond),
        b.bid.region === '' ? '-' : b.bid.region,
        String(b.bid.tier),
        b.score === null ? `- (${b.excludedBy ?? ''})` : b.score.toFixed(4)
      ])
    }
    lines.push(table(rows).split('\n').map(l => '  ' + l).join('\n'), '')
  }
  if (r.winner !== null) {
    const w = r.winner.bid
    lines.push(`winner: ${w.bidder} (peer ${w.peerId}) at ${perHour(w.pricePerSecond)} ${sym}/h — ${r.detail}`)
  } else if (r.reason !== null) {
    lines.push(`no match: ${r.reason} — ${r.detail}`)
  } else {
    lines.push(`no answer: ${r.detail}`)
  }
  return lines.join('\n')
}
