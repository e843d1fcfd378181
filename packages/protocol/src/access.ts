/**
 * Lease access: what a lease owner sends to its provider over `/dcn/manifest/1.0.0` and
 * `/dcn/lease/1.0.0`, and how the provider knows it is the owner. Each request carries an
 * EIP-712 signature of the owner's wallet over the lease id, what is asked and the time; the
 * provider accepts it for `MAX_ACCESS_AGE_S` and checks the owner against the chain.
 *
 * Frames are JSON; a lease request's arguments travel as a JSON string so the signed bytes are
 * exactly the bytes received (no canonical JSON needed).
 */
import { hashTypedData, keccak256, toBytes } from 'viem'
import type { LocalAccount } from 'viem/accounts'
import { domain } from './eip712.js'
import { recoverDigestSigner } from './secp256k1.js'
import { SchemaError, arr, bool, obj, oneOf, str, uint, uint256, hex, type Parser } from './schema.js'
import type { Address, Hex } from './types.js'

/** A signed access request older (or further in the future) than this is refused. */
export const MAX_ACCESS_AGE_S = 60
/** Largest manifest a provider accepts. */
export const MAX_MANIFEST_BYTES = 256 * 1024

const ACCESS_TYPES = {
  ManifestDelivery: [
    { name: 'leaseId', type: 'uint256' },
    { name: 'manifestHash', type: 'bytes32' },
    { name: 'time', type: 'uint64' }
  ],
  LeaseRequest: [
    { name: 'leaseId', type: 'uint256' },
    { name: 'op', type: 'string' },
    { name: 'argsHash', type: 'bytes32' },
    { name: 'time', type: 'uint64' }
  ]
} as const

// ------------------------------------------------------------------ manifest delivery

export interface ManifestDelivery { leaseId: bigint, manifest: string, time: number, sig: Hex }

export const parseManifestDelivery: Parser<ManifestDelivery> = obj({
  leaseId: uint256({ positive: true }),
  manifest: str({ min: 1, max: MAX_MANIFEST_BYTES }),
  time: uint(),
  sig: hex(65)
})

function manifestDigest (chainId: number, leaseId: bigint, manifestHash: Hex, time: number): Hex {
  return hashTypedData({ domain: domain(chainId), types: ACCESS_TYPES, primaryType: 'ManifestDelivery', message: { leaseId, manifestHash, time: BigInt(time) } })
}

export async function signManifestDelivery (account: LocalAccount, chainId: number, leaseId: bigint, manifest: string, time = nowSeconds()): Promise<ManifestDelivery> {
  const sig = await account.signTypedData({ domain: domain(chainId), types: ACCESS_TYPES, primaryType: 'ManifestDelivery', message: { leaseId, manifestHash: keccak256(toBytes(manifest)), time: BigInt(time) } })
  return { leaseId, manifest, time, sig }
}

/** The wallet that signed a delivery (null for a malformed signature). */
export async function manifestDeliverySigner (chainId: number, d: ManifestDelivery): Promise<Address | null> {
  return await recoverDigestSigner(manifestDigest(chainId, d.leaseId, keccak256(toBytes(d.manifest)), d.time), d.sig)
}

// ------------------------------------------------------------------ lease requests

export const LEASE_OPS = ['status', 'events', 'logs', 'exec'] as const
export type LeaseOp = (typeof LEASE_OPS)[number]

const optional = <T>(p: Parser<T>, fallback: T): Parser<T> => (v, path) => v === undefined ? fallback : p(v, path)
const serviceName = str({ max: 63 })

/** The arguments of each operation (strict: unknown fields are refused). */
export const LEASE_ARGS = {
  status: obj({}),
  events: obj({}),
  logs: obj({ service: optional(serviceName, ''), tail: optional(uint(100_000), -1 as number), follow: optional(bool(), false) }),
  exec: obj({
    service: optional(serviceName, ''),
    replica: optional(uint(99), 0),
    cmd: arr(str({ min: 1, max: 4096 }), 256),
    tty: optional(bool(), false),
    cols: optional(uint(1000, 1), 80),
    rows: optional(uint(1000, 1), 24)
  })
} satisfies Record<LeaseOp, Parser<unknown>>
export type LeaseArgs = { [K in LeaseOp]: ReturnType<(typeof LEASE_ARGS)[K]> }

/** What goes on the wire. */
export interface LeaseRequestFrame { leaseId: bigint, op: LeaseOp, args: string, time: number, sig: Hex }

export const parseLeaseRequestFrame: Parser<LeaseRequestFrame> = obj({
  leaseId: uint256({ positive: true }),
  op: oneOf(...LEASE_OPS),
  args: str({ max: 1 << 20 }),
  time: uint(),
  sig: hex(65)
})

function requestDigest (chainId: number, leaseId: bigint, op: string, args: string, time: number): Hex {
  return hashTypedData({ domain: domain(chainId), types: ACCESS_TYPES, primaryType: 'LeaseRequest', message: { leaseId, op, argsHash: keccak256(toBytes(args)), time: BigInt(time) } })
}

export async function signLeaseRequest<K extends LeaseOp> (account: LocalAccount, chainId: number, leaseId: bigint, op: K, args: Partial<LeaseArgs[K]>, time = nowSeconds()): Promise<LeaseRequestFrame> {
  const json = JSON.stringify(args)
  const sig = await account.signTypedData({ domain: domain(chainId), types: ACCESS_TYPES, primaryType: 'LeaseRequest', message: { leaseId, op, argsHash: keccak256(toBytes(json)), time: BigInt(time) } })
  return { leaseId, op, args: json, time, sig }
}

export async function leaseRequestSigner (chainId: number, f: LeaseRequestFrame): Promise<Address | null> {
  return await recoverDigestSigner(requestDigest(chainId, f.leaseId, f.op, f.args, f.time), f.sig)
}

/** The request's arguments, checked against its operation's schema (SchemaError when wrong). */
export function leaseArgs<K extends LeaseOp> (op: K, json: string): LeaseArgs[K] {
  let value: unknown
  try {
    value = JSON.parse(json)
  } catch {
    throw new SchemaError('args', 'is not JSON')
  }
  return LEASE_ARGS[op](value, 'args') as LeaseArgs[K]
}

/** Why a signed request's time is unacceptable, or null when it is fresh. */
export function staleness (time: number, now = nowSeconds()): string | null {
  if (time < now - MAX_ACCESS_AGE_S) return `signature is ${now - time} s old (at most ${MAX_ACCESS_AGE_S} s)`
  if (time > now + MAX_ACCESS_AGE_S) return `signature is dated ${time - now} s in the future`
  return null
}

export const nowSeconds = (): number => Math.floor(Date.now() / 1000)

// ------------------------------------------------------------------ answers

/** A service endpoint as the provider publishes it. */
export interface Endpoint {
  service: string
  replica: number
  /** The container port. */
  port: number
  proto: 'tcp' | 'udp' | 'http'
  host: string
  hostPort: number
  /** `http://host:port` for http, `host:port` otherwise. */
  url: string
  /** Through a gateway: the name it routes on its shared HTTP port (`http://<httpHost>:<httpPort>`). */
  httpHost?: string
  httpPort?: number
}

export interface ServiceStatus {
  service: string
  replicas: number
  ready: number
  restarts: number
  /** Last reason a replica stopped (`oom`, `exit 1`), or '' */
  lastExit: string
  endpoints: Endpoint[]
}

export interface LeaseEvent {
  /** Unix ms. */
  time: number
  service: string
  replica: number
  /** pull, create, start, die, oom, restart, remove, deploy, teardown, error. */
  kind: string
  detail: string
}
