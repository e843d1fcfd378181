/**
 * A small schema library for data from the network and from files: each parser takes an
 * unknown value and a path, returns a typed value or throws a SchemaError naming the path.
 * Objects reject unknown keys, so a message that parses is exactly what its type says.
 */
import type { Address, Hex } from './types.js'

export class SchemaError extends Error {
  constructor (readonly path: string, readonly problem: string) {
    super(`${path === '' ? 'value' : path}: ${problem}`)
    this.name = 'SchemaError'
  }
}

export type Parser<T> = (value: unknown, path: string) => T
export type Parsed<P> = P extends Parser<infer T> ? T : never

const join = (path: string, key: string | number): string =>
  typeof key === 'number' ? `${path}[${key}]` : path === '' ? key : `${path}.${key}`

export function str (opts: { min?: number, max?: number, pattern?: RegExp } = {}): Parser<string> {
  const { min = 0, max = 256, pattern } = opts
  return (v, path) => {
    if (typeof v !== 'string') throw new SchemaError(path, `expected a string, got ${typeName(v)}`)
    if (v.length < min) throw new SchemaError(path, min === 1 ? 'must not be empty' : `must be at least ${min} characters`)
    if (v.length > max) throw new SchemaError(path, `must be at most ${max} characters`)
    if (pattern != null && !pattern.test(v)) throw new SchemaError(path, `does not match ${String(pattern)}`)
    return v
  }
}

/** A non-negative safe integer (JSON number). */
export function uint (max = Number.MAX_SAFE_INTEGER, min = 0): Parser<number> {
  return (v, path) => {
    if (typeof v !== 'number' || !Number.isInteger(v)) throw new SchemaError(path, `expected an integer, got ${typeName(v)}`)
    if (v < min || v > max) throw new SchemaError(path, `must be between ${min} and ${max}, got ${v}`)
    return v
  }
}

/** A uint256 carried as a decimal string. */
export function uint256 (opts: { positive?: boolean } = {}): Parser<bigint> {
  return (v, path) => {
    if (typeof v !== 'string' || !/^(0|[1-9]\d{0,77})$/.test(v)) throw new SchemaError(path, 'expected a decimal integer string')
    const n = BigInt(v)
    if (n >= 2n ** 256n) throw new SchemaError(path, 'does not fit in uint256')
    if (opts.positive === true && n === 0n) throw new SchemaError(path, 'must be greater than zero')
    return n
  }
}

export function hex (bytes?: number): Parser<Hex> {
  const re = bytes === undefined ? /^0x([0-9a-fA-F]{2})*$/ : new RegExp(`^0x[0-9a-fA-F]{${bytes * 2}}$`)
  return (v, path) => {
    if (typeof v !== 'string' || !re.test(v)) throw new SchemaError(path, bytes === undefined ? 'expected 0x-hex bytes' : `expected ${bytes} bytes as 0x-hex`)
    return v.toLowerCase() as Hex
  }
}

export const address: Parser<Address> = (v, path) => {
  if (typeof v !== 'string' || !/^0x[0-9a-fA-F]{40}$/.test(v)) throw new SchemaError(path, 'expected a 20-byte 0x address')
  return v.toLowerCase() as Address
}

export function bool (): Parser<boolean> {
  return (v, path) => {
    if (typeof v !== 'boolean') throw new SchemaError(path, `expected true or false, got ${typeName(v)}`)
    return v
  }
}

export function oneOf<T extends string> (...values: T[]): Parser<T> {
  return (v, path) => {
    if (typeof v !== 'string' || !(values as string[]).includes(v)) throw new SchemaError(path, `expected one of ${values.join(', ')}`)
    return v as T
  }
}

export function arr<T> (item: Parser<T>, max = 64): Parser<T[]> {
  return (v, path) => {
    if (!Array.isArray(v)) throw new SchemaError(path, `expected a list, got ${typeName(v)}`)
    if (v.length > max) throw new SchemaError(path, `must have at most ${max} items`)
    return v.map((x, i) => item(x, join(path, i)))
  }
}

export function obj<S extends Record<string, Parser<unknown>>> (shape: S): Parser<{ [K in keyof S]: Parsed<S[K]> }> {
  const keys = Object.keys(shape)
  return (v, path) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new SchemaError(path, `expected an object, got ${typeName(v)}`)
    for (const k of Object.keys(v)) {
      if (!(k in shape)) throw new SchemaError(join(path, k), 'unknown field')
    }
    const out: Record<string, unknown> = {}
    for (const k of keys) out[k] = shape[k]((v as Record<string, unknown>)[k], join(path, k))
    return out as { [K in keyof S]: Parsed<S[K]> }
  }
}

export function typeName (v: unknown): string {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'a list'
  if (v === undefined) return 'nothing'
  return typeof v === 'object' ? 'an object' : `${typeof v} ${JSON.stringify(v)?.slice(0, 40) ?? ''}`.trim()
}
