/**
 * The devnet's chain: anvil, the contracts, and money for everyone — ETH for gas and SPON for
 * every node wallet (to stake) and the user's wallet (to pay).
 */
import { writeFileSync } from 'node:fs'
import { parseEther, type Address, type Hex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { TokenAbi, deployContracts, faucet, settlementClients, setTier, write, type Deployment, type SettlementClients } from '@dcn/protocol'
import { startAnvil, type Anvil } from '../chain/anvil.js'

/** A devnet era: 6 slots (2 minutes at the default 20 s slots). */
export const DEVNET_ERA_SLOTS = 6

/**
 * The tier stake thresholds X1…X7 a devnet's slarks use: a devnet provider stakes the 100 SPON
 * minimum, so the paper's 500…50 SPON would keep it at tier 7 whatever it does.
 */
export const DEVNET_STAKE_THRESHOLDS = ['90', '80', '70', '60', '40', '20', '10']

export interface DevnetChain {
  anvil: Anvil
  deployment: Deployment
  foundation: SettlementClients
  /** Gives a wallet ETH for gas and `spon` SPON. */
  fund: (who: Address, spon: bigint) => Promise<void>
  setTier: (who: Address, tier: number) => Promise<void>
}

/** `host`: where anvil listens (127.0.0.1 by default); challenge slots of `slotSeconds` (default 20), eras of `eraSlots` slots (default 6). */
export async function startDevnetChain (deploymentFile: string, opts: { host?: string, slotSeconds?: number, eraSlots?: number } = {}): Promise<DevnetChain> {
  const anvil = await startAnvil({ host: opts.host })
  try {
    const foundation = settlementClients(anvil.rpcUrl, anvil.chainId, privateKeyToAccount(anvil.keys[0]))
    const deployment = await deployContracts(foundation, { extraTokens: ['USDX'], slotSeconds: opts.slotSeconds, eraSlots: opts.eraSlots ?? DEVNET_ERA_SLOTS })
    writeFileSync(deploymentFile, JSON.stringify(deployment, null, 2) + '\n')
    await faucet(foundation, deployment.spon, parseEther('1000000'))
    // anvil mines only when a transaction comes, so on a quiet devnet the latest block's time
    // stands still — and with it every contract's idea of "now" (the current challenge slot)
    // in calls and gas estimates. A block a second keeps it within a second of the clock, as on
    // a real chain.
    const ticker = setInterval(() => { foundation.public.request({ method: 'evm_mine' as never }).catch(() => {}) }, 1000)
    ticker.unref()
    const stop = anvil.stop.bind(anvil)
    anvil.stop = async () => { clearInterval(ticker); await stop() }
    return {
      anvil,
      deployment,
      foundation,
      fund: async (who, spon) => {
        await foundation.public.request({ method: 'anvil_setBalance' as never, params: [who, `0x${parseEther('1000').toString(16)}` as Hex] as never })
        if (spon > 0n) await write(foundation, 'funding', { address: deployment.spon, abi: TokenAbi, functionName: 'transfer', args: [who, spon] })
      },
      setTier: async (who, tier) => { await setTier(foundation, deployment, who, tier) }
    }
  } catch (err) {
    await anvil.stop()
    throw err
  }
}
