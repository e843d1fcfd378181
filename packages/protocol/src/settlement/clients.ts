/**
 * viem clients for a settlement chain, and errors that say what went wrong in one line.
 */
import {
  BaseError, ContractFunctionRevertedError, createPublicClient, createWalletClient, defineChain, http,
  type Account, type Chain, type Hash, type PublicClient, type TransactionReceipt, type Transport, type WalletClient
} from 'viem'

export interface SettlementClients {
  public: PublicClient<Transport, Chain>
  wallet: WalletClient<Transport, Chain, Account>
  account: Account
}

export function chainOf (rpcUrl: string, chainId: number): Chain {
  return defineChain({
    id: chainId,
    name: chainId === 31337 ? 'dcn devnet' : `chain ${chainId}`,
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    rpcUrls: { default: { http: [rpcUrl] } }
  })
}

export function settlementClients (rpcUrl: string, chainId: number, account: Account): SettlementClients {
  const chain = chainOf(rpcUrl, chainId)
  const transport = http(rpcUrl, { retryCount: 0, timeout: 15_000 })
  return {
    public: createPublicClient({ chain, transport, pollingInterval: 250 }),
    wallet: createWalletClient({ chain, transport, account }),
    account
  }
}

/**
 * Waits for a transaction's receipt. Without replacement checks: while viem looks for a
 * replacement (after a first miss) it drops the new-block notice, and a chain that mines only
 * on demand (anvil's automine, the devnet) brings no further block, so a mined transaction was
 * reported as timed out after 3 minutes (about one write in a thousand). Our wallets never
 * replace their transactions.
 */
export async function waitForReceipt (c: SettlementClients, hash: Hash): Promise<TransactionReceipt> {
  return await c.public.waitForTransactionReceipt({ hash, checkReplacement: false })
}

/** Checks that the RPC answers and serves the expected chain; throws a SettlementError otherwise. */
export async function checkChain (clients: SettlementClients, rpcUrl: string): Promise<void> {
  let id: number
  try {
    id = await clients.public.getChainId()
  } catch {
    throw new SettlementError(`cannot reach the chain RPC at ${rpcUrl}`)
  }
  if (id !== clients.public.chain.id) throw new SettlementError(`wrong chain: ${rpcUrl} serves chain id ${id}, expected ${clients.public.chain.id}`)
}

/** A settlement failure a user can act on; `message` is one line. */
export class SettlementError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'SettlementError'
  }
}

/** Turns a viem error into a SettlementError with the revert reason or the short cause. */
export function settlementError (err: unknown, action: string): SettlementError {
  if (err instanceof SettlementError) return err
  if (err instanceof BaseError) {
    const revert = err.walk(e => e instanceof ContractFunctionRevertedError) as ContractFunctionRevertedError | null
    if (revert?.reason !== undefined) return new SettlementError(`${action} failed: ${revert.reason}`)
    if (/insufficient funds/i.test(err.message)) return new SettlementError(`${action} failed: the wallet has no ETH for gas`)
    if (/fetch failed|ECONNREFUSED|HTTP request failed/i.test(err.message)) return new SettlementError(`${action} failed: the chain RPC does not answer`)
    return new SettlementError(`${action} failed: ${err.shortMessage}`)
  }
  return new SettlementError(`${action} failed: ${(err as Error)?.message ?? String(err)}`)
}
