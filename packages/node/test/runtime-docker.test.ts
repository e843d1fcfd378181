/**
 * `DockerRuntime` against the real engine: a replica over its memory limit is OOM-killed,
 * restarted and reported; a container sees neither the Docker socket nor its dropped
 * capabilities; leases cannot reach each other's networks; global ports become endpoints that
 * answer, and logs show the requests; exec passes stdin and exit codes; teardown removes
 * everything and is idempotent; failed deploys say why and leave nothing; and a second runtime
 * (a restarted provider) finds the leases by their labels.
 *
 * Every object carries a random provider address, order ids and lease ids, so runs never collide
 * with each other or with other users of the engine; `test.after` removes whatever is left.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import type Docker from 'dockerode'
import { parseManifest, type Endpoint, type Hex, type LeaseEvent, type Manifest } from '@dcn/protocol'
import { DockerRuntime, removeProviderObjects } from '../src/runtime/docker-runtime.js'
import type { ExecSession, OutputSink } from '../src/runtime/runtime.js'
import { KEPT_CAPABILITIES, LABEL, containerName, networkName, type LeaseRef } from '../src/runtime/spec.js'
import { silent } from '../src/log.js'
import { leaseObjects, testDocker } from './helpers/docker.js'
import { waitFor } from './helpers/cluster.js'

const TOKEN = '0x5fbdb2315678afecb367f032d93f642f64180aa3'
const MiB = 2 ** 20
const hex = (bytes: number): string => randomBytes(bytes).toString('hex')
/** Upper-case hex digits: the runtime must label (and find) by the lower-cased address. */
const PROVIDER = `0x${hex(20).toUpperCase()}`

let docker: Docker
let rt: DockerRuntime
const others: DockerRuntime[] = []
const leases: LeaseRef[] = []
const seen: Array<{ leaseId: bigint, e: LeaseEvent }> = []

function runtime (provider = PROVIDER): DockerRuntime {
  return new DockerRuntime({ docker, provider, bindHost: '127.0.0.1', endpointHost: '127.0.0.1', pidsLimit: 256, log: silent })
}

function newLease (): LeaseRef {
  const lease: LeaseRef = {
    leaseId: 10n ** 20n + BigInt(`0x${hex(12)}`),
    orderId: `0x${hex(32)}` as Hex,
    owner: `0x${hex(20).toUpperCase()}`
  }
  leases.push(lease)
  return lease
}

interface Svc {
  image?: string
  pull?: 'always' | 'if-not-present' | 'never'
  command?: string[]
  args?: string[]
  expose?: Array<{ port: number, proto?: 'tcp' | 'udp' | 'http', global?: boolean }>
  memory?: string
  count?: number
}

/** A manifest of these services (JSON is YAML), parsed as a provider parses it. */
function manifestOf (services: Record<string, Svc>): Manifest {
  const names = Object.keys(services)
  const doc = {
    version: '1.0',
    services: Object.fromEntries(names.map(n => {
      const s = services[n]
      return [n, {
        image: s.image ?? 'busybox:stable',
        pull_policy: s.pull ?? 'never',
        ...(s.command === undefined ? {} : { command: s.command }),
        ...(s.args === undefined ? {} : { args: s.args }),
        ...(s.expose === undefined ? {} : { expose: s.expose })
      }]
    })),
    profiles: {
      compute: Object.fromEntries(names.map(n => [n, { cpu: 0.5, memory: services[n].memory ?? '64Mi' }])),
      placement: { anywhere: { pricing: { token: TOKEN, maxPerHour: 0.5 } } }
    },
    deployment: Object.fromEntries(names.map(n => [n, { placement: 'anywhere', profile: n, count: services[n].count ?? 1 }])),
    duration: '1h'
  }
  return parseManifest(JSON.stringify(doc)).manifest
}

const SLEEPER: Svc = { command: ['sleep', '3600'] }
const httpd = (page: string, flags = '-f'): Svc => ({
  command: ['sh', '-c'],
  args: [`mkdir -p /www && echo ${page} > /www/index.html && echo ${page} > /www/${page}.html && exec httpd ${flags} -p 8080 -h /www`]
})

/**
 * An HTTP GET from inside a container. busybox's nc rather than its wget: the static busybox
 * `busybox:stable` is built from (Debian's 1.35) segfaults in wget, even for a numeric address.
 */
const httpGet = (host: string, path = '/'): string[] =>
  ['sh', '-c', `printf 'GET ${path} HTTP/1.0\\r\\nHost: ${host}\\r\\n\\r\\n' | nc -w 2 ${host} 8080`]

async function within<T> (p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_resolve, reject) => { timer = setTimeout(() => { reject(new Error(`${what}: no answer in ${ms} ms`)) }, ms) })
  try {
    return await Promise.race([p, timeout])
  } finally {
    clearTimeout(timer)
  }
}

interface Output { stdout: string, stderr: string }

function collector (): { out: Output, sink: OutputSink } {
  const out: Output = { stdout: '', stderr: '' }
  return { out, sink: async (s, d) => { out[s] += Buffer.from(d).toString() } }
}

/** Runs `cmd` in a replica to completion: exit code and output. */
async function run (lease: LeaseRef, service: string, cmd: string[], replica = 0): Promise<Output & { code: number }> {
  const { out, sink } = collector()
  const session = await rt.exec(lease.leaseId, { service, replica, cmd, tty: false, cols: 80, rows: 24 }, sink)
  session.end()
  const code = await within(session.exit, 15_000, `exec ${cmd.join(' ')}`)
  return { code, ...out }
}

async function logsOf (r: DockerRuntime, lease: LeaseRef, service = ''): Promise<Output> {
  const { out, sink } = collector()
  await within(r.logs(lease.leaseId, { service, tail: -1, follow: false }, sink, new AbortController().signal), 10_000, 'logs')
  return out
}

async function inspect (lease: LeaseRef, service: string, replica = 0): Promise<Docker.ContainerInspectInfo> {
  return await docker.getContainer(containerName(lease, service, replica)).inspect()
}

async function ipOf (lease: LeaseRef, service: string): Promise<string> {
  const ip = (await inspect(lease, service)).NetworkSettings.Networks[networkName(lease)]?.IPAddress ?? ''
  assert.match(ip, /^\d+\.\d+\.\d+\.\d+$/, `${service} has an address on ${networkName(lease)}`)
  return ip
}

async function gone (lease: LeaseRef): Promise<void> {
  await rt.teardown(lease.leaseId)
  assert.equal(await leaseObjects(docker, lease.leaseId), { containers: [], networks: [] }, 'nothing left of the lease')
}

test.before(async () => {
  docker = await testDocker()
  rt = runtime()
  rt.onEvent((leaseId, e) => { seen.push({ leaseId, e }) })
  await rt.start()
})

test.after(async () => {
  for (const l of leases) await rt?.teardown(l.leaseId).catch(() => {})
  if (docker !== undefined) await removeProviderObjects(docker, PROVIDER).catch(() => {})
  rt?.stop()
  for (const r of others) r.stop()
})

// --------------------------------------------------------------------- limits

test('a replica over its 64 MiB limit is OOM-killed, restarted by Docker and reported', async () => {
  const lease = newLease()
  const id = lease.leaseId
  await rt.deploy(lease, manifestOf({
    hog: { command: ['sh', '-c'], args: ['sleep 2; exec dd if=/dev/zero of=/dev/null bs=100M count=1'], memory: '64Mi' }
  }))
  // Positive control: it runs after deploy, with the limit applied and nothing died yet.
  const before = await rt.status(id)
  assert.equal(before.map(s => [s.service, s.replicas, s.ready, s.restarts, s.lastExit]), [['hog', 1, 1, 0, '']])
  const c = await inspect(lease, 'hog')
  assert.is(c.HostConfig.Memory, 64 * MiB)
  assert.is(c.HostConfig.MemorySwap, 64 * MiB)
  assert.not.ok(rt.events(id).some(e => e.kind === 'oom' || e.kind === 'die'), 'no death before the allocation')

  await waitFor(async () => {
    const kinds = rt.events(id).map(e => e.kind)
    return (await rt.status(id))[0].restarts >= 1 && kinds.includes('oom') && kinds.includes('die') && kinds.includes('restart')
  }, 20_000, 'an OOM kill, its exit and the restart')

  const events = rt.events(id)
  const oom = events.find(e => e.kind === 'oom')
  assert.equal(oom && [oom.service, oom.replica, oom.detail], ['hog', 0, 'killed: out of memory'])
  assert.ok(events.some(e => e.kind === 'die' && e.service === 'hog' && e.detail === 'exit 137'), 'died with SIGKILL (exit 137)')
  const iOom = events.findIndex(e => e.kind === 'oom')
  assert.ok(events.findIndex((e, i) => i > iOom && e.kind === 'restart' && e.service === 'hog') > iOom, 'restarted after the kill')
  assert.ok(seen.some(s => s.leaseId === id && s.e.kind === 'oom' && s.e.service === 'hog'), 'onEvent listener saw the oom')
  assert.ok(seen.some(s => s.leaseId === id && s.e.kind === 'restart'), 'onEvent listener saw the restart')
  assert.ok((await inspect(lease, 'hog')).RestartCount >= 1, 'the engine counts the restart')

  const after = (await rt.status(id))[0]
  assert.ok(after.restarts >= 1, `restarts ${after.restarts}`)
  assert.is(after.lastExit, 'oom', 'the last exit is reported as an OOM kill')
  await gone(lease)
})

// ------------------------------------------------------------------ isolation

test('a container sees no Docker socket, keeps only four capabilities and cannot gain more', async () => {
  const lease = newLease()
  await rt.deploy(lease, manifestOf({ box: SLEEPER }))
  // Positive control: exec and ls work, and the host does have a socket to hide.
  const control = await run(lease, 'box', ['ls', '/bin/sh'])
  assert.is(control.code, 0, control.stderr)
  if (process.env.DOCKER_HOST === undefined) assert.ok(existsSync('/var/run/docker.sock'), 'the host has a Docker socket')

  const ls = await run(lease, 'box', ['sh', '-c', 'ls /var/run/docker.sock /run/docker.sock'])
  assert.is.not(ls.code, 0, `ls found a socket: ${ls.stdout}`)
  assert.not.ok(ls.stdout.includes('docker.sock'), ls.stdout)
  assert.match(ls.stderr, /No such file/)

  const st = await run(lease, 'box', ['cat', '/proc/self/status'])
  assert.is(st.code, 0)
  const field = (name: string): string => new RegExp(`^${name}:\\s*(\\S+)$`, 'm').exec(st.stdout)?.[1] ?? ''
  const capEff = field('CapEff')
  assert.match(capEff, /^[0-9a-f]{16}$/, `CapEff in ${st.stdout}`)
  assert.not.match(capEff, /^0*f+$/, 'not every capability')
  // CHOWN=0, SETGID=6, SETUID=7, NET_BIND_SERVICE=10: exactly the kept ones.
  const bits: Record<string, number> = { CHOWN: 0, SETGID: 6, SETUID: 7, NET_BIND_SERVICE: 10 }
  const expected = KEPT_CAPABILITIES.reduce((m, cap) => m | (1n << BigInt(bits[cap])), 0n)
  assert.is(BigInt(`0x${capEff}`), expected, `CapEff ${capEff}`)
  assert.is(BigInt(`0x${field('CapBnd')}`), expected, 'the bounding set is as small')
  assert.is(field('NoNewPrivs'), '1')

  const h = (await inspect(lease, 'box')).HostConfig
  assert.is(h.Privileged, false)
  assert.equal(h.CapDrop, ['ALL'])
  assert.equal(h.CapAdd, KEPT_CAPABILITIES)
  assert.ok(h.SecurityOpt?.includes('no-new-privileges'))
  assert.is(h.PidsLimit, 256)
  assert.is(h.NanoCpus, 500_000_000)
  assert.equal((await inspect(lease, 'box')).Mounts, [], 'nothing mounted from the host')
  await gone(lease)
})

test('leases are isolated: a lease reaches its own services by name, not another lease\'s address', async () => {
  const a = newLease()
  const b = newLease()
  await rt.deploy(a, manifestOf({ web: httpd('page-a'), client: SLEEPER }))
  await rt.deploy(b, manifestOf({ web: httpd('page-b') }))
  assert.is.not(networkName(a), networkName(b))
  const aNets = Object.keys((await inspect(a, 'client')).NetworkSettings.Networks)
  assert.equal(aNets, [networkName(a)], 'A\'s client is on A\'s network only')
  assert.equal(Object.keys((await inspect(b, 'web')).NetworkSettings.Networks), [networkName(b)])

  // Positive controls: A's own web by service name; B's web answers at its address (from the host).
  let own = ''
  await waitFor(async () => {
    const r = await run(a, 'client', httpGet('web'))
    own = r.stdout
    return r.code === 0 && own.startsWith('HTTP/1.1 200')
  }, 10_000, 'A\'s client reaching A\'s web')
  assert.is(own.split('\r\n\r\n')[1]?.trim(), 'page-a', own)
  const bIp = await ipOf(b, 'web')
  let direct = ''
  await waitFor(async () => {
    const res = await fetch(`http://${bIp}:8080/`, { signal: AbortSignal.timeout(2000) })
    direct = await res.text()
    return res.status === 200
  }, 10_000, 'B\'s web at its address')
  assert.is(direct.trim(), 'page-b')

  // And by address, the way the other lease is tried.
  const aIp = await ipOf(a, 'web')
  const byIp = await run(a, 'client', httpGet(aIp))
  assert.is(byIp.code, 0, byIp.stderr)
  assert.ok(byIp.stdout.includes('page-a'), byIp.stdout)

  const cross = await run(a, 'client', httpGet(bIp))
  assert.is.not(cross.code, 0, `A reached B at ${bIp}: ${cross.stdout}`)
  assert.not.ok(cross.stdout.includes('page-b'), cross.stdout)
  assert.match(cross.stderr, /nc: (timed out|can't connect)/)
  // The service name resolves on A's network to A's web only.
  const lookup = await run(a, 'client', ['nslookup', 'web'])
  assert.ok(lookup.stdout.includes(aIp), lookup.stdout)
  assert.not.ok(lookup.stdout.includes(bIp), lookup.stdout)
  await gone(a)
  await gone(b)
})

// ------------------------------------------------------------ endpoints, logs

test('global http port: an endpoint on 127.0.0.1 that answers; logs show the requests per replica', async () => {
  const lease = newLease()
  const id = lease.leaseId
  const web: Svc = { ...httpd('page-e', '-f -vv'), count: 2, expose: [{ port: 8080, proto: 'http', global: true }, { port: 9000, proto: 'tcp' }] }
  const endpoints = await rt.deploy(lease, manifestOf({ web, side: { ...SLEEPER, expose: [{ port: 7000, proto: 'tcp' }] } }))

  assert.is(endpoints.length, 2, JSON.stringify(endpoints))
  const byReplica = [...endpoints].sort((x, y) => x.replica - y.replica)
  for (const [r, e] of byReplica.entries()) {
    assert.equal({ ...e, hostPort: 0, url: '' }, { service: 'web', replica: r, port: 8080, proto: 'http', host: '127.0.0.1', hostPort: 0, url: '' } satisfies Endpoint)
    assert.ok(e.hostPort > 0 && e.hostPort < 65536, `host port ${e.hostPort}`)
    assert.is(e.url, `http://127.0.0.1:${e.hostPort}`)
    const bound = (await inspect(lease, 'web', r)).NetworkSettings.Ports['8080/tcp']
    assert.equal(bound?.map(p => [p.HostIp, Number(p.HostPort)]), [['127.0.0.1', e.hostPort]], 'bound on 127.0.0.1 only')
    assert.is((await inspect(lease, 'web', r)).NetworkSettings.Ports['9000/tcp'], null, 'a non-global port is not published')
  }
  assert.is.not(byReplica[0].hostPort, byReplica[1].hostPort)
  assert.not.ok(endpoints.some(e => e.port === 9000 || e.service === 'side'), 'no endpoint for non-global ports')
  const status = await rt.status(id)
  assert.equal(status.map(s => [s.service, s.replicas, s.ready, s.endpoints.length]), [['side', 1, 1, 0], ['web', 2, 2, 2]])

  for (const e of byReplica) {
    let body = ''
    await waitFor(async () => {
      const res = await fetch(`${e.url}/page-e.html`, { signal: AbortSignal.timeout(2000) })
      body = await res.text()
      return res.status === 200
    }, 10_000, `GET ${e.url}`)
    assert.is(body.trim(), 'page-e')
  }

  // Two replicas: each line carries its replica's name.
  let logs: Output = { stdout: '', stderr: '' }
  await waitFor(async () => {
    logs = await logsOf(rt, lease, 'web')
    return logs.stderr.includes('web-0 | ') && logs.stderr.includes('web-1 | ')
  }, 5_000, 'both replicas\' logs')
  for (const r of [0, 1]) {
    assert.match(logs.stderr, new RegExp(`^web-${r} \\| \\S+: url:/page-e\\.html$`, 'm'), `replica ${r}'s request line in:\n${logs.stderr}`)
    assert.match(logs.stderr, new RegExp(`^web-${r} \\| \\S+: response:200$`, 'm'))
  }
  for (const line of (logs.stdout + logs.stderr).split('\n').filter(l => l !== '')) assert.match(line, /^web-[01] \| /)
  // All services: the same lines (the sleeper prints nothing).
  const all = await logsOf(rt, lease)
  assert.ok(all.stderr.includes('web-1 | ') && all.stderr.includes('url:/page-e.html'), all.stderr)
  // One container: no prefix.
  const one = await logsOf(rt, lease, 'side')
  assert.equal(one, { stdout: '', stderr: '' })
  try {
    await logsOf(rt, lease, 'nope')
    assert.unreachable('logs of an unknown service')
  } catch (err) {
    assert.match((err as Error).message, 'no service "nope"')
  }

  // Following: a new request shows up while following, and abort ends it.
  const ctl = new AbortController()
  const { out, sink } = collector()
  const following = rt.logs(id, { service: 'web', tail: 0, follow: true }, sink, ctl.signal)
  await new Promise(resolve => setTimeout(resolve, 300))
  assert.not.ok(out.stderr.includes('page-e.html'), 'tail 0: no old lines')
  await fetch(`${byReplica[1].url}/follow-me`).then(async r => await r.text())
  await waitFor(async () => out.stderr.includes('url:/follow-me'), 5_000, 'the followed request line')
  assert.match(out.stderr, /^web-1 \| \S+: url:\/follow-me$/m)
  ctl.abort()
  await within(following, 5_000, 'logs follow ending on abort')
  await gone(lease)
})

// ------------------------------------------------------------------------ exec

test('exec: stdin reaches the command, end() closes it, exit codes come back', async () => {
  const lease = newLease()
  await rt.deploy(lease, manifestOf({ box: SLEEPER }))
  const { out, sink } = collector()
  const cat: ExecSession = await rt.exec(lease.leaseId, { service: 'box', replica: 0, cmd: ['cat'], tty: false, cols: 80, rows: 24 }, sink)
  cat.write(Buffer.from('hello dcn\n'))
  await waitFor(async () => out.stdout === 'hello dcn\n', 5_000, 'the first line echoed')
  let exited = false
  void cat.exit.then(() => { exited = true })
  await new Promise(resolve => setTimeout(resolve, 200))
  assert.not.ok(exited, 'cat waits for more input while stdin is open')
  cat.write(Buffer.from('second line\n'))
  cat.end()
  assert.is(await within(cat.exit, 10_000, 'cat after end()'), 0)
  assert.equal(out, { stdout: 'hello dcn\nsecond line\n', stderr: '' })

  const three = await run(lease, 'box', ['sh', '-c', 'exit 3'])
  assert.is(three.code, 3)
  const streams = await run(lease, '', ['sh', '-c', 'echo to-out; echo to-err >&2; exit 0'])
  assert.equal(streams, { code: 0, stdout: 'to-out\n', stderr: 'to-err\n' })
  try {
    await rt.exec(lease.leaseId, { service: 'box', replica: 5, cmd: ['true'], tty: false, cols: 80, rows: 24 }, sink)
    assert.unreachable('exec in a replica that does not exist')
  } catch (err) {
    assert.match((err as Error).message, 'no replica 5 of service "box"')
  }
  await gone(lease)
})

// ------------------------------------------------------------ found, teardown

test('found() lists a lease while it exists; teardown removes it all, twice without error', async () => {
  const lease = newLease()
  const id = lease.leaseId
  await rt.deploy(lease, manifestOf({ web: { ...SLEEPER, count: 2 }, worker: SLEEPER }))
  const mine = (await rt.found()).filter(l => l.leaseId === id)
  assert.equal(mine, [{ leaseId: id, orderId: lease.orderId, owner: lease.owner.toLowerCase(), containers: 3 }])
  const objects = await leaseObjects(docker, id)
  assert.equal(objects.containers.sort(), ['web-0', 'web-1', 'worker-0'].map(n => `/${networkName(lease)}-${n}`))
  assert.equal(objects.networks, [networkName(lease)])
  for (const name of objects.containers) {
    const labels = (await docker.getContainer(name.slice(1)).inspect()).Config.Labels
    assert.is(labels[LABEL.provider], PROVIDER.toLowerCase())
    assert.is(labels[LABEL.order], lease.orderId)
  }

  await rt.teardown(id)
  assert.equal(await leaseObjects(docker, id), { containers: [], networks: [] })
  await rt.teardown(id)
  assert.equal(await leaseObjects(docker, id), { containers: [], networks: [] })
  assert.is((await rt.found()).filter(l => l.leaseId === id).length, 0, 'no longer found')
  assert.equal(await rt.status(id), [])
  assert.ok(rt.events(id).some(e => e.kind === 'teardown'))
})

// -------------------------------------------------------------- failed deploys

test('an image that is not here with pull_policy never: a clear error, nothing left behind', async () => {
  const lease = newLease()
  const image = `dcn-test-missing-${hex(4)}:none`
  try {
    await rt.deploy(lease, manifestOf({ ok: SLEEPER, missing: { ...SLEEPER, image, pull: 'never' } }))
    assert.unreachable('the deploy should fail')
  } catch (err) {
    const msg = (err as Error).message
    assert.ok(msg.includes(image), msg)
    assert.match(msg, /pull_policy is never/)
  }
  assert.equal(await leaseObjects(docker, lease.leaseId), { containers: [], networks: [] })
  assert.is((await rt.found()).filter(l => l.leaseId === lease.leaseId).length, 0)
  const error = rt.events(lease.leaseId).find(e => e.kind === 'error')
  assert.ok(error?.detail.includes(image), JSON.stringify(rt.events(lease.leaseId)))
})

test('a replica that exits at start fails the deploy with its output, nothing left behind', async () => {
  const lease = newLease()
  try {
    await within(rt.deploy(lease, manifestOf({ ok: SLEEPER, crash: { command: ['sh', '-c', 'echo boom-at-start >&2; exit 7'] } })), 30_000, 'deploy')
    assert.unreachable('the deploy should fail')
  } catch (err) {
    const msg = (err as Error).message
    assert.match(msg, /^crash-0 exited with code 7/, msg)
    assert.ok(msg.includes('boom-at-start'), msg)
  }
  assert.equal(await leaseObjects(docker, lease.leaseId), { containers: [], networks: [] })
})

// ------------------------------------------------------------------- recovery

test('a second runtime of the same provider finds the lease by its labels and serves its status', async () => {
  const lease = newLease()
  const id = lease.leaseId
  const endpoints = await rt.deploy(lease, manifestOf({ web: { ...httpd('page-r'), expose: [{ port: 8080, proto: 'http', global: true }] } }))
  assert.is(endpoints.length, 1)

  // The same wallet, written in lower case this time.
  const again = runtime(PROVIDER.toLowerCase())
  others.push(again)
  await again.start()
  const found = (await again.found()).filter(l => l.leaseId === id)
  assert.equal(found, [{ leaseId: id, orderId: lease.orderId, owner: lease.owner.toLowerCase(), containers: 1 }])
  const status = await again.status(id)
  assert.equal(status.map(s => [s.service, s.replicas, s.ready, s.restarts]), [['web', 1, 1, 0]])
  assert.equal(status[0].endpoints, endpoints, 'the same endpoints, from the engine alone')
  assert.equal(status, await rt.status(id))
  await again.loadHistory(id, Math.floor(Date.now() / 1000) - 120)
  const kinds = again.events(id).map(e => e.kind)
  assert.ok(kinds.includes('create') && kinds.includes('start'), kinds.join(','))
  const r = await fetch(endpoints[0].url)
  assert.is((await r.text()).trim(), 'page-r')

  // Negative control: another provider on the same engine does not see it.
  const stranger = runtime(`0x${hex(20)}`)
  others.push(stranger)
  assert.is((await stranger.found()).filter(l => l.leaseId === id).length, 0)
  assert.equal(await stranger.status(id), [])
  await gone(lease)
})

test.run()
