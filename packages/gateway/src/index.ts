/**
 * @dcn/gateway — tunnels and ingress for fizz nodes (SPEC.md, Fizz nodes and gateways).
 *
 * A fizz node (behind NAT) dials out to its gateway and keeps that libp2p connection open; the
 * gateway exposes the fizz node's container ports to the public through `/dcn/tunnel/1.0.0`
 * streams it opens on that connection. The roles wire this up; this package has no host of its
 * own and takes any object with libp2p's `handle`, `unhandle` and `dialProtocol` (`TunnelHost`).
 *
 * Tunnel (`tunnel.ts`), wire format: one request frame `{ leaseId, service, replica, port }`
 * (4-byte big-endian length + JSON, as `Frames` of @dcn/protocol, at most 4 KiB), one answer
 * frame `{ ok: true }` or `{ ok: false, error }`, then raw bytes both ways. A stream's FIN is
 * the socket's FIN and a reset is a reset (TCP RST), in both directions. Backpressure is end to
 * end: a socket that does not take data pauses the stream (yamux stops granting window), a
 * stream with 256 KiB queued pauses the socket. Frames are written with `Frames`; the one frame
 * each way is read by a small reader of the same format on the stream's 'message' events
 * (`Frames` reads through the stream's async iterator, which buffers without limit), so the
 * bytes after it are handed to the pipe, not lost.
 *
 * The pipe's sockets (accepted by the Ingress, connected to containers by `connectTcp()`) read
 * with Node's `onread` into memory of their own, without an allocation per read and without the
 * stream machinery (`socket-reads.ts`; the Ingress servers take accepted sockets over for it,
 * `reading-server.ts`); any other socket given to `splice()` / `pipe()` is read by 'data' events.
 *
 * Two libp2p 3 behaviours the pipe works around (`splice.ts`): `stream.onDrain()` resolves at
 * once after the first drain (its promise is never renewed), so `if (!send()) await onDrain()`
 * queues without limit; and yamux emits 'drain' on every window update however small. The
 * pipe listens to the events and resumes only once the queue is short.
 *
 * - `handleTunnels(host, resolve, { requestTimeoutMs = 10 s, connectTimeoutMs = 10 s, maxInboundStreams = 1024, log })
 *   → Promise<TunnelHandler>` — fizz side: reads and strictly checks the request, `resolve(req, fromPeer)`
 *   → `{ host, port }` of the container (throw an Error to refuse; its message is sent back),
 *   connects, answers, pipes. `TunnelHandler`: `active`, `close()`.
 * - `openTunnel(host, peer: PeerId | Multiaddr, req, { timeoutMs = 10 s, signal, maxOutboundStreams = 1024 })
 *   → Promise<Tunnel>` — gateway side; throws a `TunnelError` with the fizz node's reason when
 *   refused. `Tunnel`: `stream`, `pipe(socket, head?) → Promise<{ sent, received, error? }>`
 *   (socket created with `allowHalfOpen: true`), `abort(reason?)`.
 * - `parseTunnelRequest(value)`, `TUNNEL_PROTOCOL`, `MAX_TUNNEL_REQUEST_BYTES`, `connectTcp()`,
 *   `splice(stream, socket, { leftover?, head? })` (the byte pipe itself).
 *
 * Ingress (`ingress.ts`), the gateway's public side:
 *
 * - `new Ingress({ bindHost, ports: { from, to }, httpPort, domain, open, headTimeoutMs?, maxHeadBytes?, retryAfterMs?, log? })`
 *   where `open(route: Route) → Promise<TunnelLike>` opens a tunnel (the role passes
 *   `r => openTunnel(host, r.peer, r.request)`) and `Route = { peer: PeerId, request: TunnelRequest }`.
 * - `expose(key, routes, { http, port? }) → Promise<{ tcpPort, httpHost?, httpPort? }>` — a free
 *   pool port (ports taken by other programs are skipped; a full pool throws; `port` asks for
 *   one, e.g. to restore an endpoint after a restart, and throws when it is outside the pool or
 *   taken), and with `http` the name `<key>.<domain>` on the shared HTTP port. `key` is a DNS
 *   label. Connections go round robin over `routes`; a route whose tunnel cannot be opened is
 *   skipped (and tried last for `retryAfterMs`); none reachable: 502 on HTTP, a reset on TCP.
 * - `update(key, routes)` (new connections only), `unexpose(key) → Promise<boolean>` (closes the
 *   port, the name and the endpoint's open connections), `endpoints() → EndpointInfo[]`
 *   (`{ key, tcpPort, httpHost?, httpPort?, routes, connections }`), `listenHttp() → Promise<number>`
 *   (the HTTP port, bound on first use; `httpPort: 0` picks a free one), `boundHttpPort`, `close()`.
 * - HTTP: the first request's Host header (port stripped, case-insensitive) picks the endpoint;
 *   the whole connection, head included, then goes through its tunnel as bytes (later requests
 *   on a keep-alive connection go to the same backend whatever their Host). Unknown host → 404,
 *   malformed head → 400, head over `maxHeadBytes` → 431, no complete head in `headTimeoutMs` →
 *   408, no replica reachable → 502; each with a one-line body and the connection closed.
 *   `parseHead()` / `hostName()` are the parser.
 */
export * from './tunnel.js'
export * from './ingress.js'
export { splice, type SpliceOptions, type SpliceResult } from './splice.js'
export { parseHead, hostName, type HeadResult } from './http-head.js'
