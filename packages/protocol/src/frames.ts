/**
 * Length-prefixed frames over a libp2p stream, for `/dcn/manifest`, `/dcn/lease` and friends.
 * A frame is a 4-byte big-endian length and its payload. The first frame each way is JSON (the
 * request, then the answer); data frames after that start with one channel byte, as in
 * Kubernetes' exec protocol: stdin, stdout, stderr, or control (JSON: resize, eof, exit, error).
 */
import type { Stream } from '@libp2p/interface'
import { Uint8ArrayList } from 'uint8arraylist'
import { toJson } from '@dcn/protocol'

export const CHANNEL = { stdin: 0, stdout: 1, stderr: 2, control: 3 } as const
export type Channel = (typeof CHANNEL)[keyof typeof CHANNEL]

export interface Control {
  /** Terminal size changed (shell with tty). */
  resize?: { cols: number, rows: number }
  /** No more stdin. */
  eof?: true
  /** The command or stream ended; exit code of the command where there is one. */
  exit?: number
  error?: string
  /** Sent on quiet long-lived streams so idle timeouts along the path do not cut them. */
  ping?: true
}

export class FrameError extends Error {
  constructor (message: string) { super(message); this.name = 'FrameError' }
}

export class Frames {
  private readonly source: AsyncIterator<Uint8Array | Uint8ArrayList>
  private readonly buffer = new Uint8ArrayList()
  private ended = false

  constructor (readonly stream: Stream, private readonly maxFrame = 1 << 20) {
    this.source = stream[Symbol.asyncIterator]()
  }

  /** The next frame's payload, or null when the remote closed its side cleanly between frames. */
  async read (): Promise<Uint8Array | null> {
    while (true) {
      if (this.buffer.byteLength >= 4) {
        const len = this.buffer.getUint32(0)
        if (len > this.maxFrame) throw new FrameError(`frame of ${len} bytes is over the ${this.maxFrame}-byte limit`)
        if (this.buffer.byteLength >= 4 + len) {
          const frame = this.buffer.subarray(4, 4 + len)
          this.buffer.consume(4 + len)
          return frame
        }
      }
      if (this.ended) {
        if (this.buffer.byteLength === 0) return null
        throw new FrameError('stream ended inside a frame')
      }
      const next = await this.source.next()
      if (next.done === true) this.ended = true
      else this.buffer.append(next.value)
    }
  }

  /** The next frame as JSON; with `timeoutMs`, a peer that sends nothing in time has its stream aborted. */
  async readJson (timeoutMs = 0): Promise<unknown> {
    let timer: NodeJS.Timeout | undefined
    const frame = timeoutMs <= 0
      ? await this.read()
      : await Promise.race([this.read(), new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => {
          this.stream.abort(new FrameError('no frame in time'))
          reject(new FrameError(`nothing received in ${timeoutMs} ms`))
        }, timeoutMs)
      })]).finally(() => { clearTimeout(timer) })
    if (frame === null) throw new FrameError('stream closed before an answer')
    try {
      return JSON.parse(new TextDecoder().decode(frame))
    } catch {
      throw new FrameError('frame is not JSON')
    }
  }

  async write (payload: Uint8Array): Promise<void> {
    const head = new Uint8Array(4)
    new DataView(head.buffer).setUint32(0, payload.byteLength)
    // onDrain() resolves once per stream in libp2p 3, so wait on the events until the queue has room.
    if (!this.stream.send(new Uint8ArrayList(head, payload))) {
      while (this.stream.writableNeedsDrain && this.stream.status === 'open') {
        await new Promise<void>(resolve => {
          const done = (): void => { this.stream.removeEventListener('drain', done); this.stream.removeEventListener('close', done); resolve() }
          this.stream.addEventListener('drain', done)
          this.stream.addEventListener('close', done)
        })
      }
    }
  }

  async writeJson (value: unknown): Promise<void> {
    await this.write(new TextEncoder().encode(toJson(value)))
  }

  async writeData (channel: Channel, data: Uint8Array): Promise<void> {
    const frame = new Uint8Array(data.byteLength + 1)
    frame[0] = channel
    frame.set(data, 1)
    await this.write(frame)
  }

  async writeControl (c: Control): Promise<void> {
    await this.writeData(CHANNEL.control, new TextEncoder().encode(JSON.stringify(c)))
  }

  /** Next data frame split into channel and bytes (control frames parsed), or null at the end. */
  async readData (): Promise<{ channel: Channel, data: Uint8Array, control?: Control } | null> {
    const frame = await this.read()
    if (frame === null) return null
    if (frame.byteLength === 0 || frame[0] > CHANNEL.control) throw new FrameError('data frame without a valid channel byte')
    const channel = frame[0] as Channel
    const data = frame.subarray(1)
    if (channel !== CHANNEL.control) return { channel, data }
    let control: Control
    try {
      control = JSON.parse(new TextDecoder().decode(data)) as Control
    } catch {
      throw new FrameError('control frame is not JSON')
    }
    if (typeof control !== 'object' || control === null) throw new FrameError('control frame is not an object')
    return { channel, data, control }
  }

  async close (): Promise<void> {
    await this.stream.close().catch(() => { this.stream.abort(new Error('close failed')) })
  }
}
