/**
 * Where client commands find the network: `<data-dir>/devnet.json` (written by `dcn devnet`),
 * overridden by flags.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { DEVNET_CHAIN_ID, DEVNET_TOKENS, type Address, type Deployment } from '@dcn/protocol'
import { UserError } from '../errors.js'
import { checkRpcUrl, parseDeployment, readDeployment, type ChainConfig } from '../chain/deployment.js'

export interface NetworkInfo {
  chainId: number
  bootstrap: string[]
  tokens: Record<string, Address>
  /** The settlement chain, when the network has one. */
  chain?: ChainConfig
}

export interface DevnetNodeInfo {
  name: string
  role: string
  peerId: string
  wallet: string
  addrs: string[]
  api: string
  dataDir: string
  log: string
}

export interface DevnetFile extends NetworkInfo {
  chain: { rpcUrl: string, chainId: number, deployment: Deployment }
  pid: number
  startedAt: string
  nodes: DevnetNodeInfo[]
}

export const devnetFile = (dataDir: string): string => join(dataDir, 'devnet.json')

export interface NetworkFlags { bootstrap?: string[], rpc?: string, deployment?: string }

export function resolveNetwork (dataDir: string, flags: NetworkFlags, need: { gossip?: boolean, chain?: boolean } = { gossip: true }): NetworkInfo {
  let file: Partial<DevnetFile> = {}
  const path = devnetFile(dataDir)
  try {
    const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'))
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('expected a JSON object')
    file = parsed as Partial<DevnetFile>
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new UserError(`cannot read ${path}: ${(err as Error).message}`)
  }
  if (file.bootstrap !== undefined && (!Array.isArray(file.bootstrap) || file.bootstrap.some(b => typeof b !== 'string'))) {
    throw new UserError(`${path}: bootstrap must be a list of multiaddrs`)
  }
  const bootstrap = flags.bootstrap ?? file.bootstrap ?? []
  if (need.gossip === true && bootstrap.length === 0) throw new UserError(`no network to join: start one with "dcn devnet" (it writes ${path}) or pass --bootstrap MULTIADDR`)
  let chain: ChainConfig | undefined
  if (flags.rpc !== undefined || flags.deployment !== undefined) {
    if (flags.rpc === undefined || flags.deployment === undefined) throw new UserError('--rpc and --deployment go together')
    const deployment = readDeployment(flags.deployment)
    chain = { rpcUrl: checkRpcUrl(flags.rpc), chainId: deployment.chainId, deployment }
  } else if (file.chain !== undefined) {
    chain = { rpcUrl: checkRpcUrl(String(file.chain.rpcUrl)), chainId: Number(file.chain.chainId), deployment: parseDeployment(file.chain.deployment, `${path}: chain.deployment`) }
  }
  if (need.chain === true && chain === undefined) throw new UserError(`no settlement chain: start a devnet with "dcn devnet" (it writes ${path}) or pass --rpc URL --deployment FILE`)
  return {
    chainId: chain?.chainId ?? file.chainId ?? DEVNET_CHAIN_ID,
    bootstrap,
    tokens: { ...DEVNET_TOKENS, ...(file.tokens ?? {}), ...(chain?.deployment.tokens ?? {}) },
    ...(chain === undefined ? {} : { chain })
  }
}
