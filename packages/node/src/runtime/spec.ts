/**
 * What Docker is asked to create for a lease: one network of its own, and `count` containers per
 * service with the lease's limits. Pure functions, so isolation and limits are unit-tested
 * without an engine.
 *
 * Isolation: never privileged, every capability dropped but the few a server needs to bind a
 * port and drop to its own user, `no-new-privileges`, a pids limit, no swap, the lease's own
 * bridge network only (Docker isolates bridges from each other), nothing from the host mounted.
 */
import type { ContainerCreateOptions, NetworkCreateOptions } from 'dockerode'
import type { Hex, Manifest } from '@dcn/protocol'

export const LABEL = {
  provider: 'dcn.provider',
  lease: 'dcn.lease',
  order: 'dcn.order',
  owner: 'dcn.owner',
  service: 'dcn.service',
  replica: 'dcn.replica',
  /** Published ports as `port/proto,…`, so endpoints are known from the engine alone. */
  expose: 'dcn.expose',
  /** A proof-of-capacity container (challenge-runner.ts); the value is the puzzle. */
  challenge: 'dcn.challenge'
} as const

/** Capabilities kept after `--cap-drop ALL`: enough for a server to start as root and drop to its user. */
export const KEPT_CAPABILITIES = ['CHOWN', 'SETUID', 'SETGID', 'NET_BIND_SERVICE']

export interface LeaseRef {
  leaseId: bigint
  orderId: Hex
  owner: string
}

export interface SpecOptions {
  /** The provider's wallet: every object carries it, so providers sharing an engine keep apart. */
  provider: string
  /** Host address published ports bind to (127.0.0.1 on a devnet). */
  bindHost: string
  pidsLimit: number
}

/** Names are per order (random ids), so a fresh chain reusing lease numbers never collides. */
export function networkName (lease: LeaseRef): string {
  return `dcn-${lease.orderId.slice(2, 14)}`
}

export function containerName (lease: LeaseRef, service: string, replica: number): string {
  return `${networkName(lease)}-${service}-${replica}`
}

export function leaseLabels (lease: LeaseRef, opts: SpecOptions): Record<string, string> {
  return {
    [LABEL.provider]: opts.provider.toLowerCase(),
    [LABEL.lease]: lease.leaseId.toString(),
    [LABEL.order]: lease.orderId,
    [LABEL.owner]: lease.owner.toLowerCase()
  }
}

export function networkSpec (lease: LeaseRef, opts: SpecOptions): NetworkCreateOptions {
  return {
    Name: networkName(lease),
    Driver: 'bridge',
    CheckDuplicate: true,
    Labels: leaseLabels(lease, opts)
  }
}

export function containerSpecs (lease: LeaseRef, manifest: Manifest, opts: SpecOptions): ContainerCreateOptions[] {
  const specs: ContainerCreateOptions[] = []
  const net = networkName(lease)
  for (const [name, svc] of Object.entries(manifest.services)) {
    const dep = manifest.deployment[name]
    const profile = manifest.profiles.compute[dep.profile]
    const exposed: Record<string, object> = {}
    const bindings: Record<string, Array<{ HostIp: string, HostPort: string }>> = {}
    for (const e of svc.expose) {
      const key = `${e.port}/${e.proto === 'udp' ? 'udp' : 'tcp'}`
      exposed[key] = {}
      // Docker picks a free host port; endpoints report it.
      if (e.global) bindings[key] = [{ HostIp: opts.bindHost, HostPort: '' }]
    }
    for (let replica = 0; replica < dep.count; replica++) {
      specs.push({
        name: containerName(lease, name, replica),
        Image: svc.image,
        ...(svc.command.length > 0 ? { Entrypoint: svc.command } : {}),
        ...(svc.args.length > 0 ? { Cmd: svc.args } : {}),
        Env: Object.entries(svc.env).map(([k, v]) => `${k}=${v}`),
        Labels: {
          ...leaseLabels(lease, opts),
          [LABEL.service]: name,
          [LABEL.replica]: String(replica),
          [LABEL.expose]: svc.expose.filter(e => e.global).map(e => `${e.port}/${e.proto}`).join(',')
        },
        ExposedPorts: exposed,
        HostConfig: {
          NanoCpus: profile.cpu * 1_000_000,
          Memory: profile.memory,
          MemorySwap: profile.memory,
          PidsLimit: opts.pidsLimit,
          Privileged: false,
          CapDrop: ['ALL'],
          CapAdd: KEPT_CAPABILITIES,
          SecurityOpt: ['no-new-privileges'],
          NetworkMode: net,
          PortBindings: bindings,
          // Docker restarts a dead replica itself (also while the provider is down); we report it.
          RestartPolicy: { Name: 'unless-stopped', MaximumRetryCount: 0 },
          LogConfig: { Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '3' } }
        },
        NetworkingConfig: { EndpointsConfig: { [net]: { Aliases: [name] } } }
      })
    }
  }
  return specs
}
