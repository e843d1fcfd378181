/** BLS12-381 (min-pk) for slark and matcher votes: see each module. */
export { BLS_BACKEND, BlsError } from './backend.js'
export type { BlsBytes } from './bytes.js'
export * from './signatures.js'
export * from './pop.js'
export * from './eip2537.js'
export * from './bitmap.js'
