import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { keccak256, toBytes } from 'viem'
import { ManifestError, manifestHash, parseAmount, parseManifest, type Address } from '../src/index.js'

const SPON = '0x5FbDB2315678afecb367f032d93F642f64180aa3' as Address
const tokens = { SPON }

const VALID = `version: "1.0"
services:
  web:
    image: nginx:1.25
    command: ["nginx"]
    args: ["-g", "daemon off;"]
    env:
      FOO: bar
      N: 1
    expose:
      - port: 80
        as: 8080
        proto: http
        global: true
    pull_policy: always
profiles:
  compute:
    small:
      cpu: 0.5
      memory: 512Mi
      storage: 1Gi
  placement:
    eu:
      region: eu-west
      tier: 3
      mode: provider
      pricing:
        token: SPON
        maxPerHour: 1.5
deployment:
  web:
    placement: eu
    profile: small
    count: 2
duration: 1h
`

/** 1-based line of the first occurrence of `needle` in `text`. */
function lineOf (text: string, needle: string): number {
  const at = text.indexOf(needle)
  if (at < 0) throw new Error(`test bug: "${needle}" not in manifest`)
  return text.slice(0, at).split('\n').length
}

function edit (from: string, to: string, text = VALID): string {
  if (!text.includes(from)) throw new Error(`test bug: "${from}" not in manifest`)
  return text.replace(from, to)
}

/** Parses, expects a ManifestError naming `field` at `line`, with `problem` in the message. */
function fails (text: string, field: string, line: number | null, problem: string | RegExp): ManifestError {
  try {
    parseManifest(text, { tokens })
  } catch (err) {
    assert.instance(err, ManifestError, `expected a ManifestError, got ${String(err)}`)
    const e = err as ManifestError
    assert.is(e.field, field, e.message)
    assert.is(e.line, line, `line of: ${e.message}`)
    assert.ok(e.message.startsWith(line === null ? `${field}: ` : `${field} (line ${line}): `), e.message)
    if (typeof problem === 'string') assert.ok(e.message.includes(problem), `"${e.message}" should contain "${problem}"`)
    else assert.match(e.message, problem)
    return e
  }
  assert.unreachable(`expected ${field} to fail`)
  throw new Error('unreachable')
}

test('a valid manifest yields the right OrderSpec', () => {
  const { manifest, order } = parseManifest(VALID, { tokens })
  assert.equal(order, {
    resources: { cpu: 2 * 500, memory: 2 * 512 * 2 ** 20, storage: 2 * 2 ** 30, gpuUnits: 0, gpuModel: '' },
    region: 'eu-west',
    minTrustTier: 3,
    mode: 'provider',
    token: SPON.toLowerCase(),
    maxPricePerSecond: parseAmount('3') / 3600n,
    duration: 3600,
    manifestHash: keccak256(toBytes(VALID))
  })
  assert.is(order.maxPricePerSecond, 833_333_333_333_333n)
  assert.is(manifestHash(VALID), order.manifestHash)
  assert.equal(manifest.services.web, {
    image: 'nginx:1.25',
    command: ['nginx'],
    args: ['-g', 'daemon off;'],
    env: { FOO: 'bar', N: '1' },
    expose: [{ port: 80, as: 8080, proto: 'http', global: true }],
    pullPolicy: 'always'
  })
  assert.equal(manifest.profiles.compute.small, { cpu: 500, memory: 512 * 2 ** 20, storage: 2 ** 30, gpu: { units: 0, model: '' } })
  assert.equal(manifest.profiles.placement.eu, { region: 'eu-west', tier: 3, mode: 'provider', pricing: { token: SPON.toLowerCase(), maxPerHour: parseAmount('1.5') } })
  assert.equal(manifest.deployment, { web: { placement: 'eu', profile: 'small', count: 2 } })
  assert.is(manifest.duration, 3600)
  assert.is(manifest.version, '1.0')
})

test('the manifest hash commits to the exact bytes', () => {
  const a = parseManifest(VALID, { tokens }).order.manifestHash
  const b = parseManifest(VALID + '# comment\n', { tokens }).order.manifestHash
  assert.is.not(a, b)
  assert.is(a, keccak256(toBytes(VALID)))
})

test('env as a list, defaults, a 0x token, and several services summed', () => {
  const text = `version: "1.0"
services:
  api:
    image: ghcr.io/acme/api@sha256:abc
    command: /bin/serve
    env:
      - FOO=bar
      - EMPTY=
      - EQ=a=b
    expose:
      - port: 8080
  worker:
    image: busybox
profiles:
  compute:
    big:
      cpu: 2
      memory: 1Gi
      gpu:
        units: 1
        model: a100
    tiny:
      cpu: 250m
      memory: 64Mi
  placement:
    anywhere:
      pricing:
        token: "${SPON}"
        maxPerHour: 0.36
deployment:
  api:
    placement: anywhere
    profile: big
    count: 3
  worker:
    placement: anywhere
    profile: tiny
duration: 1h30m
`
  const { manifest, order } = parseManifest(text)
  assert.equal(manifest.services.api, {
    image: 'ghcr.io/acme/api@sha256:abc',
    command: ['/bin/serve'],
    args: [],
    env: { FOO: 'bar', EMPTY: '', EQ: 'a=b' },
    expose: [{ port: 8080, as: 8080, proto: 'tcp', global: false }],
    pullPolicy: 'if-not-present'
  })
  assert.equal(manifest.services.worker.env, {})
  assert.equal(manifest.services.worker.expose, [])
  assert.equal(order.resources, { cpu: 3 * 2000 + 250, memory: 3 * 2 ** 30 + 64 * 2 ** 20, storage: 0, gpuUnits: 3, gpuModel: 'a100' })
  assert.is(order.region, '')
  assert.is(order.minTrustTier, 7)
  assert.is(order.mode, 'any')
  assert.is(order.token, SPON.toLowerCase())
  // maxPerHour is per replica: 0.36 × (3 + 1) per hour
  assert.is(order.maxPricePerSecond, parseAmount('1.44') / 3600n)
  assert.is(order.maxPricePerSecond, 400_000_000_000_000n)
  assert.is(order.duration, 5400)
})

test('errors: unknown field', () => {
  const t1 = edit('    pull_policy: always\n', '    pull_policy: always\n    volumes: 1\n')
  fails(t1, 'services.web.volumes', lineOf(t1, 'volumes'), 'unknown field (expected image, command, args, env, expose, pull_policy)')
  // a field whose value is a mapping is reported at its key, not at the mapping's first line
  const t2 = edit('    pull_policy: always\n', '    pull_policy: always\n    volumes:\n      data: /data\n')
  fails(t2, 'services.web.volumes', lineOf(t2, 'volumes'), 'unknown field')
  const t3 = VALID + 'extra: true\n'
  fails(t3, 'extra', lineOf(t3, 'extra'), 'unknown field')
  const t4 = edit('      storage: 1Gi\n', '      storage: 1Gi\n      disk: 1\n')
  fails(t4, 'profiles.compute.small.disk', lineOf(t4, 'disk'), 'unknown field (expected cpu, memory, storage, gpu)')
  const t5 = edit('        as: 8080\n', '        as: 8080\n        host: x\n')
  fails(t5, 'services.web.expose.0.host', lineOf(t5, 'host'), 'unknown field')
})

test('errors: missing image', () => {
  const t = edit('    image: nginx:1.25\n', '')
  fails(t, 'services.web.image', lineOf(t, '  web:'), 'is required')
  const t2 = edit('    image: nginx:1.25\n', '    image: ""\n')
  fails(t2, 'services.web.image', lineOf(t2, 'image'), 'is required')
  const t3 = edit('    image: nginx:1.25\n', '    image: "not an image!"\n')
  fails(t3, 'services.web.image', lineOf(t3, 'image'), 'is not an image reference')
})

test('errors: bad cpu and bad memory', () => {
  const t = edit('cpu: 0.5', 'cpu: abc')
  const e = fails(t, 'profiles.compute.small.cpu', lineOf(t, 'cpu: abc'), 'expected CPU units like 1, 0.5 or 500m, got "abc"')
  assert.is(e.line, 19)
  const t2 = edit('cpu: 0.5', 'cpu: 0.0001')
  fails(t2, 'profiles.compute.small.cpu', 19, 'whole number of milli-units')
  const t3 = edit('memory: 512Mi', 'memory: 512MB!')
  fails(t3, 'profiles.compute.small.memory', 20, 'expected a size like 512Mi')
  const t4 = edit('memory: 512Mi', 'memory: lots')
  fails(t4, 'profiles.compute.small.memory', 20, 'got "lots"')
  const t5 = edit('      memory: 512Mi\n', '')
  fails(t5, 'profiles.compute.small.memory', lineOf(t5, '    small:'), 'is required')
})

test('errors: deployment naming a missing profile or placement', () => {
  const t = edit('profile: small', 'profile: large')
  fails(t, 'deployment.web.profile', lineOf(t, 'profile: large'), 'no compute profile named "large"')
  const t2 = edit('placement: eu\n', 'placement: us\n')
  fails(t2, 'deployment.web.placement', lineOf(t2, 'placement: us'), 'no placement profile named "us"')
  const t3 = edit('    count: 2\n', '    count: 0\n')
  fails(t3, 'deployment.web.count', lineOf(t3, 'count: 0'), 'expected a whole number from 1 to 100, got 0')
})

test('errors: unknown token symbol', () => {
  const t = edit('token: SPON', 'token: DOGE')
  fails(t, 'profiles.placement.eu.pricing.token', 28, 'unknown token "DOGE" (known: SPON)')
  const e = (() => { try { parseManifest(VALID) } catch (err) { return err as ManifestError } return null })()
  assert.instance(e, ManifestError, 'SPON is unknown without a token list')
  assert.is(e?.line, 28)
  assert.ok(e?.message.includes('unknown token "SPON"'))
  const t2 = edit('maxPerHour: 1.5', 'maxPerHour: -1')
  fails(t2, 'profiles.placement.eu.pricing.maxPerHour', 29, 'expected a decimal amount')
})

test('errors: YAML syntax error names the line', () => {
  const t = edit('    command: ["nginx"]\n', '    command: nginx: -g\n')
  fails(t, 'manifest', lineOf(t, 'command:'), 'Nested mappings are not allowed in compact mappings')
  const t2 = edit('      storage: 1Gi\n', '\tstorage: 1Gi\n')
  fails(t2, 'manifest', lineOf(t2, '\tstorage'), 'Tabs are not allowed as indentation')
  const t3 = edit('      cpu: 0.5\n', '      cpu: 0.5\n      cpu: 1\n')
  fails(t3, 'manifest', lineOf(t3, 'cpu: 1'), 'Map keys must be unique')
})

test('amounts keep every digit the user wrote', () => {
  const exact = edit('maxPerHour: 1.5', 'maxPerHour: 3600.000000000000003600')
  assert.is(parseManifest(exact, { tokens }).manifest.profiles.placement.eu.pricing.maxPerHour, 3600_000000000000003600n)
  assert.is(parseManifest(exact, { tokens }).order.maxPricePerSecond, 2n * (10n ** 18n + 1n))
  const big = edit('maxPerHour: 1.5', 'maxPerHour: 1000000000000000000000')
  assert.is(parseManifest(big, { tokens }).manifest.profiles.placement.eu.pricing.maxPerHour, 10n ** 39n)
  const quoted = edit('maxPerHour: 1.5', 'maxPerHour: "0.75"')
  assert.is(parseManifest(quoted, { tokens }).manifest.profiles.placement.eu.pricing.maxPerHour, 75n * 10n ** 16n)
})

test('errors: a service without a deployment entry, and a deployment without a service', () => {
  const t = edit('services:\n', 'services:\n  db:\n    image: postgres:16\n')
  fails(t, 'services.db', lineOf(t, '  db:'), 'service "db" has no deployment entry')
  const t2 = edit('deployment:\n', 'deployment:\n  cache:\n    placement: eu\n    profile: small\n')
  fails(t2, 'deployment.cache', lineOf(t2, '  cache:'), 'no service named "cache" in services')
})

test('errors: other fields are named with their lines', () => {
  fails(edit('version: "1.0"', 'version: "2"'), 'version', 1, 'unsupported version "2"')
  const env = edit('      FOO: bar\n      N: 1\n', '      - FOO=bar\n      - nope\n')
  fails(env, 'services.web.env.1', lineOf(env, '- nope'), 'expected NAME=value, got "nope"')
  const proto = edit('proto: http', 'proto: sctp')
  fails(proto, 'services.web.expose.0.proto', lineOf(proto, 'proto: sctp'), 'expected tcp, udp or http')
  const port = edit('port: 80', 'port: 70000')
  fails(port, 'services.web.expose.0.port', lineOf(port, 'port: 70000'), 'from 1 to 65535')
  const pull = edit('pull_policy: always', 'pull_policy: sometimes')
  fails(pull, 'services.web.pull_policy', lineOf(pull, 'pull_policy'), 'expected always, if-not-present or never')
  const mode = edit('mode: provider', 'mode: cloud')
  fails(mode, 'profiles.placement.eu.mode', lineOf(mode, 'mode: cloud'), 'expected provider, fizz or any')
  const tier = edit('tier: 3', 'tier: 9')
  fails(tier, 'profiles.placement.eu.tier', lineOf(tier, 'tier: 9'), 'from 1 to 7')
  const dur = edit('duration: 1h', 'duration: forever')
  fails(dur, 'duration', lineOf(dur, 'duration'), 'expected a duration')
  fails(edit('duration: 1h', 'duration: 0'), 'duration', 35, 'must be more than zero')
  fails(edit('duration: 1h\n', ''), 'duration', 1, 'is required')
  const name = edit('  web:\n    image', '  Web_1:\n    image')
  fails(name, 'services.Web_1', lineOf(name, 'Web_1'), 'service names are lowercase')
  fails(edit('  web:\n    image', '  web: 5\n  x:\n    image'), 'services.web', 3, 'expected a mapping')
  const tiny = edit('maxPerHour: 1.5', 'maxPerHour: 0.000000000000000001')
  fails(tiny, 'profiles.placement', lineOf(tiny, '  placement:'), 'too small')
})

test('errors: services whose placements disagree', () => {
  const text = edit('deployment:\n', `deployment:
  api:
    placement: us
    profile: gpu
`, edit('  placement:\n', `    gpu:
      cpu: 1
      memory: 1Gi
      gpu:
        units: 1
        model: h100
  placement:
    us:
      region: us-east
      pricing:
        token: SPON
        maxPerHour: 1
`, edit('services:\n', 'services:\n  api:\n    image: api\n')))
  // api comes first in deployment, so web is the one that disagrees
  fails(text, 'deployment.web.placement', lineOf(text, 'placement: eu'), 'must share region, tier, mode and token')
})

test.run()
