/**
 * How the tunnels read their TCP sockets. Node's 'data' path allocates libuv's 64 KiB buffer for
 * every read, wraps it in a Buffer and runs it through the stream machinery; on a pipe that is
 * CPU-bound that is a good part of the gateway's cost per byte. Sockets made here read with
 * Node's `onread` instead: each read lands in memory handed out by this module and goes to one
 * callback. The memory:
 *
 * - after a short read (and at first) a read goes into one scratch buffer shared by all sockets
 *   (a read and its callback run synchronously, nothing else reads in between) and is copied
 *   out: an interactive or idle connection holds no buffer of its own;
 * - after a long read (a bulk transfer: more is waiting) reads go straight into a slab of the
 *   socket's own, each into the slab's unused rest, and the chunk handed on is a view of it: no
 *   copy, no allocation per read. A slab is never written twice (what libp2p still queues, down
 *   to Noise's buffers, cannot be known); the GC frees it with its last view. A connection that
 *   goes quiet after a long read keeps its (untouched) next slab until its next read.
 *
 * Receiving over loopback TCP here cost (CPU ms per MB): 0.42–0.58 by 'data' events, 0.53–0.99
 * copying each read out of one reused buffer into a new one (fresh memory costs page faults),
 * 0.27–0.30 as views of 1 MiB slabs, 0.37 of 256 KiB ones. 1 MiB is also the pipe's frame size.
 *
 * `readChunks()` gives a socket's reads to a callback, from `onread` for sockets made here and
 * from 'data' events for any other, so the pipe and the HTTP head reader work with both.
 */
import { connect, type Socket, type TcpNetConnectOpts } from 'node:net'

/** A read of this size or more (libuv's own read size) means a bulk transfer: the next goes into a slab. */
const LONG_READ = 64 * 1024
/** Where short reads land (and are copied out of). */
const SCRATCH_BYTES = 64 * 1024
const SLAB_BYTES = 1024 * 1024
/** A slab with less than this left is replaced, so that slab reads stay long. */
const MIN_SLAB_REST = 64 * 1024

const scratch = Buffer.allocUnsafeSlow(SCRATCH_BYTES)

/**
 * Takes one read: `chunk` is the receiver's to keep; `full` says the read filled the memory it
 * was given (more is probably waiting). Pause the socket (`socket.pause()`) to stop the reads.
 */
export type ChunkSink = (chunk: Buffer, full: boolean) => void

/** The `onread` state of one socket. */
export class SlabReads {
  private slab: Buffer | null = null
  private used = 0
  private bulk = false
  /** Where reads go; while there is none, a read is held and the socket stops reading. */
  sink: ChunkSink | undefined
  readonly held: Array<{ chunk: Buffer, full: boolean }> = []

  /** For `net.connect()` / `new Socket()`. */
  readonly onread = {
    buffer: (): Buffer => this.next(),
    callback: (n: number, buf: Uint8Array): boolean => this.take(n, buf as Buffer)
  }

  private next (): Buffer {
    if (!this.bulk) {
      this.slab = null
      return scratch
    }
    if (this.slab === null || this.slab.length - this.used < MIN_SLAB_REST) {
      this.slab = Buffer.allocUnsafeSlow(SLAB_BYTES)
      this.used = 0
    }
    return this.slab.subarray(this.used)
  }

  private take (n: number, buf: Buffer): boolean {
    const full = n === buf.length
    let chunk: Buffer
    if (buf === scratch) {
      chunk = Buffer.allocUnsafe(n)
      scratch.copy(chunk, 0, 0, n)
    } else {
      chunk = buf.subarray(0, n)
      this.used += n
    }
    this.bulk = n >= LONG_READ
    if (this.sink === undefined) {
      this.held.push({ chunk, full })
      return false
    }
    this.sink(chunk, full)
    return true
  }
}

const slabReads = new WeakMap<Socket, SlabReads>()

/** `net.connect()` with slab reads; the socket does not read until `resume()` (splice does it). */
export function connectSlabReads (opts: TcpNetConnectOpts): Socket {
  const reads = new SlabReads()
  const socket = connect({ ...opts, onread: reads.onread })
  socket.pause()
  slabReads.set(socket, reads)
  return socket
}

/** Registers a socket created with `reads.onread` (see reading-server.ts). */
export function registerSlabReads (socket: Socket, reads: SlabReads): void {
  slabReads.set(socket, reads)
}

/** True for sockets whose reads bypass 'data' events. */
export const hasSlabReads = (socket: Socket): boolean => slabReads.has(socket)

/**
 * Gives the socket's reads to `sink` (replacing an earlier sink) until the returned function is
 * called. Reads come only while the socket is resumed; reads held while there was no sink are
 * given first, now.
 */
export function readChunks (socket: Socket, sink: ChunkSink): () => void {
  const reads = slabReads.get(socket)
  if (reads === undefined) {
    const onData = (chunk: Buffer): void => { sink(chunk, chunk.byteLength >= LONG_READ) }
    socket.on('data', onData)
    return () => { socket.removeListener('data', onData) }
  }
  reads.sink = sink
  while (reads.sink === sink && reads.held.length > 0) {
    const { chunk, full } = reads.held.shift()!
    sink(chunk, full)
  }
  return () => { if (reads.sink === sink) reads.sink = undefined }
}
