/**
 * Reads the one JSON handshake frame each way of a tunnel (the same 4-byte big-endian length
 * prefix as `Frames` of @dcn/protocol), then hands over the stream with whatever arrived after
 * the frame. `Frames` reads through the stream's async iterator, which buffers without limit and
 * keeps its listener; a tunnel instead listens to 'message' events and pauses the stream between
 * the handshake and the byte pipe, so nothing is lost and nothing piles up.
 */
import type { Stream, StreamCloseEvent, StreamMessageEvent } from '@libp2p/interface'
import { FrameError } from '@dcn/protocol'
import { Uint8ArrayList } from 'uint8arraylist'

export class FrameReader {
  private readonly buffer = new Uint8ArrayList()
  private ended = false
  private error: Error | undefined
  private wake: (() => void) | undefined
  private detached = false

  private readonly onMessage = (evt: StreamMessageEvent): void => {
    this.buffer.append(evt.data)
    this.wake?.()
  }

  private readonly onEnd = (): void => {
    this.ended = true
    this.wake?.()
  }

  private readonly onClose = (evt: StreamCloseEvent): void => {
    this.ended = true
    if (evt.error !== undefined) this.error = evt.error
    this.wake?.()
  }

  constructor (readonly stream: Stream) {
    stream.addEventListener('message', this.onMessage)
    stream.addEventListener('end', this.onEnd)
    stream.addEventListener('close', this.onClose)
    if (stream.readableEnded || stream.status !== 'open') this.ended = true
  }

  /**
   * The next frame's payload. Throws a FrameError when the length is over `maxBytes` (as soon as
   * the 4 length bytes are in), when the stream ends first, or after `timeoutMs` without a frame.
   */
  async read (maxBytes: number, timeoutMs: number): Promise<Uint8Array> {
    const deadline = Date.now() + timeoutMs
    while (true) {
      if (this.buffer.byteLength >= 4) {
        const len = this.buffer.getUint32(0)
        if (len > maxBytes) throw new FrameError(`frame of ${len} bytes is over the ${maxBytes}-byte limit`)
        if (this.buffer.byteLength >= 4 + len) {
          const frame = this.buffer.subarray(4, 4 + len)
          this.buffer.consume(4 + len)
          return frame
        }
      }
      if (this.error !== undefined) throw new FrameError(`stream failed: ${this.error.message}`)
      if (this.ended) {
        throw new FrameError(this.buffer.byteLength === 0 ? 'stream closed before a frame' : 'stream ended inside a frame')
      }
      const left = deadline - Date.now()
      if (left <= 0) throw new FrameError(`no complete frame within ${timeoutMs} ms`)
      let timer: NodeJS.Timeout | undefined
      await new Promise<void>(resolve => {
        this.wake = resolve
        timer = setTimeout(resolve, left)
      })
      clearTimeout(timer)
      this.wake = undefined
    }
  }

  /** The next frame parsed as JSON (FrameError when it is not). */
  async readJson (maxBytes: number, timeoutMs: number): Promise<unknown> {
    const frame = await this.read(maxBytes, timeoutMs)
    try {
      return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(frame))
    } catch {
      throw new FrameError('frame is not JSON')
    }
  }

  /**
   * Stops reading: the stream is paused (what arrives waits in the stream, and yamux stops
   * granting window) and the bytes read past the frame are returned.
   */
  detach (): Uint8ArrayList {
    if (!this.detached) {
      this.detached = true
      this.stream.removeEventListener('message', this.onMessage)
      this.stream.removeEventListener('end', this.onEnd)
      this.stream.removeEventListener('close', this.onClose)
      if (this.stream.readStatus === 'readable') {
        try { this.stream.pause() } catch { /* closing */ }
      }
    }
    return this.buffer
  }

  /** Reads and drops everything until the remote closes (after a refusal). */
  discard (): void {
    this.detach()
    this.buffer.consume(this.buffer.byteLength)
    this.stream.addEventListener('message', () => {})
    if (this.stream.readStatus === 'paused') {
      try { this.stream.resume() } catch { /* closing */ }
    }
  }
}
