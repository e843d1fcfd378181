/**
 * `/dcn/lease/1.0.0`: a lease owner's status, events, logs (tail, follow) and shell. The first
 * frame is the signed request, the answer `{ ok, … }`; logs and exec then carry data frames
 * (stdout, stderr; stdin and resize from the user) and end with a control frame `{ exit }`.
 */
import { PROTOCOLS, leaseArgs, leaseRequestSigner, parseLeaseRequestFrame, type LeaseArgs } from '@dcn/protocol'
import { CHANNEL, Frames } from '@dcn/protocol'
import type { OutputSink, Runtime } from '../../runtime/runtime.js'
import type { HandlerOptions } from './manifest-handler.js'
import { REQUEST_TIMEOUT_MS, refuse } from './request-guard.js'
import { AccessError } from './workloads.js'

/** Quiet follow and shell streams get a ping this often. */
const KEEPALIVE_MS = 30_000

export async function handleLeaseRequests (opts: HandlerOptions & { runtime: Runtime }): Promise<void> {
  const { host, workloads, guard, chainId, metrics, log, runtime } = opts
  await host.handle(PROTOCOLS.lease, async (stream) => {
    const frames = new Frames(stream)
    let op = 'unknown'
    try {
      const req = parseLeaseRequestFrame(await frames.readJson(REQUEST_TIMEOUT_MS), 'request')
      op = req.op
      const args = leaseArgs(req.op, req.args)
      const signer = await guard.admit(req.time, req.sig, async () => await leaseRequestSigner(chainId, req))
      const { lease } = workloads.authorize(req.leaseId, signer)
      const id = lease.leaseId
      metrics.accessRequests.inc({ op, result: 'ok' })
      const out: OutputSink = async (s, d) => { await frames.writeData(s === 'stdout' ? CHANNEL.stdout : CHANNEL.stderr, d) }
      if (req.op === 'status') {
        await frames.writeJson({ ok: true, leaseId: id, services: await runtime.status(id) })
      } else if (req.op === 'events') {
        await frames.writeJson({ ok: true, leaseId: id, events: runtime.events(id) })
      } else if (req.op === 'logs') {
        const a = args as LeaseArgs['logs']
        if (a.service !== '' && !(await runtime.status(id)).some(x => x.service === a.service)) throw new AccessError(`no service "${a.service}" in lease ${id}`)
        await frames.writeJson({ ok: true })
        const done = new AbortController()
        // The user going away (or ending its side) stops a follow.
        void drain(frames).finally(() => { done.abort() })
        const ping = keepalive(frames)
        try {
          await runtime.logs(id, a, out, done.signal)
          await frames.writeControl({ exit: 0 })
        } catch (err) {
          await frames.writeControl({ exit: 1, error: (err as Error).message }).catch(() => {})
        } finally {
          clearInterval(ping)
        }
      } else {
        await shell(frames, runtime, id, args as LeaseArgs['exec'], out)
      }
    } catch (err) {
      metrics.accessRequests.inc({ op, result: 'refused' })
      await refuse(frames, err, log, `lease ${op}`)
    } finally {
      await frames.close()
    }
  }, { maxInboundStreams: 16 })
}

async function shell (frames: Frames, runtime: Runtime, id: bigint, args: LeaseArgs['exec'], out: OutputSink): Promise<void> {
  let ready!: () => void
  const answered = new Promise<void>(resolve => { ready = resolve })
  const session = await runtime.exec(id, args, async (s, d) => { await answered; await out(s, d) })
  await frames.writeJson({ ok: true })
  ready()
  const ping = keepalive(frames)
  // stdin, resize and eof from the user until it closes its side; a vanished user detaches.
  const input = (async () => {
    while (true) {
      const f = await frames.readData().catch(() => null)
      if (f === null) { session.end(); return }
      if (f.channel === CHANNEL.stdin) session.write(f.data)
      else if (f.control?.resize !== undefined) await session.resize(f.control.resize.cols, f.control.resize.rows)
      else if (f.control?.eof === true) session.end()
    }
  })()
  try {
    const code = await session.exit
    await frames.writeControl({ exit: code })
  } catch (err) {
    await frames.writeControl({ exit: 1, error: (err as Error).message }).catch(() => {})
  } finally {
    clearInterval(ping)
    void input
  }
}

/** Reads (and drops) whatever the user sends until its side ends. */
async function drain (frames: Frames): Promise<void> {
  while (await frames.read().catch(() => null) !== null) { /* nothing is expected */ }
}

function keepalive (frames: Frames): NodeJS.Timeout {
  const t = setInterval(() => { void frames.writeControl({ ping: true }).catch(() => {}) }, KEEPALIVE_MS)
  t.unref()
  return t
}
