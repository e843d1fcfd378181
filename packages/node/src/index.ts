/**
 * @dcn/node — the `dcn` binary (SPEC.md, Shape). Its entry point is `bin/dcn.ts`; this module is
 * the part other packages run in-process (the simulation harness, benchmarks):
 *
 * - `startNode(config, identity, opts)` starts one node of any role: libp2p host, validated
 *   gossip, the role's components. `opts.runtime` runs leases on a given `Runtime` instead of
 *   Docker; `opts.linkDelay` delays every chunk the node receives over TCP (emulated latency).
 * - `buildConfig` makes a `NodeConfig` from a config object and flags; `ephemeralIdentity` a
 *   throw-away identity.
 * - `connect` is the light client user commands use; `buildOrder` builds an unsigned order.
 * - `createHost`/`Gossip`/`NodeMetrics`: the libp2p stack and the validated gossip layer, for
 *   peers that are not nodes of a role (a simulated user, an adversary).
 * - `cluster/workers`: forking worker processes that host many nodes, and their statistics.
 * - `startDevnetChain` (devnet/chain.ts): anvil with the contracts deployed.
 *
 * Load `polyfill.js` before importing this in an entry point (libp2p needs it on Node 20).
 */
export { startNode, type DcnNode, type StartOptions, type NodeStatus } from './node.js'
export { buildConfig, type NodeConfig, type ProviderConfig, type PricingConfig } from './config.js'
export { ephemeralIdentity, type Identity } from './identity.js'
export { logger, silent, type Logger } from './log.js'
export { createHost, gossipInternals, type Host, type HostOptions } from './host.js'
export { Gossip } from './network/gossip.js'
export { delayedTransport, type DrawDelay } from './network/link-delay.js'
export { NodeMetrics } from './metrics.js'
export { connect, type LightClient, type ConnectOptions } from './client/light-client.js'
export { buildOrder, type QuoteResult } from './client/quote.js'
export { deploy, type DeploySession, type DeployResult } from './client/deploy.js'
export type { Runtime, OutputSink, ExecSession, FoundLease, LeaseRef } from './runtime/runtime.js'
export { ask, forkWorker, settleWorkers, stopWorkers, workerStats, loopDelayMonitor, nodeTotals, type IpcMessage } from './cluster/workers.js'
export { startDevnetChain, type DevnetChain } from './devnet/chain.js'
