/**
 * A TCP server whose accepted sockets read with `onread` (socket-reads.ts).
 *
 * Node 20's `net.Server` has no `onread` option; `net.connect()` and `new Socket({ handle })`
 * have. So the server accepts with `pauseOnConnect` (the kernel socket is not read yet) and each
 * accepted Socket's handle is moved to a new Socket made with `onread`. That touches internals
 * of `node:net` (checked with Node 20), which is why it is all here:
 *
 * - `_handle`: the accepted socket's libuv handle. The new Socket takes it over (its
 *   constructor points the handle's callbacks at itself); the old Socket is left without one
 *   and destroyed, so it can neither read, write nor close the connection, and is never seen.
 * - `_server` / `server`: the server counts a connection until its Socket is destroyed (that
 *   count is `getConnections()`, and `close()` completes at zero). The count moves to the new
 *   Socket with them; the old one leaves without touching it.
 * - noDelay and keep-alive were set on the handle by the server; the new Socket is told so, so
 *   that its own setNoDelay()/setKeepAlive() keep working.
 *
 * Without a handle to take over (not seen in Node 20) the accepted socket is used as it is: it
 * reads through 'data' events, which `readChunks()` handles too. test/socket-reads.test.ts checks
 * all of this, so that a Node upgrade that changes these internals shows.
 */
import { Socket, createServer, type Server } from 'node:net'
import { SlabReads, registerSlabReads } from './socket-reads.js'

export interface ReadingServerOptions {
  allowHalfOpen: boolean
  noDelay: boolean
  keepAlive: boolean
  keepAliveInitialDelay: number
}

interface NetInternals {
  _handle?: { readStart?: unknown, useUserBuffer?: unknown } | null
  _server?: Server | null
  server?: Server | null
}

/**
 * `createServer()` whose connections reach `onConnection` paused (`resume()` or splice starts
 * the reads) and, normally, reading with `onread`.
 */
export function createReadingServer (opts: ReadingServerOptions, onConnection: (socket: Socket) => void): Server {
  return createServer({ ...opts, pauseOnConnect: true }, accepted => { onConnection(takeOver(accepted, opts)) })
}

function takeOver (accepted: Socket, opts: ReadingServerOptions): Socket {
  const old = accepted as unknown as NetInternals
  const handle = old._handle
  if (handle == null || typeof handle.useUserBuffer !== 'function' || typeof handle.readStart !== 'function' || accepted.destroyed) {
    return accepted
  }
  const reads = new SlabReads()
  // The constructor starts reading: pause at once (nothing is read in between, it is synchronous).
  const socket = new Socket({ handle, onread: reads.onread, ...opts } as unknown as ConstructorParameters<typeof Socket>[0])
  socket.pause()
  registerSlabReads(socket, reads)
  const taken = socket as unknown as NetInternals
  taken._server = old._server
  taken.server = old.server
  old._server = null
  old.server = null
  old._handle = null
  accepted.destroy()
  return socket
}
