/**
 * Settlement-test fixture: a real anvil with the contracts deployed (SPON + USDX), a foundation,
 * a staked provider, a registered matcher, funded users, a builder of signed order/bid/match
 * bundles, exact control of block time, and batched reads of every escrow balance.
 */
import * as assert from 'uvu/assert'
import { createPublicClient, http, keccak256, parseEther, toHex, type Account, type Chain as ViemChain, type PublicClient, type Transport } from 'viem'
import type { LocalAccount } from 'viem/accounts'
import {
  EscrowAbi, LeasesAbi, TokenAbi, blsKeyFromBytes, blsRegistration, chainOf, deployContracts, deposit, digest, ensureStake, faucet,
  SettlementError, registerNode, settlementClients, sign, typedData, walletFromKey,
  type Address, type Bid, type Deployment, type Hex, type LeaseSigned, type Match, type MessageBodies, type MessageKind, type Order,
  type Resources, type SettlementClients
} from '@dcn/protocol'
import { startAnvil, type Anvil } from '../../src/chain/anvil.js'

export interface Actor {
  name: string
  /** Lower-case, as message bodies carry it. */
  address: Address
  account: LocalAccount
  c: SettlementClients
  peerId: string
}

export const MIN_STAKE = parseEther('100')
/** The matcher's BLS key (a fixed secret: the registry verifies its proof of possession). */
export const BLS_KEY = blsKeyFromBytes(`0x${'11'.repeat(32)}`)
export const BPS = 10_000n
export const FOUNDATION_FEE_BPS = 2_000n
export const TOKEN_FEE_BPS = 200n

export interface ChainOptions {
  /** Port for anvil; a free one by default. */
  port?: number
  /** How many users to fund (default 3). */
  users?: number
  /** What each user deposits into escrow, per token (default 10,000 of each). */
  deposit?: bigint
  /** What each user gets from the faucets into the wallet before depositing (default 1,000,000 of each). */
  wallet?: bigint
}

export interface LeaseOptions {
  /** The order's owner (default users[0]). */
  user?: Actor
  /** The bidder (default the staked provider). */
  provider?: Actor
  /** The matcher (default the registered matcher). */
  matcher?: Actor
  /** Payment token (default SPON). */
  token?: Address
  /** The bid's price per second (default 1e12). */
  price?: bigint
  /** Lease duration in seconds (default 3600). */
  duration?: number
  /** Field overrides, applied before signing; the bid follows the order, the match follows the bid. */
  order?: Partial<Order>
  bid?: Partial<Bid>
  match?: Partial<Match>
  /** Sign with another wallet than the body's signer (a forgery). */
  forge?: { order?: Actor, bid?: Actor, match?: Actor }
}

export interface Snapshot {
  leaseCount: bigint
  /** token symbol => actor name => [unlocked, locked, wallet] */
  balances: Record<string, Record<string, [bigint, bigint, bigint]>>
  /** token symbol => fees owed to the foundation */
  fees: Record<string, bigint>
  /** token symbol => token.balanceOf(escrow) */
  held: Record<string, bigint>
}

type Rpc = (args: { method: string, params?: unknown[] }) => Promise<unknown>

export const lower = (a: string): Address => a.toLowerCase() as Address
export const res = (over: Partial<Resources> = {}): Resources => ({ cpu: 1000, memory: 2 ** 30, storage: 10 * 2 ** 30, gpuUnits: 0, gpuModel: '', ...over })
/** floor(x · bps / 10000), as the contracts round. */
export const bps = (x: bigint, b: bigint): bigint => x * b / BPS

/**
 * settlementClients with a 10 ms polling interval instead of 250 ms: anvil's automine answers
 * eth_sendRawTransaction a moment before the block is there, and waiting for a receipt polls.
 */
export function testClients (anvil: Anvil, account: LocalAccount): SettlementClients {
  const c = settlementClients(anvil.rpcUrl, anvil.chainId, account as Account)
  return { ...c, public: createPublicClient({ chain: c.public.chain, transport: http(anvil.rpcUrl, { retryCount: 0, timeout: 15_000 }), pollingInterval: 10 }) }
}

export class TestChain {
  readonly foundation: Actor
  readonly provider: Actor
  readonly matcher: Actor
  readonly users: Actor[]
  /** Registered nowhere: forges signatures, plays an unregistered matcher or bidder. */
  readonly outsider: Actor
  /** A registered provider staking less than the minimum. */
  readonly weakProvider: Actor
  /** Reads over one batched HTTP request per tick. */
  readonly reader: PublicClient<Transport, ViemChain>
  private orderSeq = 0

  private constructor (readonly anvil: Anvil, readonly d: Deployment, actors: Actor[], users: number) {
    this.foundation = actors[0]
    this.provider = actors[1]
    this.matcher = actors[2]
    this.outsider = actors[3]
    this.weakProvider = actors[4]
    this.users = actors.slice(5, 5 + users)
    this.reader = createPublicClient({ chain: chainOf(anvil.rpcUrl, anvil.chainId), cacheTime: 0, transport: http(anvil.rpcUrl, { batch: { batchSize: 200, wait: 0 }, retryCount: 0 }) })
  }

  static async start (opts: ChainOptions = {}): Promise<TestChain> {
    const users = opts.users ?? 3
    const anvil = await startAnvil({ accounts: 5 + users, port: opts.port })
    try {
      const names = ['foundation', 'provider', 'matcher', 'outsider', 'weak-provider', ...Array.from({ length: users }, (_, i) => `user${i}`)]
      const actors = names.map((name, i): Actor => {
        const account = walletFromKey(anvil.keys[i])
        return { name, address: lower(account.address), account, c: testClients(anvil, account), peerId: `12D3KooW-test-${name}` }
      })
      const d = await deployContracts(actors[0].c, { extraTokens: ['USDX'], minStake: MIN_STAKE })
      const chain = new TestChain(anvil, d, actors, users)
      const { provider, matcher, weakProvider } = chain
      await registerNode(provider.c, d, 'provider', provider.peerId, 'eu-west')
      await faucet(provider.c, d.spon, MIN_STAKE)
      await ensureStake(provider.c, d, MIN_STAKE)
      await registerNode(matcher.c, d, 'matcher', matcher.peerId, 'eu-west', blsRegistration(BLS_KEY))
      await registerNode(weakProvider.c, d, 'provider', weakProvider.peerId, 'eu-west')
      await faucet(weakProvider.c, d.spon, MIN_STAKE)
      await ensureStake(weakProvider.c, d, MIN_STAKE / 2n)
      const wallet = opts.wallet ?? parseEther('1000000')
      const amount = opts.deposit ?? parseEther('10000')
      await Promise.all(chain.users.map(async u => {
        for (const token of [d.spon, chain.usdx]) {
          await faucet(u.c, token, wallet)
          if (amount > 0n) await deposit(u.c, d, token, amount)
        }
      }))
      return chain
    } catch (err) {
      await anvil.stop()
      throw err
    }
  }

  get usdx (): Address { return this.d.tokens.USDX }
  get chainId (): number { return this.anvil.chainId }
  get actors (): Actor[] { return [this.foundation, this.provider, this.matcher, this.outsider, this.weakProvider, ...this.users] }
  get tokens (): Array<[string, Address]> { return [['SPON', this.d.spon], ['USDX', this.usdx]] }

  async stop (): Promise<void> { await this.anvil.stop() }

  // ------------------------------------------------------------------ time

  async rpc (method: string, params: unknown[] = []): Promise<unknown> {
    return await (this.foundation.c.public.request as unknown as Rpc)({ method, params })
  }

  /** The latest block's timestamp. */
  async now (): Promise<bigint> {
    return (await this.reader.getBlock({ blockTag: 'latest' })).timestamp
  }

  /** The next block (the next transaction, with automine) gets exactly this timestamp. */
  async setNextTimestamp (ts: bigint | number): Promise<void> {
    await this.rpc('evm_setNextBlockTimestamp', [Number(ts)])
  }

  async mine (): Promise<void> { await this.rpc('evm_mine') }

  /** Mines an empty block at exactly `ts` (anvil allows a timestamp equal to the previous block's). */
  async mineAt (ts: bigint | number): Promise<void> {
    await this.setNextTimestamp(ts)
    await this.mine()
  }

  /** Moves the clock forward and mines a block there. */
  async increaseTime (seconds: number): Promise<void> {
    await this.rpc('evm_increaseTime', [seconds])
    await this.mine()
  }

  // ------------------------------------------------------------- orders

  nextOrderId (): Hex {
    this.orderSeq += 1
    return keccak256(toHex(`settlement-test-order-${this.orderSeq}`))
  }

  /** A signed order, bid and match that createLease accepts, unless overridden into one it must refuse. */
  async signedLease (opts: LeaseOptions = {}): Promise<LeaseSigned> {
    const user = opts.user ?? this.users[0]
    const provider = opts.provider ?? this.provider
    const matcher = opts.matcher ?? this.matcher
    const price = opts.price ?? 1_000_000_000_000n
    const nowS = opts.order?.expiry === undefined || opts.bid?.expiry === undefined || opts.match?.expiry === undefined ? Number(await this.now()) : 0
    const nowMs = Date.now()
    const order: Order = {
      id: this.nextOrderId(),
      owner: user.address,
      resources: res(),
      region: 'eu-west',
      minTrustTier: 7,
      mode: 'provider',
      token: lower(opts.token ?? this.d.spon),
      maxPricePerSecond: price,
      duration: opts.duration ?? 3600,
      bidDeadlineMs: nowMs + 2000,
      refBlock: 1,
      nonce: BigInt(this.orderSeq),
      createdMs: nowMs,
      expiry: nowS + 3600,
      manifestHash: keccak256(toHex(`manifest-${this.orderSeq}`)),
      ...opts.order
    }
    const bid: Bid = {
      orderId: order.id,
      bidder: provider.address,
      peerId: provider.peerId,
      fizzId: '',
      pricePerSecond: price,
      region: 'eu-west',
      tier: 7,
      token: order.token,
      available: res({ cpu: 8000, memory: 16 * 2 ** 30, storage: 100 * 2 ** 30 }),
      capacity: res({ cpu: 8000, memory: 16 * 2 ** 30, storage: 100 * 2 ** 30 }),
      createdMs: nowMs,
      expiry: nowS + 600,
      ...opts.bid
    }
    const match: Match = {
      orderId: order.id,
      bidHash: digest(this.chainId, 'bid', bid),
      bidder: bid.bidder,
      pricePerSecond: bid.pricePerSecond,
      matcher: matcher.address,
      bids: 1,
      createdMs: nowMs,
      expiry: nowS + 600,
      ...opts.match
    }
    const [orderSig, bidSig, matchSig] = await Promise.all([
      this.sig('order', order, opts.forge?.order),
      this.sig('bid', bid, opts.forge?.bid),
      this.sig('match', match, opts.forge?.match)
    ])
    return { order, orderSig, bid, bidSig, match, matchSig }
  }

  private async sig<K extends MessageKind> (type: K, body: MessageBodies[K], forger?: Actor): Promise<Hex> {
    if (forger !== undefined) {
      return await forger.account.signTypedData(typedData(this.chainId, type, body) as Parameters<LocalAccount['signTypedData']>[0])
    }
    const signer = this.actors.find(a => a.address === (type === 'order' ? (body as Order).owner : type === 'bid' ? (body as Bid).bidder : (body as Match).matcher))
    if (signer === undefined) throw new Error(`no test wallet signs this ${type}`)
    return (await sign(signer.account, this.chainId, type, body)).sig
  }

  // ------------------------------------------------------------------ reads

  /** Every actor's escrow and wallet balances, the fees and what escrow holds, per token, in one batched round trip. */
  async snapshot (): Promise<Snapshot> {
    const { d, reader } = this
    const read = async (address: Address, abi: typeof EscrowAbi | typeof TokenAbi | typeof LeasesAbi, functionName: string, args: readonly unknown[] = []): Promise<bigint> =>
      await reader.readContract({ address, abi, functionName, args } as Parameters<typeof reader.readContract>[0]) as bigint
    const actors = this.actors
    const [perToken, leaseCount] = await Promise.all([Promise.all(this.tokens.map(async ([, token]) => await Promise.all([
      read(token, TokenAbi, 'balanceOf', [d.escrow]),
      read(d.escrow, EscrowAbi, 'fees', [token]),
      Promise.all(actors.map(async a => await Promise.all([
        read(d.escrow, EscrowAbi, 'balanceOf', [a.address, token]),
        read(d.escrow, EscrowAbi, 'lockedOf', [a.address, token]),
        read(token, TokenAbi, 'balanceOf', [a.address])
      ])))
    ]))), read(d.leases, LeasesAbi, 'leaseCount')])
    const snap: Snapshot = { leaseCount, balances: {}, fees: {}, held: {} }
    this.tokens.forEach(([symbol], i) => {
      const [held, fees, rows] = perToken[i]
      snap.held[symbol] = held
      snap.fees[symbol] = fees
      snap.balances[symbol] = Object.fromEntries(actors.map((a, j) => [a.name, rows[j] as [bigint, bigint, bigint]]))
    })
    return snap
  }

  /** Σ over every actor of (unlocked + locked) + fees, per token: what escrow must hold. */
  static recorded (s: Snapshot, symbol: string): bigint {
    return Object.values(s.balances[symbol]).reduce((sum, [unlocked, locked]) => sum + unlocked + locked, 0n) + s.fees[symbol]
  }
}

/** Asserts that a chain operation fails with a SettlementError whose message holds `reason`. */
export async function rejects (fn: () => Promise<unknown>, reason: string): Promise<void> {
  try {
    await fn()
  } catch (err) {
    assert.instance(err, SettlementError)
    assert.ok((err as Error).message.includes(reason), `expected "${reason}" in: ${(err as Error).message}`)
    return
  }
  assert.unreachable(`expected a refusal with "${reason}"`)
}
