/**
 * Node identities under `<data-dir>/keys/` (mode 0600): the libp2p Ed25519 key (peer id) and the
 * EVM secp256k1 wallet. Created on first start, reused after.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { join, resolve } from 'node:path'
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { PrivateKey } from '@libp2p/interface'
import { generatePrivateKey, type LocalAccount } from 'viem/accounts'
import { BlsError, blsKeyFromBytes, generateBlsKey, walletFromKey, type BlsKeyPair, type Hex } from '@dcn/protocol'
import { UserError } from './errors.js'

export interface Identity {
  peerKey: PrivateKey
  peerId: string
  /** Signs with libsecp256k1 where available (see @dcn/protocol walletFromKey). */
  wallet: LocalAccount
}

/** `--data-dir`, else `$DCN_HOME`, else `~/.dcn`. */
export function resolveDataDir (flag?: string): string {
  return resolve(flag ?? process.env.DCN_HOME ?? join(homedir(), '.dcn'))
}

export async function loadIdentity (dataDir: string): Promise<Identity> {
  const dir = join(dataDir, 'keys')
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 })
  } catch (err) {
    throw new UserError(`cannot create key directory ${dir}: ${(err as Error).message}`)
  }
  const peerFile = join(dir, 'peer.key')
  const walletFile = join(dir, 'wallet.key')
  let peerKey: PrivateKey
  if (existsSync(peerFile)) {
    try {
      peerKey = privateKeyFromProtobuf(readFileSync(peerFile))
    } catch (err) {
      throw new UserError(`cannot read peer key ${peerFile}: ${(err as Error).message}`)
    }
  } else {
    peerKey = await generateKeyPair('Ed25519')
    writeSecret(peerFile, privateKeyToProtobuf(peerKey))
  }
  let walletKey: Hex
  if (existsSync(walletFile)) {
    walletKey = readFileSync(walletFile, 'utf8').trim() as Hex
    if (!/^0x[0-9a-fA-F]{64}$/.test(walletKey)) throw new UserError(`wallet key ${walletFile} is not a 32-byte 0x-hex key`)
  } else {
    walletKey = generatePrivateKey()
    writeSecret(walletFile, walletKey + '\n')
  }
  return { peerKey, peerId: peerIdFromPrivateKey(peerKey).toString(), wallet: walletFromKey(walletKey) }
}

function writeSecret (file: string, data: string | Uint8Array): void {
  writeFileSync(file, data, { mode: 0o600, flag: 'wx' })
  chmodSync(file, 0o600)
}

/** A throw-away identity kept only in memory (light clients, benchmarks, simulations); a simulation may give the wallet's key (funded beforehand). */
export async function ephemeralIdentity (walletKey: Hex = generatePrivateKey()): Promise<Identity> {
  const peerKey = await generateKeyPair('Ed25519')
  return { peerKey, peerId: peerIdFromPrivateKey(peerKey).toString(), wallet: walletFromKey(walletKey) }
}

/**
 * The BLS12-381 key of matchers and slarks (`<data-dir>/keys/bls.key`, 0600: the 32-byte secret
 * as 0x-hex). Registered on chain with a proof of possession; signs votes and verdicts.
 */
export function loadBlsKey (dataDir: string): BlsKeyPair {
  const file = join(dataDir, 'keys', 'bls.key')
  if (!existsSync(file)) {
    mkdirSync(join(dataDir, 'keys'), { recursive: true, mode: 0o700 })
    const key = generateBlsKey()
    writeSecret(file, `0x${Buffer.from(key.secretKey).toString('hex')}\n`)
    return key
  }
  const text = readFileSync(file, 'utf8').trim()
  try {
    return blsKeyFromBytes((text.startsWith('0x') ? text : `0x${text}`) as Hex)
  } catch (err) {
    if (err instanceof BlsError) throw new UserError(`BLS key ${file}: ${err.message}`)
    throw err
  }
}
