/**
 * Where a node or client finds the settlement chain: an RPC URL, its chain id and the contract
 * addresses (a deployment file written by `dcn devnet`, or by whoever deployed to a real chain).
 */
import { readFileSync } from 'node:fs'
import { privateKeyToAccount } from 'viem/accounts'
import { address, checkChain, obj, settlementClients, str, uint, SchemaError, type Deployment, type Hex, type SettlementClients } from '@dcn/protocol'
import type { LocalAccount } from 'viem/accounts'
import { UserError } from '../errors.js'

export interface ChainConfig {
  rpcUrl: string
  chainId: number
  deployment: Deployment
}

const deploymentSchema = obj({
  chainId: uint(2 ** 40, 1),
  foundation: address,
  spon: address,
  registry: address,
  staking: address,
  escrow: address,
  leases: address,
  challenges: address,
  rewards: address,
  tokens: (v: unknown, path: string) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new SchemaError(path, 'expected a map of symbol to address')
    return Object.fromEntries(Object.entries(v).map(([k, a]) => [k, address(a, `${path}.${k}`)]))
  },
  startBlock: uint()
})

export function parseDeployment (raw: unknown, where: string): Deployment {
  try {
    return deploymentSchema(raw, '') as Deployment
  } catch (err) {
    throw new UserError(`${where}: ${(err as Error).message}`)
  }
}

export function readDeployment (file: string): Deployment {
  let raw: unknown
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'))
  } catch (err) {
    throw new UserError(`cannot read deployment file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`)
  }
  return parseDeployment(raw, file)
}

export function checkRpcUrl (url: string): string {
  const parsed = str({ min: 1, max: 2048 })(url, '--rpc')
  if (!/^https?:\/\/[^\s]+$/.test(parsed)) throw new UserError(`--rpc: expected an http(s) URL, got "${url}"`)
  return parsed
}

/** Clients for a wallet on the chain, after checking that the RPC answers with the right chain id. */
export async function connectChain (chain: ChainConfig, wallet: LocalAccount | Hex): Promise<SettlementClients> {
  const account = typeof wallet === 'string' ? privateKeyToAccount(wallet) : wallet
  const clients = settlementClients(chain.rpcUrl, chain.chainId, account)
  try {
    await checkChain(clients, chain.rpcUrl)
  } catch (err) {
    throw new UserError((err as Error).message, 1)
  }
  return clients
}
