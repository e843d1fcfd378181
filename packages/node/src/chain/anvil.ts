/**
 * The embedded chain: anvil from the @foundry-rs/anvil package (its platform binary), on a free
 * port of 127.0.0.1, with anvil's well-known development accounts.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { mnemonicToAccount } from 'viem/accounts'
import { toHex, type Hex } from 'viem'
import { UserError } from '../errors.js'
import { freePort } from '../devnet/devnet.js'

/** anvil's default mnemonic: its accounts are public test keys, for devnets only. */
export const ANVIL_MNEMONIC = 'test test test test test test test test test test test junk'

export interface Anvil {
  rpcUrl: string
  chainId: number
  /** Private keys of the funded development accounts (index 0 deploys and is the foundation). */
  keys: Hex[]
  process: ChildProcess
  stop: () => Promise<void>
}

export function anvilBinary (): string {
  const req = createRequire(import.meta.url)
  const platform = `${process.platform === 'win32' ? 'win32' : process.platform}-${process.arch === 'x64' ? 'amd64' : process.arch}`
  try {
    const wrapper = req.resolve('@foundry-rs/anvil/package.json')
    const pkg = createRequire(wrapper).resolve(`@foundry-rs/anvil-${platform}/package.json`)
    const bin = join(dirname(pkg), 'bin', process.platform === 'win32' ? 'anvil.exe' : 'anvil')
    if (existsSync(bin)) return bin
  } catch {}
  throw new UserError(`no anvil binary for ${platform}: install dependencies with "npx -y pnpm@10 install", or run against a chain with --rpc URL`, 1)
}

export function anvilKeys (count: number): Hex[] {
  return Array.from({ length: count }, (_, i) => toHex(mnemonicToAccount(ANVIL_MNEMONIC, { addressIndex: i }).getHdKey().privateKey!))
}

export async function startAnvil (opts: { accounts?: number, chainId?: number, port?: number, host?: string } = {}): Promise<Anvil> {
  const host = opts.host ?? '127.0.0.1'
  const accounts = opts.accounts ?? 20
  const chainId = opts.chainId ?? 31337
  const port = opts.port ?? await freePort()
  const child = spawn(anvilBinary(), [
    '--host', host, '--port', String(port), '--chain-id', String(chainId), '--accounts', String(accounts),
    '--mnemonic', ANVIL_MNEMONIC, '--balance', '1000000'
  ], { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new UserError(`anvil did not start in 15 s: ${out.trim().split('\n').slice(-2).join(' ')}`, 1)) }, 15_000)
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString()
      if (out.includes('Listening on')) { clearTimeout(timer); resolve() }
    })
    child.stderr?.on('data', (d: Buffer) => { out += d.toString() })
    child.once('exit', (code) => { clearTimeout(timer); reject(new UserError(`anvil exited with code ${String(code)}: ${out.trim().split('\n').slice(-2).join(' ')}`, 1)) })
  })
  child.stdout?.resume()
  return {
    rpcUrl: `http://${host}:${port}`,
    chainId,
    keys: anvilKeys(accounts),
    process: child,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return
      const exited = new Promise(resolve => child.once('exit', resolve))
      child.kill('SIGTERM')
      await exited
    }
  }
}
