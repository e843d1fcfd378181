/**
 * WebAssembly keccak from hash-wasm, loaded from its keccak-only build: the package index
 * bundles every algorithm (270 KB of source, about 10 MB more memory in every process — which a
 * fizz node on a laptop notices).
 */
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
export const { createKeccak } = require('hash-wasm/dist/keccak.umd.min.js') as Pick<typeof import('hash-wasm'), 'createKeccak'>
