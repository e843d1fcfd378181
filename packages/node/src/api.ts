/** The node's HTTP API: `GET /status` (JSON) and `GET /metrics` (Prometheus text). */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Registry } from 'prom-client'

export interface ApiServer { port: number, close: () => Promise<void> }

export async function startApi (host: string, port: number, status: () => unknown, registry: Registry): Promise<ApiServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]
    const reply = (code: number, type: string, body: string): void => {
      res.writeHead(code, { 'content-type': type })
      res.end(body)
    }
    if (req.method !== 'GET') return reply(405, 'text/plain', 'method not allowed\n')
    if (path === '/status') {
      return reply(200, 'application/json', JSON.stringify(status(), (_k, v: unknown) => typeof v === 'bigint' ? v.toString() : v, 2) + '\n')
    }
    if (path === '/metrics') {
      registry.metrics().then(
        text => { reply(200, registry.contentType, text) },
        (err: Error) => { reply(500, 'text/plain', `metrics failed: ${err.message}\n`) }
      )
      return
    }
    reply(404, 'text/plain', 'not found: try /status or /metrics\n')
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => { resolve() })
  })
  return {
    port: (server.address() as AddressInfo).port,
    close: async () => { await new Promise<void>(resolve => { server.close(() => { resolve() }); server.closeAllConnections() }) }
  }
}
