/** Shared by the client commands that touch the chain: wallet, clients, token symbols, amounts. */
import { parseAmount, type Address, type SettlementClients } from '@dcn/protocol'
import { loadIdentity, resolveDataDir } from '../identity.js'
import { resolveNetwork, type NetworkFlags, type NetworkInfo } from '../client/network.js'
import { connectChain, type ChainConfig } from '../chain/deployment.js'
import { UserError } from '../errors.js'
import type { Identity } from '../identity.js'

export interface ChainSession {
  net: NetworkInfo & { chain: ChainConfig }
  identity: Identity
  c: SettlementClients
}

export async function chainSession (flags: NetworkFlags & { 'data-dir'?: string }, need: { gossip?: boolean } = {}): Promise<ChainSession> {
  const dataDir = resolveDataDir(flags['data-dir'])
  const net = resolveNetwork(dataDir, flags, { gossip: need.gossip === true, chain: true }) as ChainSession['net']
  const identity = await loadIdentity(dataDir)
  const c = await connectChain(net.chain, identity.wallet)
  if (await c.public.getBalance({ address: identity.wallet.address }) === 0n) {
    throw new UserError(`wallet ${identity.wallet.address} has no ETH for gas on chain ${net.chain.chainId}: fund it first`, 1)
  }
  return { net, identity, c }
}

export function tokenAddress (net: NetworkInfo, token: string): Address {
  if (/^0x[0-9a-fA-F]{40}$/.test(token)) return token.toLowerCase() as Address
  const addr = net.tokens[token]
  if (addr === undefined) throw new UserError(`--token: unknown token "${token}" (known: ${Object.keys(net.tokens).join(', ')})`)
  return addr
}

export function amount (value: string | undefined, what = 'AMOUNT'): bigint {
  if (value === undefined) throw new UserError(`missing ${what}`)
  try {
    const v = parseAmount(value)
    if (v === 0n) throw new Error('must be more than zero')
    return v
  } catch (err) {
    throw new UserError(`${what}: ${(err as Error).message}`)
  }
}
