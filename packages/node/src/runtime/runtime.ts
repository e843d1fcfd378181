/**
 * What a provider needs from a container runtime. `DockerRuntime` implements it on a Docker
 * engine; the provider role only sees this interface.
 */
import type { Endpoint, LeaseArgs, LeaseEvent, Manifest, ServiceStatus } from '@dcn/protocol'
import type { LeaseRef } from './spec.js'

export type { LeaseRef }

export type OutputSink = (stream: 'stdout' | 'stderr', data: Uint8Array) => Promise<void>

export interface ExecSession {
  write: (data: Uint8Array) => void
  /** No more stdin. */
  end: () => void
  resize: (cols: number, rows: number) => Promise<void>
  /** Resolves with the command's exit code once its output has ended. */
  exit: Promise<number>
  /** Stops forwarding (the remote went away). */
  detach: () => void
}

/** A lease's workload as found on the engine (after a restart). */
export interface FoundLease extends LeaseRef {
  containers: number
}

export interface Runtime {
  /** Starts (or completes) a lease's workload; resolves with its endpoints once every replica runs. */
  deploy: (lease: LeaseRef, manifest: Manifest) => Promise<Endpoint[]>
  /** Removes every container and the network of a lease (idempotent). */
  teardown: (leaseId: bigint) => Promise<void>
  status: (leaseId: bigint) => Promise<ServiceStatus[]>
  events: (leaseId: bigint) => LeaseEvent[]
  /** Reads what the engine still remembers of a lease's events (after a provider restart). */
  loadHistory: (leaseId: bigint, sinceSeconds: number) => Promise<void>
  logs: (leaseId: bigint, args: LeaseArgs['logs'], out: OutputSink, signal: AbortSignal) => Promise<void>
  exec: (leaseId: bigint, args: LeaseArgs['exec'], out: OutputSink) => Promise<ExecSession>
  /** Every lease this provider has objects for on the engine. */
  found: () => Promise<FoundLease[]>
  /** Called for every event of every lease (restarts, OOM kills, …). */
  onEvent: (listener: (leaseId: bigint, e: LeaseEvent) => void) => void
  stop: () => void
}
