/**
 * The BLS12-381 backend: `@chainsafe/bls` on its blst-native implementation (@chainsafe/blst
 * 2.2.0, N-API; ~1.4 ms for a 100-key fast-aggregate-verify).
 *
 * It is loaded through its explicit `blst-native` entry point, never the package root: the root
 * silently falls back to herumi (WebAssembly, ~7× slower) when blst does not load. Without blst
 * BLS_BACKEND is 'unavailable' and every BLS call throws a BlsError that says so.
 *
 * @chainsafe/bls 8.2.0 declares the peer range @chainsafe/blst ^1.0.0, a version never
 * published; its blst-native code is written against the 2.x API and works with 2.2.0 for what
 * is used here (keygen, sign, verify, aggregation, fast-aggregate-verify, uncompressed
 * serialization; tested), so the root package.json allows 2.2.0 for that peer. Its
 * `verifyMultiple` is broken on 2.x (it calls a missing `isInfinity` and answers false) and is
 * not used.
 */
import type { IBls } from '@chainsafe/bls/types'

/** A BLS input that cannot be used (malformed bytes, no backend); the message says what to fix. */
export class BlsError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'BlsError'
  }
}

let impl: IBls | undefined
let loadError = ''
try {
  impl = (await import('@chainsafe/bls/blst-native')).bls
} catch (err) {
  loadError = (err as Error).message.split('\n')[0]
}

/** Which BLS backend runs; nodes log it at start. */
export const BLS_BACKEND: 'blst-native' | 'unavailable' = impl?.implementation === 'blst-native' ? 'blst-native' : 'unavailable'

export function backend (): IBls {
  if (impl === undefined) throw new BlsError(`BLS needs the native blst binding (@chainsafe/blst 2.2.0), which did not load on this platform: ${loadError}`)
  return impl
}
