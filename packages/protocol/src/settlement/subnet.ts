/**
 * Gateways and their fizz nodes on chain: a gateway accepts a fizz wallet, the fizz node
 * registers under it and delegates stake to it; `fizzNodesOf` lists a gateway's current fizz
 * nodes (from `Registered` events, each checked against the registry as it is now).
 */
import type { Address } from 'viem'
import { ProviderRegistryAbi, StakingAbi } from '../contracts/artifacts.js'
import type { SettlementClients } from './clients.js'
import type { Deployment } from './deploy.js'
import { settlementError } from './clients.js'
import { ROLE_IDS, approve, nodeRecord, read, write } from './operations.js'
import type { Hex } from 'viem'

/** The gateway (the caller) accepts a fizz wallet; does nothing when it already has. */
export async function acceptFizz (c: SettlementClients, d: Deployment, fizz: Address, accepted = true): Promise<boolean> {
  const now = await read<boolean>(c, 'reading the registry', { address: d.registry, abi: ProviderRegistryAbi, functionName: 'gatewayAccepts', args: [c.account.address, fizz] })
  if (now === accepted) return false
  await write(c, 'accepting a fizz node', { address: d.registry, abi: ProviderRegistryAbi, functionName: 'acceptFizz', args: [fizz, accepted] })
  return true
}

/**
 * Registers the caller as a fizz node of `gateway`; does nothing when it already is with these
 * details. `attributes`: its capacity and declared attributes (`encodeCapacity`).
 */
export async function registerFizz (c: SettlementClients, d: Deployment, gateway: Address, peerId: string, region: string, attributes: Hex = '0x'): Promise<boolean> {
  const current = await nodeRecord(c, d, c.account.address)
  if (current.role === ROLE_IDS.fizz && current.gateway.toLowerCase() === gateway.toLowerCase() && current.peerId === peerId && current.region === region && current.attributes === attributes) return false
  await write(c, 'fizz registration', { address: d.registry, abi: ProviderRegistryAbi, functionName: 'registerFizz', args: [gateway, peerId, region, attributes] })
  return true
}

/** Delegates SPON from the caller to `node` until the delegation is at least `target`; returns what was added. */
export async function ensureDelegation (c: SettlementClients, d: Deployment, node: Address, target: bigint): Promise<bigint> {
  const current = await read<bigint>(c, 'reading the delegation', { address: d.staking, abi: StakingAbi, functionName: 'delegation', args: [c.account.address, node] })
  if (current >= target) return 0n
  const add = target - current
  await approve(c, d.spon, d.staking, add)
  await write(c, 'delegating stake', { address: d.staking, abi: StakingAbi, functionName: 'delegate', args: [node, add] })
  return add
}

export interface FizzRecord { wallet: Address, peerId: string, region: string, /** What it has delegated to the gateway. */ delegation: bigint }

/** The fizz nodes registered under `gateway` and still accepted by it. */
export async function fizzNodesOf (c: SettlementClients, d: Deployment, gateway: Address): Promise<FizzRecord[]> {
  const logs = await registrations(c, d)
  const wallets = new Set(logs.filter(l => l.args.gateway?.toLowerCase() === gateway.toLowerCase()).map(l => l.args.node!.toLowerCase() as Address))
  const out: FizzRecord[] = []
  for (const wallet of wallets) {
    const [rec, accepted, delegation] = await Promise.all([
      nodeRecord(c, d, wallet),
      read<boolean>(c, 'reading the registry', { address: d.registry, abi: ProviderRegistryAbi, functionName: 'gatewayAccepts', args: [gateway, wallet] }),
      read<bigint>(c, 'reading the delegation', { address: d.staking, abi: StakingAbi, functionName: 'delegation', args: [wallet, gateway] })
    ])
    if (rec.role === ROLE_IDS.fizz && rec.gateway.toLowerCase() === gateway.toLowerCase() && accepted) out.push({ wallet, peerId: rec.peerId, region: rec.region, delegation })
  }
  return out
}

/** The wallet registered on chain with this libp2p peer id in `role`, or null. */
export async function walletOfPeer (c: SettlementClients, d: Deployment, peerId: string, role: keyof typeof ROLE_IDS): Promise<Address | null> {
  const logs = await registrations(c, d)
  for (const l of logs.reverse()) {
    if (l.args.peerId !== peerId) continue
    const rec = await nodeRecord(c, d, l.args.node!)
    if (rec.role === ROLE_IDS[role] && rec.peerId === peerId) return l.args.node!.toLowerCase() as Address
  }
  return null
}

/** Every `Registered` event since the deployment (who registered, as what, under which gateway). */
async function registrations (c: SettlementClients, d: Deployment) {
  try {
    return await c.public.getContractEvents({ address: d.registry, abi: ProviderRegistryAbi, eventName: 'Registered', fromBlock: BigInt(d.startBlock) })
  } catch (err) {
    throw settlementError(err, 'reading registrations')
  }
}
