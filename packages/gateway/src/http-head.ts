/**
 * Just enough HTTP/1.x to route a connection by its first request's Host header: the request
 * line and header fields are checked (RFC 9112 syntax, no obsolete line folding, exactly one
 * Host), nothing else is interpreted. The connection's bytes, this head included, then go to the
 * backend unchanged, so keep-alive, bodies and upgrades work end to end.
 */

export type HeadResult =
  | { kind: 'incomplete' }
  | { kind: 'bad', status: 400 | 431, reason: string }
  | { kind: 'ok', host: string, headBytes: number }

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/
const REQUEST_LINE = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+) ([^\s\x00-\x1f\x7f]+) HTTP\/1\.([01])$/
/** Field values: visible characters, spaces and tabs, and obs-text (bytes ≥ 0x80, read as latin1). */
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/
const HOST_NAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/
const MAX_METHOD = 32

const bad = (reason: string, status: 400 | 431 = 400): HeadResult => ({ kind: 'bad', status, reason })

/** Where the head ends (after the blank line), or -1. Lines may end in CRLF or a bare LF. */
function headEnd (buf: Buffer, limit: number): number {
  let i = buf.indexOf(10)
  while (i !== -1 && i < limit) {
    const next = buf[i + 1]
    if (next === 10) return i + 2
    if (next === 13 && buf[i + 2] === 10) return i + 3
    i = buf.indexOf(10, i + 1)
  }
  return -1
}

/** Whether `prefix` (no complete line yet) can still start a valid request line. */
function plausibleStart (prefix: string): boolean {
  const sp = prefix.indexOf(' ')
  const method = sp === -1 ? prefix.replace(/\r$/, '') : prefix.slice(0, sp)
  if (method.length > MAX_METHOD) return false
  if (method.length > 0 && !TOKEN.test(method)) return false
  // Controls other than the line end cannot appear anywhere in a request line.
  return !/[\x00-\x0c\x0e-\x1f\x7f]/.test(prefix)
}

/** Takes the host name out of a Host value: port stripped, lowercased, trailing dot dropped. */
export function hostName (value: string): string | null {
  let v = value.trim().toLowerCase()
  if (v.startsWith('[')) {
    const close = v.indexOf(']')
    if (close === -1) return null
    const rest = v.slice(close + 1)
    if (rest !== '' && !/^:[0-9]{1,5}$/.test(rest)) return null
    const ip = v.slice(1, close)
    return /^[0-9a-f:.]+$/.test(ip) ? `[${ip}]` : null
  }
  const colon = v.lastIndexOf(':')
  if (colon !== -1) {
    if (!/^[0-9]{1,5}$/.test(v.slice(colon + 1))) return null
    v = v.slice(0, colon)
  }
  if (v.endsWith('.')) v = v.slice(0, -1)
  if (v.length === 0 || v.length > 253 || !HOST_NAME.test(v)) return null
  return v
}

/**
 * Looks at the bytes read so far from a connection. `maxBytes` bounds the head (431 past it);
 * garbage is recognised as soon as the first bytes cannot start a request line.
 */
export function parseHead (buf: Buffer, maxBytes = 16 * 1024): HeadResult {
  const end = headEnd(buf, maxBytes)
  if (end === -1) {
    const firstLf = buf.indexOf(10)
    const firstLine = buf.subarray(0, firstLf === -1 ? Math.min(buf.length, maxBytes) : firstLf).toString('latin1')
    if (!plausibleStart(firstLine)) return bad('not an HTTP/1.x request')
    if (firstLf !== -1 && !REQUEST_LINE.test(firstLine.replace(/\r$/, ''))) return bad('malformed request line')
    if (buf.length >= maxBytes) return bad(`request head over ${maxBytes} bytes`, 431)
    return { kind: 'incomplete' }
  }
  const lines = buf.subarray(0, end).toString('latin1').split('\n').map(l => l.endsWith('\r') ? l.slice(0, -1) : l)
  // The head ends with an empty line, so the last two entries are ''.
  lines.length -= 2
  const m = REQUEST_LINE.exec(lines[0] ?? '')
  if (m === null) return bad('malformed request line')
  const version = m[3]
  const hosts: string[] = []
  for (const line of lines.slice(1)) {
    if (line.startsWith(' ') || line.startsWith('\t')) return bad('obsolete line folding')
    const colon = line.indexOf(':')
    if (colon <= 0) return bad('malformed header line')
    const name = line.slice(0, colon)
    if (!TOKEN.test(name)) return bad('malformed header name')
    const value = line.slice(colon + 1)
    if (!FIELD_VALUE.test(value)) return bad(`control characters in header ${name}`)
    if (name.toLowerCase() === 'host') hosts.push(value)
  }
  if (hosts.length > 1) return bad('more than one Host header')
  if (hosts.length === 0) return bad(version === '1' ? 'no Host header' : 'no Host header (needed to route HTTP/1.0)')
  const host = hostName(hosts[0])
  if (host === null) return bad('malformed Host header')
  return { kind: 'ok', host, headBytes: end }
}
