/**
 * Everything a provider needs to run leases, put together: the Docker engine (checked at start),
 * the runtime, the workloads, and the `/dcn/manifest`, `/dcn/lease` and `/dcn/challenge`
 * handlers. `prepare` connects; `start` recovers what runs from before and opens the protocols.
 */
import type { PeerId } from '@libp2p/interface'
import type { LocalAccount } from 'viem/accounts'
import type { Address, Deployment, Resources, SettlementClients } from '@dcn/protocol'
import type { Host } from '../../host.js'
import type { Logger } from '../../log.js'
import type { NodeMetrics } from '../../metrics.js'
import type { NodeConfig } from '../../config.js'
import { connectDocker } from '../../runtime/docker.js'
import { DockerRuntime } from '../../runtime/docker-runtime.js'
import type { Runtime } from '../../runtime/runtime.js'
import { Workloads, type LeaseCapacity } from './workloads.js'
import { RequestGuard } from './request-guard.js'
import { handleManifests } from './manifest-handler.js'
import { handleLeaseRequests } from './lease-handler.js'
import { serveChallenges } from './challenge-service.js'

export interface LeasingOptions {
  host: Host
  capacity: LeaseCapacity
  /** Whose leases run here (see WorkloadsOptions); the node's own wallet by default. */
  operator?: { provider: Address, fizzId: string }
  config: NodeConfig
  c: SettlementClients
  d: Deployment
  metrics: NodeMetrics
  log: Logger
  /**
   * Run leases here instead of on Docker (a simulation's simulated runtime). Proofs of capacity
   * need real containers, so a node given a runtime answers no challenges.
   */
  runtime?: Runtime
  /** Proofs of capacity for slarks: signed with `account`, capped at what is really `free`. */
  challenges: { account: LocalAccount, free: () => Resources, onlyFrom?: PeerId }
}

export interface Leasing {
  workloads: Workloads
  start: () => Promise<void>
  stop: () => void
}

export async function prepareLeasing ({ host, capacity, operator, config, c, d, metrics, log, runtime: given, challenges }: LeasingOptions): Promise<Leasing> {
  const p = config.provider
  const docker = given === undefined ? await connectDocker() : undefined
  let runtime: Runtime
  if (docker === undefined) {
    runtime = given!
  } else {
    const dockerRuntime = new DockerRuntime({ docker, provider: c.account.address, bindHost: p.ingress.bind, endpointHost: p.ingress.host, pidsLimit: p.pidsLimit, log })
    await dockerRuntime.start()
    runtime = dockerRuntime
  }
  const workloads = new Workloads({ runtime, capacity, operator: operator ?? { provider: c.account.address, fizzId: '' }, c, d, dataDir: config.dataDir, tokens: config.tokens, manifestTimeoutMs: p.manifestTimeoutMs, metrics, log })
  return {
    workloads,
    start: async () => {
      await workloads.start()
      const handlers = { host, workloads, guard: new RequestGuard(), chainId: config.chainId, metrics, log }
      await handleManifests(handlers)
      await handleLeaseRequests({ ...handlers, runtime })
      if (docker !== undefined) await serveChallenges({ host, c, d, docker, chainId: config.chainId, deadlineMs: config.slark.deadlineMs, metrics, log, ...challenges })
      log.info('runtime ready', { docker: docker === undefined ? 'none (given runtime)' : 'connected', ingress: `${p.ingress.bind} as ${p.ingress.host}`, leases: workloads.list().length })
    },
    stop: () => { workloads.stop(); runtime.stop() }
  }
}
