/**
 * EIP-712 `hashTypedData` for a fixed set of struct types, with the WebAssembly keccak and the
 * type hashes and domain separators computed once. Every node computes a digest for every
 * gossip message it receives (to recover its signer); viem's general version re-derives the
 * type strings and re-validates the types on each call and hashes in JavaScript, which made it
 * the largest single cost of message validation. Values are checked as strictly as viem does
 * (an out-of-range integer or a malformed address throws), and tests compare both on random
 * bodies of every type.
 */
import { bytesToHex } from 'viem'
import { keccak256Bytes, uint256Word } from './keccak-wasm.js'

export interface TypedField { name: string, type: string }
export type StructTypes = Record<string, readonly TypedField[]>

const encoder = new TextEncoder()
const HEX = /^0x[0-9a-fA-F]*$/

function hexOf (value: unknown, bytes: number | null, what: string): Uint8Array {
  if (typeof value !== 'string' || !HEX.test(value) || value.length % 2 !== 0 || (bytes !== null && value.length !== 2 + 2 * bytes)) {
    throw new Error(`${what}: expected ${bytes === null ? 'hex bytes' : `${bytes} bytes of hex`}, got ${String(value)}`)
  }
  return Buffer.from(value.slice(2), 'hex')
}

function uintWord (value: unknown, bits: number, what: string): Uint8Array {
  const n = typeof value === 'number' && Number.isSafeInteger(value) ? BigInt(value) : value
  if (typeof n !== 'bigint' || n < 0n || n >= 1n << BigInt(bits)) throw new Error(`${what}: not a uint${bits}: ${String(value)}`)
  return uint256Word(n)
}

/** Hashes structs of `types` (and their nested structs and arrays) under fixed domains. */
export function structHasher (types: StructTypes): {
  hashStruct: (primary: string, value: Record<string, unknown>) => Uint8Array
  hashTypedData: (domainSeparator: Uint8Array, primary: string, value: Record<string, unknown>) => `0x${string}`
} {
  const deps = (name: string, found = new Set<string>()): Set<string> => {
    if (found.has(name) || types[name] === undefined) return found
    found.add(name)
    for (const f of types[name]) deps(f.type.replace(/\[\]$/, ''), found)
    return found
  }
  const typeHashes = new Map<string, Uint8Array>()
  for (const name of Object.keys(types)) {
    const others = [...deps(name)].filter(d => d !== name).sort()
    const encodeType = [name, ...others].map(t => `${t}(${types[t].map(f => `${f.type} ${f.name}`).join(',')})`).join('')
    typeHashes.set(name, keccak256Bytes(encoder.encode(encodeType)))
  }

  const encodeValue = (type: string, value: unknown, what: string): Uint8Array => {
    if (type.endsWith('[]')) {
      if (!Array.isArray(value)) throw new Error(`${what}: expected an array`)
      const inner = type.slice(0, -2)
      return keccak256Bytes(...value.map((v, i) => encodeValue(inner, v, `${what}[${i}]`)))
    }
    if (types[type] !== undefined) {
      if (typeof value !== 'object' || value === null) throw new Error(`${what}: expected a ${type}`)
      return hashStruct(type, value as Record<string, unknown>)
    }
    if (type === 'string') {
      if (typeof value !== 'string') throw new Error(`${what}: expected a string`)
      return keccak256Bytes(encoder.encode(value))
    }
    if (type === 'bytes') return keccak256Bytes(hexOf(value, null, what))
    if (type === 'address') {
      const w = new Uint8Array(32)
      w.set(hexOf(value, 20, what), 12)
      return w
    }
    if (type === 'bool') {
      if (typeof value !== 'boolean') throw new Error(`${what}: expected a bool`)
      return uint256Word(value ? 1 : 0)
    }
    if (type === 'bytes32') return hexOf(value, 32, what)
    const uint = /^uint(\d+)$/.exec(type)
    if (uint !== null) return uintWord(value, Number(uint[1]), what)
    throw new Error(`${what}: unsupported EIP-712 type ${type}`)
  }

  function hashStruct (primary: string, value: Record<string, unknown>): Uint8Array {
    const fields = types[primary]
    const typeHash = typeHashes.get(primary)
    if (fields === undefined || typeHash === undefined) throw new Error(`unknown struct type ${primary}`)
    return keccak256Bytes(typeHash, ...fields.map(f => encodeValue(f.type, value[f.name], `${primary}.${f.name}`)))
  }

  return {
    hashStruct,
    hashTypedData: (domainSeparator, primary, value) =>
      bytesToHex(keccak256Bytes(Uint8Array.of(0x19, 0x01), domainSeparator, hashStruct(primary, value)))
  }
}

const domainHasher = structHasher({
  EIP712Domain: [{ name: 'name', type: 'string' }, { name: 'version', type: 'string' }, { name: 'chainId', type: 'uint256' }]
})

/** The separator of the domain `{ name, version, chainId }`. */
export function domainSeparator (name: string, version: string, chainId: number): Uint8Array {
  return domainHasher.hashStruct('EIP712Domain', { name, version, chainId })
}
