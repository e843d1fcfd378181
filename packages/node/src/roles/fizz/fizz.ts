/**
 * The fizz role: a machine behind NAT that sells compute through its gateway.
 *
 * Before its host starts, it registers on chain under the gateway (which must have accepted its
 * wallet) and delegates stake to it, so the gateway grants the relay reservation it asks for on
 * start (its only listen address is `<gateway>/p2p-circuit`). It then answers the gateway's
 * control requests (`/dcn/fizz/1.0.0`: status, reserve, release), runs the gateway's leases that
 * name it with the provider runtime (Docker, same limits and isolation), and serves their
 * manifests, lease requests and tunnels — all arriving over the connection it keeps to the
 * gateway, which the bootstrap loop redials with backoff when it drops. To stay light at rest
 * it does not follow chain events: a lease arrives with its manifest, and the workloads' periodic
 * check finds leases that closed.
 */
import type { PeerId } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import {
  ensureDelegation, formatAmount, parseAmount, registerFizz, walletOfPeer,
  type Address, type Deployment, type SettlementClients
} from '@dcn/protocol'
import type { LocalAccount } from 'viem/accounts'
import { registryAttributes, type NodeConfig } from '../../config.js'
import type { Host } from '../../host.js'
import type { Logger } from '../../log.js'
import type { NodeMetrics } from '../../metrics.js'
import { UserError } from '../../errors.js'
import { prepareLeasing } from '../provider/leasing.js'
import type { Workloads } from '../provider/workloads.js'
import { handleTunnels } from '@dcn/gateway'
import { serveFizzControl } from './control.js'
import { FizzReservations } from './reservations.js'
import { missingMallocEnv } from './malloc-env.js'

/** What a fizz node delegates to its gateway when it joins. */
export const FIZZ_DELEGATION = parseAmount('10')

/**
 * Before a fizz node's host starts: finds its gateway (the peer id ending `--gateway`) on chain,
 * registers under it and delegates to it.
 */
export async function joinGateway (config: NodeConfig, settlement: { c: SettlementClients, d: Deployment } | undefined, peerId: string, log: Logger): Promise<{ peer: PeerId, wallet: Address }> {
  if (config.gateway === undefined || settlement === undefined) throw new UserError('a fizz node needs --gateway MULTIADDR (ending in /p2p/<gateway peer id>) and a chain (--rpc URL --deployment FILE)')
  const id = multiaddr(config.gateway).getComponents().findLast(c => c.name === 'p2p')?.value
  if (id === undefined) throw new UserError(`--gateway ${config.gateway}: the address must end in /p2p/<gateway peer id>`)
  const { c, d } = settlement
  const wallet = await walletOfPeer(c, d, id, 'gateway')
  if (wallet === null) throw new UserError(`--gateway: peer ${id} is not registered on chain as a gateway`, 1)
  try {
    if (await registerFizz(c, d, wallet, peerId, config.provider.region, registryAttributes(config))) log.info('registered on chain under the gateway', { gateway: wallet })
  } catch (err) {
    const msg = (err as Error).message
    if (/has not accepted/.test(msg)) throw new UserError(`gateway ${wallet} has not accepted this fizz node (wallet ${c.account.address}): ask its operator to add it to subnet.accept`, 1)
    throw err
  }
  const added = await ensureDelegation(c, d, wallet, FIZZ_DELEGATION)
  if (added > 0n) log.info('delegated to the gateway', { amount: formatAmount(added) })
  return { peer: peerIdFromString(id), wallet }
}

export interface FizzOptions {
  host: Host
  config: NodeConfig
  c: SettlementClients
  d: Deployment
  /** The node's wallet: signs its challenge answers. */
  account: LocalAccount
  gateway: { peer: PeerId, wallet: Address }
  metrics: NodeMetrics
  log: Logger
}

export interface Fizz {
  reservations: FizzReservations
  workloads: Workloads
  stop: () => void
}

export async function startFizz ({ host, config, c, d, account, gateway, metrics, log }: FizzOptions): Promise<Fizz> {
  const missing = missingMallocEnv()
  if (missing.length > 0) log.info(`tip: run with ${missing.join(' ')} in the environment for 10–30 MB less memory`)
  const reservations = new FizzReservations(config.provider)
  const leasing = await prepareLeasing({
    host, capacity: reservations, operator: { provider: gateway.wallet, fizzId: host.peerId.toString() }, config, c, d, metrics, log,
    challenges: { account, free: () => reservations.supply.available(), onlyFrom: gateway.peer }
  })
  const { workloads } = leasing
  await leasing.start()
  const p = config.provider
  await serveFizzControl(host, gateway.peer, {
    status: () => ({
      wallet: c.account.address.toLowerCase() as Address,
      region: p.region,
      tokens: p.tokens,
      capacity: reservations.supply.capacity,
      available: reservations.supply.available(),
      prices: p.pricing.strategy === 'scale' ? p.pricing.prices : { cpu: 0n, memory: 0n, storage: 0n, gpu: 0n },
      leases: reservations.leaseCount
    }),
    reserve: async (order) => await reservations.reserve(order),
    release: (orderId) => { reservations.release(orderId) }
  }, log)
  // Tunnels from the gateway reach published container ports of running leases, nothing else.
  await handleTunnels(host, async (req, from) => {
    if (!from.equals(gateway.peer)) throw new Error('tunnels come only from this fizz node\'s gateway')
    return await workloads.portOf(BigInt(req.leaseId), req.service, req.replica, req.port)
  }, { log })
  return { reservations, workloads, stop: () => { leasing.stop(); reservations.stop() } }
}
