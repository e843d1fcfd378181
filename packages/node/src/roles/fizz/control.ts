/**
 * `/dcn/fizz/1.0.0`: the gateway's control of its fizz nodes, one request per stream, opened by
 * the gateway on the connection the fizz node keeps to it.
 *
 * - `status` → wallet, region, tokens, capacity, what is free, unit prices, leases running;
 * - `reserve` (an order) → the fizz node reserves and prices it with its own pricing, or says why not;
 * - `release` (an order id) → the reservation is dropped.
 *
 * A fizz node answers only its own gateway.
 */
import type { PeerId } from '@libp2p/interface'
import {
  BODY_SCHEMAS, Frames, PROTOCOLS, SchemaError, hex, obj, str, uint, uint256, address, arr, resourcesSchema,
  type Address, type Hex, type Order, type Resources, type UnitPrices
} from '@dcn/protocol'
import type { Host } from '../../host.js'
import type { Logger } from '../../log.js'

const REQUEST_TIMEOUT_MS = 10_000

export interface FizzStatus {
  wallet: Address
  region: string
  tokens: Address[]
  capacity: Resources
  available: Resources
  /** Per-second unit prices of a `scale` pricing ('0' each for a script). */
  prices: UnitPrices
  leases: number
}

export type ReserveAnswer = { ok: true, price: bigint, available: Resources, capacity: Resources } | { ok: false, reason: string }

export interface FizzService {
  status: () => FizzStatus
  reserve: (order: Order) => Promise<ReserveAnswer>
  release: (orderId: Hex) => void
}

const statusSchema = obj({
  wallet: address,
  region: str({ max: 64 }),
  tokens: arr(address, 16),
  capacity: resourcesSchema,
  available: resourcesSchema,
  prices: obj({ cpu: uint256(), memory: uint256(), storage: uint256(), gpu: uint256() }),
  leases: uint(1_000_000)
})

/** The fizz side: serves its gateway (`gateway` is its peer id) and nobody else. */
export async function serveFizzControl (host: Host, gateway: PeerId, service: FizzService, log: Logger): Promise<void> {
  await host.handle(PROTOCOLS.fizz, async (stream, conn) => {
    const frames = new Frames(stream)
    try {
      if (!conn.remotePeer.equals(gateway)) throw new SchemaError('', 'this fizz node answers only its gateway')
      const req = await frames.readJson(REQUEST_TIMEOUT_MS) as { op?: unknown, order?: unknown, orderId?: unknown }
      if (req.op === 'status') {
        await frames.writeJson({ ok: true, ...service.status() })
      } else if (req.op === 'reserve') {
        const order = BODY_SCHEMAS.order(req.order, 'order')
        await frames.writeJson(await service.reserve(order))
      } else if (req.op === 'release') {
        service.release(hex(32)(req.orderId, 'orderId'))
        await frames.writeJson({ ok: true })
      } else {
        throw new SchemaError('op', 'expected status, reserve or release')
      }
    } catch (err) {
      const known = err instanceof SchemaError || (err as Error).name === 'FrameError'
      if (!known) log.warn('fizz control failed', { error: (err as Error).message })
      await frames.writeJson({ ok: false, reason: known ? (err as Error).message : 'the fizz node failed to answer' }).catch(() => {})
    } finally {
      await frames.close()
    }
  }, { maxInboundStreams: 32 })
}

async function ask (host: Host, fizz: PeerId, request: unknown, timeoutMs: number): Promise<Record<string, unknown>> {
  const stream = await host.dialProtocol(fizz, PROTOCOLS.fizz, { signal: AbortSignal.timeout(timeoutMs) })
  const frames = new Frames(stream)
  try {
    await frames.writeJson(request)
    return await frames.readJson(timeoutMs) as Record<string, unknown>
  } finally {
    await frames.close()
  }
}

/** The gateway side: a fizz node's status (throws when it does not answer properly). */
export async function fizzStatus (host: Host, fizz: PeerId, timeoutMs = 3000): Promise<FizzStatus> {
  const answer = await ask(host, fizz, { op: 'status' }, timeoutMs)
  if (answer.ok !== true) throw new Error(`fizz node ${fizz.toString()} refused: ${String(answer.reason)}`)
  const { ok: _ok, ...rest } = answer
  return statusSchema(rest, 'status')
}

export async function fizzReserve (host: Host, fizz: PeerId, order: Order, timeoutMs = 6000): Promise<ReserveAnswer> {
  const a = await ask(host, fizz, { op: 'reserve', order }, timeoutMs)
  if (a.ok !== true) return { ok: false, reason: String(a.reason ?? 'refused') }
  return { ok: true, price: uint256()(a.price, 'price'), available: resourcesSchema(a.available, 'available'), capacity: resourcesSchema(a.capacity, 'capacity') }
}

export async function fizzRelease (host: Host, fizz: PeerId, orderId: Hex): Promise<void> {
  await ask(host, fizz, { op: 'release', orderId }, 3000)
}
