/**
 * Raw bytes both ways between a libp2p stream and a TCP socket, with backpressure and
 * half-close in each direction:
 *
 * - stream → socket: 'message' events are written to the socket (chunk by chunk, no copy);
 *   when the socket's buffer is full the stream is paused (yamux stops granting window, so the
 *   remote stops sending) until the socket drains. The remote closing its side (yamux FIN)
 *   ends the socket (TCP FIN) once everything before it is written.
 * - socket → stream: reads (`readChunks()` of socket-reads.ts: views of 1 MiB slabs for sockets
 *   made there, 'data' events for others) go to `stream.send()` (back-to-back full reads gathered
 *   into one frame of up to 1 MiB); while 256 KiB or more wait in the stream's queue the socket is
 *   paused (the kernel's buffers then push back on the sender). The socket's FIN closes the
 *   stream's writing side.
 * - an error on either side aborts the other: a stream reset destroys the socket with a TCP
 *   RST (so the peer sees the truncation), a socket error or early close aborts the stream.
 *
 * The socket must have been created with `allowHalfOpen: true`, otherwise Node ends its writing
 * side as soon as the peer's FIN arrives.
 */
import type { Socket } from 'node:net'
import type { Stream, StreamCloseEvent, StreamMessageEvent } from '@libp2p/interface'
import { Uint8ArrayList } from 'uint8arraylist'
import { readChunks } from './socket-reads.js'

/** yamux's largest receive window (16 MiB) with room to spare: what a paused stream may still receive. */
const PAUSED_READ_BUFFER = 64 * 2 ** 20
/**
 * The stream is paused once this much waits in the socket's buffer. Node's own mark (16 KiB) is
 * below one yamux frame, so pausing at it would stop and restart the window on every message.
 */
const SOCKET_BUFFER = 256 * 1024
/** Full reads are gathered up to this much into one send. */
const COALESCE = 1024 * 1024
/** The socket is paused while this much waits in the stream's queue. */
const STREAM_BUFFER = 256 * 1024

export interface SpliceOptions {
  /** Bytes already read from the stream (after a handshake frame), written to the socket first. */
  leftover?: Uint8ArrayList | Uint8Array
  /** Bytes already read from the socket (an HTTP request head), sent on the stream first. */
  head?: Uint8Array
}

export interface SpliceResult {
  /** Bytes from the socket to the stream (including `head`). */
  sent: number
  /** Bytes from the stream to the socket (including `leftover`). */
  received: number
  /** Why it ended abnormally (reset, socket error), undefined when both sides closed cleanly. */
  error?: string
}

const broken = (s: Stream): boolean => s.status === 'aborted' || s.status === 'reset'

/** Pipes until both directions are finished; never rejects. */
export async function splice (stream: Stream, socket: Socket, opts: SpliceOptions = {}): Promise<SpliceResult> {
  return await new Promise<SpliceResult>(resolve => {
    const result: SpliceResult = { sent: 0, received: 0 }
    let socketClosed = socket.destroyed
    let streamClosed = stream.status !== 'open'
    let finished = false
    /** The socket is paused until the stream drains. */
    let waiting = false
    // A paused stream buffers what the remote had permission to send; the default limit (4 MiB)
    // is below a grown yamux window and would reset the stream.
    stream.maxReadBufferLength = Math.max(stream.maxReadBufferLength, PAUSED_READ_BUFFER)

    const fail = (why: string): void => {
      result.error ??= why
      if (!broken(stream) && stream.status !== 'closed') stream.abort(new Error(why))
      if (!socket.destroyed) socket.resetAndDestroy()
    }

    // ---- stream → socket
    const pauseStream = (): void => {
      if (stream.readStatus !== 'readable') return
      try { stream.pause() } catch { return }
      socket.once('drain', resumeStream)
    }
    const resumeStream = (): void => {
      if (stream.readStatus !== 'paused') return
      try { stream.resume() } catch { /* closed meanwhile */ }
    }
    const toSocket = (data: Uint8Array | Uint8ArrayList): void => {
      result.received += data.byteLength
      if (socket.destroyed || socket.writableEnded) return
      if (data instanceof Uint8Array) {
        socket.write(data)
      } else {
        socket.cork()
        for (const chunk of data) socket.write(chunk)
        socket.uncork()
      }
      if (socket.writableLength >= SOCKET_BUFFER) pauseStream()
    }
    const onMessage = (evt: StreamMessageEvent): void => { toSocket(evt.data) }
    const onEnd = (): void => {
      // 'end' also fires when the stream is aborted or reset: that is handled by onClose.
      if (broken(stream)) return
      if (!socket.destroyed && !socket.writableEnded) socket.end()
    }
    const onClose = (evt: StreamCloseEvent): void => {
      streamClosed = true
      if (evt.error !== undefined || broken(stream)) fail(`stream ${stream.status}${evt.error === undefined ? '' : ': ' + evt.error.message}`)
      done()
    }

    // ---- socket → stream
    // Two things keep the queue in front of the stream bounded. yamux emits 'drain' on every
    // window update while anything is queued, however little the update lets through, so the
    // socket resumes only once the queue is short again, not on any 'drain'. And `onDrain()`
    // of libp2p 3 resolves at once after the first drain (its promise is never renewed), so the
    // events are used directly.
    const onStreamDrain = (): void => {
      // The stream sends what it can in a microtask queued by its own 'drain' listener; look after that.
      queueMicrotask(maybeResume)
    }
    const maybeResume = (): void => {
      if (!waiting || stream.writeBufferLength >= STREAM_BUFFER) return
      waiting = false
      stream.removeEventListener('drain', onStreamDrain)
      stream.removeEventListener('idle', onStreamDrain)
      if (!socket.destroyed) socket.resume()
    }
    // Full socket reads (the read filled its buffer: more is waiting) are gathered until the I/O
    // phase ends (up to 1 MiB) and sent as one yamux frame: a 64 KiB frame costs two Noise
    // messages (one of 29 bytes), a window update and on the other side a write to its socket; a
    // 1 MiB frame costs 17 messages, one update and one write. A short read goes at once (no
    // added latency).
    let pending: Buffer[] = []
    let pendingBytes = 0
    let flushScheduled = false
    const flush = (): void => {
      flushScheduled = false
      if (pendingBytes === 0) return
      const data = pending.length === 1 ? pending[0] : new Uint8ArrayList(...pending)
      pending = []
      pendingBytes = 0
      if (stream.writeStatus !== 'writable') return
      try {
        stream.send(data)
      } catch (err) {
        fail(`stream refused data: ${(err as Error).message}`)
        return
      }
      if (waiting || stream.writeBufferLength < STREAM_BUFFER) return
      waiting = true
      socket.pause()
      stream.addEventListener('drain', onStreamDrain)
      stream.addEventListener('idle', onStreamDrain)
    }
    const onData = (chunk: Buffer, full: boolean): void => {
      result.sent += chunk.byteLength
      pending.push(chunk)
      pendingBytes += chunk.byteLength
      if (full && pendingBytes < COALESCE) {
        if (!flushScheduled) { flushScheduled = true; setImmediate(flush) }
        return
      }
      flush()
    }
    const onSocketEnd = (): void => {
      flush()
      if (stream.writeStatus !== 'writable') return
      stream.close().catch((err: Error) => { fail(`stream close failed: ${err.message}`) })
    }
    const onSocketError = (err: Error): void => { fail(`socket: ${err.message}`) }
    const onSocketClose = (): void => {
      socketClosed = true
      // Nothing can take what the remote still sends, or the socket went away without its FIN.
      if (stream.status === 'open' && (stream.remoteWriteStatus !== 'closed' || stream.writeStatus === 'writable')) {
        fail('socket closed')
      }
      done()
    }

    let stopReading: (() => void) | undefined
    const done = (): void => {
      if (finished || !socketClosed || !streamClosed) return
      finished = true
      stream.removeEventListener('message', onMessage)
      stream.removeEventListener('end', onEnd)
      stream.removeEventListener('close', onClose)
      stopReading?.()
      socket.removeListener('end', onSocketEnd)
      socket.removeListener('close', onSocketClose)
      socket.removeListener('drain', resumeStream)
      stream.removeEventListener('drain', onStreamDrain)
      stream.removeEventListener('idle', onStreamDrain)
      // Keep an error listener: a late error must not become an uncaught exception.
      resolve(result)
    }

    socket.on('error', onSocketError)
    socket.on('close', onSocketClose)
    stream.addEventListener('close', onClose)

    if (broken(stream)) { fail(`stream ${stream.status}`); done(); return }
    if (socket.destroyed) { fail('socket closed'); done(); return }

    if (opts.leftover !== undefined && opts.leftover.byteLength > 0) toSocket(opts.leftover)
    if (opts.head !== undefined && opts.head.byteLength > 0) onData(Buffer.from(opts.head.buffer, opts.head.byteOffset, opts.head.byteLength), false)

    // The remote may have closed its side during the handshake, before these listeners.
    if (stream.readableEnded && stream.readBufferLength === 0) onEnd()
    else {
      stream.addEventListener('message', onMessage)
      stream.addEventListener('end', onEnd)
      // Paused during the handshake (or never started): let the remote send.
      resumeStream()
    }
    stopReading = readChunks(socket, onData)
    socket.on('end', onSocketEnd)
    if (socket.readableEnded) onSocketEnd()
    else if (!waiting) socket.resume()
  })
}
