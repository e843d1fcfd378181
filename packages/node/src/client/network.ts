/**
 * Where client commands find the network: `<data-dir>/devnet.json` (written by `dcn devnet`),
 * overridden by flags.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { DEVNET_CHAIN_ID, DEVNET_TOKENS, type Address } from '@dcn/protocol'
import { UserError } from '../errors.js'

export interface NetworkInfo {
  chainId: number
  bootstrap: string[]
  tokens: Record<string, Address>
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
  pid: number
  startedAt: string
  nodes: DevnetNodeInfo[]
}

export const devnetFile = (dataDir: string): string => join(dataDir, 'devnet.json')

export function resolveNetwork (dataDir: string, flags: { bootstrap?: string[] }): NetworkInfo {
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
  if (bootstrap.length === 0) throw new UserError(`no network to join: start one with "dcn devnet" (it writes ${path}) or pass --bootstrap MULTIADDR`)
  return { chainId: file.chainId ?? DEVNET_CHAIN_ID, bootstrap, tokens: { ...DEVNET_TOKENS, ...(file.tokens ?? {}) } }
}
