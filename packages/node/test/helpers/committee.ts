/**
 * Challenge fixture: a real anvil with the contracts deployed, providers and slarks registered
 * (each slark with a BLS key and its proof of possession) at chosen tiers, control of slots, and
 * committee signatures. Used by the challenge tests and the on-chain BLS bench.
 */
import type { LocalAccount } from 'viem/accounts'
import {
  blsAggregateSignatures, blsKeyFromBytes, blsRegistration, blsSign, challengeResultMessage, deployContracts, openSlot, registerNode,
  setTier, walletFromKey,
  type Address, type BlsKeyPair, type Deployment, type Hex, type SettlementClients
} from '@dcn/protocol'
import { startAnvil, type Anvil } from '../../src/chain/anvil.js'
import { lower, testClients } from './chain.js'

export interface Member {
  name: string
  address: Address
  account: LocalAccount
  c: SettlementClients
  peerId: string
  /** Slarks only (and the unregistered outsider). */
  key: BlsKeyPair
}

export interface ChallengeNetOptions {
  /** One slark per entry, registered at that tier (1–6). */
  slarkTiers: number[]
  /** One provider per entry, at that tier (1–7). */
  providerTiers: number[]
  committeeSize?: number
  /** Long by default, so a slot never ends while a test is in it; tests move time on explicitly. */
  slotSeconds?: number
  /** Challenge slots per era (Rewards; deployContracts' default otherwise). */
  eraSlots?: number
}

/** A deterministic BLS key per index (secrets 1, 2, … as 32-byte scalars). */
export const testBlsKey = (i: number): BlsKeyPair => blsKeyFromBytes(`0x${(BigInt(i) + 1n).toString(16).padStart(64, '0')}`)

export class ChallengeNet {
  private constructor (
    readonly anvil: Anvil,
    readonly d: Deployment,
    readonly foundation: Member,
    readonly slarks: Member[],
    readonly providers: Member[],
    /** Has a BLS key but is registered nowhere. */
    readonly outsider: Member,
    readonly slotSeconds: number
  ) {}

  static async start (opts: ChallengeNetOptions): Promise<ChallengeNet> {
    const slotSeconds = opts.slotSeconds ?? 3600
    const n = 2 + opts.slarkTiers.length + opts.providerTiers.length
    const anvil = await startAnvil({ accounts: n })
    try {
      const members = anvil.keys.map((k, i): Member => {
        const account = walletFromKey(k)
        return { name: `m${i}`, address: lower(account.address), account, c: testClients(anvil, account), peerId: `12D3KooW-challenge-${i}`, key: testBlsKey(i) }
      })
      const [foundation, outsider] = members
      const slarks = members.slice(2, 2 + opts.slarkTiers.length)
      const providers = members.slice(2 + opts.slarkTiers.length)
      const d = await deployContracts(foundation.c, { committeeSize: opts.committeeSize ?? 3, slotSeconds, eraSlots: opts.eraSlots })
      // Distinct senders: register in parallel, 20 at a time (each proof of possession is verified on chain).
      for (let i = 0; i < slarks.length; i += 20) {
        await Promise.all(slarks.slice(i, i + 20).map(async s => await registerNode(s.c, d, 'slark', s.peerId, 'eu-west', blsRegistration(s.key))))
      }
      await Promise.all(providers.map(async p => await registerNode(p.c, d, 'provider', p.peerId, 'eu-west')))
      for (const [i, s] of slarks.entries()) if (opts.slarkTiers[i] !== 1) await setTier(foundation.c, d, s.address, opts.slarkTiers[i])
      for (const [i, p] of providers.entries()) if (opts.providerTiers[i] !== 7) await setTier(foundation.c, d, p.address, opts.providerTiers[i])
      return new ChallengeNet(anvil, d, foundation, slarks, providers, outsider, slotSeconds)
    } catch (err) {
      await anvil.stop()
      throw err
    }
  }

  async stop (): Promise<void> { await this.anvil.stop() }

  async rpc (method: string, params: unknown[] = []): Promise<unknown> {
    return await (this.foundation.c.public.request as unknown as (a: { method: string, params: unknown[] }) => Promise<unknown>)({ method, params })
  }

  /** Moves the clock into the next slot and opens it. */
  async nextSlot (): Promise<{ slot: bigint, seed: Hex }> {
    await this.rpc('evm_increaseTime', [this.slotSeconds])
    await this.rpc('evm_mine')
    return await openSlot(this.foundation.c, this.d)
  }

  slark (address: Address): Member {
    const s = [...this.slarks, this.outsider].find(m => m.address === address.toLowerCase())
    if (s === undefined) throw new Error(`${address} is no test slark`)
    return s
  }

  /** What the contract verifies: the signers' aggregate over the verdict message (96 bytes). */
  sign (signers: Member[], slot: bigint, provider: Address, passed: boolean, answerHash: Hex): Hex {
    const message = challengeResultMessage({ chainId: this.anvil.chainId, challenges: this.d.challenges, slot, provider, passed, answerHash })
    return blsAggregateSignatures(signers.map(s => blsSign(s.key.secretKey, message)))
  }
}
