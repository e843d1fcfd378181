/**
 * Docker multiplexes stdout and stderr of a container without a tty into one stream of frames:
 * an 8-byte header (stream type, 3 zero bytes, big-endian length) and the payload. `Demuxer`
 * takes chunks as they come (or one buffer, for logs without follow) and hands out payloads.
 */
export type Sink = (stream: 'stdout' | 'stderr', data: Buffer) => void

export class Demuxer {
  private pending: Buffer = Buffer.alloc(0)

  constructor (private readonly sink: Sink) {}

  push (chunk: Buffer): void {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk])
    while (this.pending.length >= 8) {
      const len = this.pending.readUInt32BE(4)
      if (this.pending.length < 8 + len) break
      const type = this.pending[0]
      this.sink(type === 2 ? 'stderr' : 'stdout', this.pending.subarray(8, 8 + len))
      this.pending = this.pending.subarray(8 + len)
    }
  }
}
