/**
 * The gossip envelope: UTF-8 JSON `{ "v": 1, "type", "body", "sig" }`, bigints as decimal
 * strings, at most 64 KiB. `decode` never throws: it returns a reason instead.
 */
import { MAX_MESSAGE_BYTES, PROTOCOL_VERSION } from './constants.js'
import { BODY_SCHEMAS } from './messages.js'
import { SchemaError, hex } from './schema.js'
import type { MessageKind, SignedMessage } from './types.js'

const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { fatal: true })
const sigSchema = hex(65)

/** JSON with bigints as decimal strings. */
export function toJson (value: unknown, space?: number): string {
  return JSON.stringify(value, (_k, v: unknown) => typeof v === 'bigint' ? v.toString() : v, space)
}

export function encode (msg: SignedMessage): Uint8Array {
  const bytes = encoder.encode(toJson({ v: PROTOCOL_VERSION, type: msg.type, body: msg.body, sig: msg.sig }))
  if (bytes.length > MAX_MESSAGE_BYTES) throw new Error(`${msg.type} message is ${bytes.length} bytes, over the ${MAX_MESSAGE_BYTES}-byte limit`)
  return bytes
}

export type Decoded = { ok: true, msg: SignedMessage } | { ok: false, reason: string }

export function decode (data: Uint8Array): Decoded {
  if (data.length > MAX_MESSAGE_BYTES) return { ok: false, reason: `oversized: ${data.length} bytes` }
  let raw: unknown
  try {
    raw = JSON.parse(decoder.decode(data))
  } catch {
    return { ok: false, reason: 'not UTF-8 JSON' }
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { ok: false, reason: 'envelope: expected an object' }
  const { v, type, body, sig, ...rest } = raw as Record<string, unknown>
  if (Object.keys(rest).length > 0) return { ok: false, reason: `envelope: unknown field ${Object.keys(rest)[0]}` }
  if (v !== PROTOCOL_VERSION) return { ok: false, reason: `envelope: unsupported version ${String(v)}` }
  if (typeof type !== 'string' || !Object.hasOwn(BODY_SCHEMAS, type)) return { ok: false, reason: `envelope: unknown type ${String(type).slice(0, 32)}` }
  try {
    const kind = type as MessageKind
    return { ok: true, msg: { type: kind, body: BODY_SCHEMAS[kind](body, 'body'), sig: sigSchema(sig, 'sig') } as SignedMessage }
  } catch (err) {
    if (err instanceof SchemaError) return { ok: false, reason: `schema: ${err.message}` }
    return { ok: false, reason: 'schema: invalid' }
  }
}
