/**
 * What the Docker runtime asks the engine to create for a lease, without an engine: one
 * container per replica with unique names, the labels a restarted provider finds its workloads
 * by, the lease's limits, the isolation settings (no privileges, capabilities dropped, the
 * lease's own network, nothing from the host), and which ports are published.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { ContainerCreateOptions } from 'dockerode'
import { parseManifest, type Hex, type Manifest } from '@dcn/protocol'
import {
  KEPT_CAPABILITIES, LABEL, containerName, containerSpecs, leaseLabels, networkName, networkSpec,
  type LeaseRef, type SpecOptions
} from '../src/runtime/spec.js'

const TOKEN = '0x5fbdb2315678afecb367f032d93f642f64180aa3'
const MiB = 2 ** 20

// Mixed case on purpose: labels must carry them lower-cased.
const OPTS: SpecOptions = { provider: '0xAbCdEf0123456789aBcDeF0123456789ABCDEF01', bindHost: '10.1.2.3', pidsLimit: 123 }
const LEASE: LeaseRef = {
  leaseId: 123456789012345678901234567890n,
  orderId: '0x0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
  owner: '0xF00DF00DF00DF00DF00DF00DF00DF00DF00DF00D'
}
const OTHER_ORDER: LeaseRef = { ...LEASE, leaseId: 7n, orderId: '0xfedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210' }

const TWO_SERVICES = `
version: "1.0"
services:
  web:
    image: busybox:stable
    command: ["sh", "-c"]
    args: ["exec httpd -f -p 8080 -h /www"]
    env:
      GREETING: hello world
      PAIR: a=b
    expose:
      - port: 8080
        as: 80
        proto: http
        global: true
      - port: 9000
        proto: tcp
      - port: 5353
        proto: udp
        global: true
  worker:
    image: busybox:musl
    args: ["sleep", "3600"]
profiles:
  compute:
    web:
      cpu: 0.5
      memory: 64Mi
      storage: 1Gi
    small:
      cpu: 250m
      memory: 128Mi
  placement:
    anywhere:
      pricing:
        token: "${TOKEN}"
        maxPerHour: 0.5
deployment:
  web:
    placement: anywhere
    profile: web
    count: 3
  worker:
    placement: anywhere
    profile: small
    count: 1
duration: 1h
`

const manifest = (text = TWO_SERVICES): Manifest => parseManifest(text, { tokens: { SPON: TOKEN } }).manifest
const specsOf = (m = manifest(), lease = LEASE, opts = OPTS): ContainerCreateOptions[] => containerSpecs(lease, m, opts)
const ofService = (specs: ContainerCreateOptions[], service: string): ContainerCreateOptions[] => specs.filter(s => s.Labels?.[LABEL.service] === service)

test('the manifest used here parses as intended (positive control)', () => {
  const m = manifest()
  assert.equal(Object.keys(m.services), ['web', 'worker'])
  assert.is(m.deployment.web.count, 3)
  assert.is(m.profiles.compute.web.cpu, 500)
  assert.is(m.profiles.compute.small.cpu, 250)
  assert.is(m.profiles.compute.web.memory, 64 * MiB)
  assert.equal(m.services.web.expose.map(e => [e.port, e.proto, e.global]), [[8080, 'http', true], [9000, 'tcp', false], [5353, 'udp', true]])
})

test('one container per replica of every service, in replica order', () => {
  const specs = specsOf()
  assert.is(specs.length, 4)
  assert.equal(ofService(specs, 'web').map(s => s.Labels?.[LABEL.replica]), ['0', '1', '2'])
  assert.equal(ofService(specs, 'worker').map(s => s.Labels?.[LABEL.replica]), ['0'])
  assert.equal(ofService(specs, 'web').map(s => s.Image), ['busybox:stable', 'busybox:stable', 'busybox:stable'])
  assert.is(ofService(specs, 'worker')[0].Image, 'busybox:musl')

  // The count follows the manifest: 1 and 7 replicas.
  for (const count of [1, 7]) {
    const m = manifest(TWO_SERVICES.replace('count: 3', `count: ${count}`))
    assert.is(ofService(specsOf(m), 'web').length, count, `count ${count}`)
  }
})

test('names: per order, service and replica, unique, and valid Docker names', () => {
  const specs = specsOf()
  const names = specs.map(s => s.name!)
  assert.is(new Set(names).size, names.length, 'unique within a lease')
  assert.is(networkName(LEASE), 'dcn-0123456789ab')
  assert.is(containerName(LEASE, 'web', 2), 'dcn-0123456789ab-web-2')
  assert.equal(names, ['dcn-0123456789ab-web-0', 'dcn-0123456789ab-web-1', 'dcn-0123456789ab-web-2', 'dcn-0123456789ab-worker-0'])
  for (const [i, s] of specs.entries()) {
    assert.is(s.name, containerName(LEASE, s.Labels![LABEL.service], Number(s.Labels![LABEL.replica])), `spec ${i}`)
    assert.ok(s.name!.startsWith(networkName(LEASE) + '-'), `${s.name} is under the lease's network name`)
    assert.match(s.name!, /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/)
  }
  // Another order (even with the same lease number elsewhere) never shares a name.
  const other = specsOf(manifest(), OTHER_ORDER).map(s => s.name!)
  assert.not.equal(networkName(OTHER_ORDER), networkName(LEASE))
  assert.is(other.filter(n => names.includes(n)).length, 0, 'no name shared between orders')
  // The names do not depend on the lease number, only on the order.
  assert.equal(specsOf(manifest(), { ...LEASE, leaseId: 1n }).map(s => s.name), names)
})

test('labels: provider and owner lower-cased, lease, order, service, replica, global ports', () => {
  const specs = specsOf()
  const base = {
    'dcn.provider': '0xabcdef0123456789abcdef0123456789abcdef01',
    'dcn.lease': '123456789012345678901234567890',
    'dcn.order': LEASE.orderId,
    'dcn.owner': '0xf00df00df00df00df00df00df00df00df00df00d'
  }
  assert.equal(leaseLabels(LEASE, OPTS), base)
  assert.equal(LABEL, {
    provider: 'dcn.provider', lease: 'dcn.lease', order: 'dcn.order', owner: 'dcn.owner',
    service: 'dcn.service', replica: 'dcn.replica', expose: 'dcn.expose', challenge: 'dcn.challenge'
  })
  for (const r of [0, 1, 2]) {
    assert.equal(ofService(specs, 'web')[r].Labels, { ...base, 'dcn.service': 'web', 'dcn.replica': String(r), 'dcn.expose': '8080/http,5353/udp' })
  }
  // No published ports: an empty list, not a missing label.
  assert.equal(ofService(specs, 'worker')[0].Labels, { ...base, 'dcn.service': 'worker', 'dcn.replica': '0', 'dcn.expose': '' })
})

test('the network: the lease\'s own bridge, named by order, with the lease labels', () => {
  assert.equal(networkSpec(LEASE, OPTS), { Name: 'dcn-0123456789ab', Driver: 'bridge', CheckDuplicate: true, Labels: leaseLabels(LEASE, OPTS) })
  assert.is(networkSpec(OTHER_ORDER, OPTS).Name, networkName(OTHER_ORDER))
})

test('limits: NanoCpus = milli-cpu × 1e6, memory without swap, the pids limit', () => {
  const specs = specsOf()
  for (const s of ofService(specs, 'web')) {
    assert.is(s.HostConfig?.NanoCpus, 500_000_000)
    assert.is(s.HostConfig?.Memory, 64 * MiB)
    assert.is(s.HostConfig?.MemorySwap, 64 * MiB)
    assert.is(s.HostConfig?.PidsLimit, 123)
  }
  const w = ofService(specs, 'worker')[0]
  assert.is(w.HostConfig?.NanoCpus, 250_000_000)
  assert.is(w.HostConfig?.Memory, 128 * MiB)
  assert.is(w.HostConfig?.MemorySwap, 128 * MiB)
  assert.is(w.HostConfig?.PidsLimit, 123)
  assert.is(specsOf(manifest(), LEASE, { ...OPTS, pidsLimit: 64 })[0].HostConfig?.PidsLimit, 64)
})

test('isolation: unprivileged, capabilities dropped but four, no-new-privileges, own network, nothing mounted', () => {
  assert.equal(KEPT_CAPABILITIES, ['CHOWN', 'SETUID', 'SETGID', 'NET_BIND_SERVICE'])
  for (const s of specsOf()) {
    const h = s.HostConfig!
    assert.is(h.Privileged, false, s.name)
    assert.equal(h.CapDrop, ['ALL'], s.name)
    assert.equal(h.CapAdd, KEPT_CAPABILITIES, s.name)
    assert.ok(h.SecurityOpt?.includes('no-new-privileges'), s.name)
    assert.is(h.NetworkMode, networkName(LEASE), s.name)
    assert.equal(Object.keys(s.NetworkingConfig?.EndpointsConfig ?? {}), [networkName(LEASE)], `${s.name} joins only the lease's network`)
    assert.equal(s.NetworkingConfig?.EndpointsConfig?.[networkName(LEASE)]?.Aliases, [s.Labels![LABEL.service]], `${s.name} answers to its service name`)
    for (const key of ['Binds', 'Mounts', 'VolumesFrom', 'Devices', 'PidMode', 'IpcMode', 'UsernsMode', 'Sysctls'] as const) {
      assert.is(h[key], undefined, `${s.name} has no ${key}`)
    }
    assert.is(s.Volumes, undefined, `${s.name} has no volumes`)
    assert.not.ok(JSON.stringify(s).includes('docker.sock'), `${s.name} does not mention the Docker socket`)
    assert.is(h.RestartPolicy?.Name, 'unless-stopped')
  }
})

test('ports: global ones bound to bindHost with a port Docker picks, the others exposed only', () => {
  const web = ofService(specsOf(), 'web')
  for (const s of web) {
    assert.equal(s.ExposedPorts, { '8080/tcp': {}, '9000/tcp': {}, '5353/udp': {} })
    assert.equal(s.HostConfig?.PortBindings, {
      '8080/tcp': [{ HostIp: '10.1.2.3', HostPort: '' }],
      '5353/udp': [{ HostIp: '10.1.2.3', HostPort: '' }]
    })
    assert.not.ok('9000/tcp' in s.HostConfig!.PortBindings, 'a non-global port is not published')
  }
  const w = ofService(specsOf(), 'worker')[0]
  assert.equal(w.ExposedPorts, {})
  assert.equal(w.HostConfig?.PortBindings, {})
  // bindHost is what the provider configured.
  const local = specsOf(manifest(), LEASE, { ...OPTS, bindHost: '127.0.0.1' })[0]
  assert.equal(local.HostConfig?.PortBindings['8080/tcp'], [{ HostIp: '127.0.0.1', HostPort: '' }])
})

test('command → Entrypoint, args → Cmd, env → Env; absent ones are left to the image', () => {
  const specs = specsOf()
  const web = ofService(specs, 'web')[1]
  assert.equal(web.Entrypoint, ['sh', '-c'])
  assert.equal(web.Cmd, ['exec httpd -f -p 8080 -h /www'])
  assert.equal(web.Env, ['GREETING=hello world', 'PAIR=a=b'])
  const w = ofService(specs, 'worker')[0]
  assert.not.ok('Entrypoint' in w, 'no command: the image\'s entrypoint')
  assert.equal(w.Cmd, ['sleep', '3600'])
  assert.equal(w.Env, [])
  const bare = manifest(TWO_SERVICES.replace('    args: ["sleep", "3600"]\n', ''))
  const b = ofService(specsOf(bare), 'worker')[0]
  assert.not.ok('Entrypoint' in b)
  assert.not.ok('Cmd' in b, 'no args: the image\'s command')
})

test('examples/web.yaml: one replica, half a core, 64 MiB, 8080 published as http', () => {
  const text = readFileSync(fileURLToPath(new URL('../../../../examples/web.yaml', import.meta.url)), 'utf8')
  const m = manifest(text)
  const lease: LeaseRef = { leaseId: 1n, orderId: `0x${'ab'.repeat(32)}` as Hex, owner: TOKEN }
  const specs = containerSpecs(lease, m, { provider: '0x1111111111111111111111111111111111111111', bindHost: '127.0.0.1', pidsLimit: 256 })
  assert.is(specs.length, 1)
  const s = specs[0]
  assert.is(s.name, 'dcn-abababababab-web-0')
  assert.is(s.Image, 'busybox:stable')
  assert.equal(s.Entrypoint, ['sh', '-c'])
  assert.ok(String(s.Cmd?.[0]).includes('httpd'))
  assert.is(s.Labels?.[LABEL.expose], '8080/http')
  assert.equal(s.ExposedPorts, { '8080/tcp': {} })
  assert.equal(s.HostConfig?.PortBindings, { '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] })
  assert.is(s.HostConfig?.NanoCpus, 500_000_000)
  assert.is(s.HostConfig?.Memory, 64 * MiB)
  assert.is(s.HostConfig?.MemorySwap, 64 * MiB)
  assert.is(s.HostConfig?.PidsLimit, 256)
  assert.is(s.HostConfig?.NetworkMode, 'dcn-abababababab')
})

test.run()
