/**
 * @dcn/protocol — the pure protocol, no sockets.
 *
 * - `types`: Order, Bid, Match, NoMatch, Heartbeat and their parts.
 * - `encode` / `decode`: the JSON gossip envelope (64 KiB max; decode never throws).
 * - `BODY_SCHEMAS`: strict schemas of every body; `schema` combinators for configs.
 * - `sign` / `verifySignature` / `digest`: EIP-712 with viem, domain `{ name: 'dcn', version: '1', chainId }`.
 * - `GossipValidator`: the per-topic validation pipeline (accept / reject / ignore with a reason).
 * - `selectWinner` / `scoreBid` / `explain`: the deterministic match score and no-match reasons.
 * - `parseManifest`: the YAML manifest → OrderSpec, errors with field and line.
 * - `Frames`: length-prefixed JSON and channel frames over a libp2p stream (no sockets of its own).
 * - access: signed manifest delivery and lease requests (status, events, logs, exec) of a lease's owner.
 * - order-book: `/dcn/bids/1.0.0`, a client asking a matcher for the bids of an order it decided.
 * - units: CPU, sizes, durations, token amounts.
 * - `bls`: min-pk BLS12-381 with blst (`BLS_BACKEND`): keys, sign/verify, aggregation,
 *   fast-aggregate-verify, proofs of possession, EIP-2537 point encodings, signer bitmaps.
 * - `keccak256Bytes`: synchronous WebAssembly keccak256 over byte parts (with `hexBytes`, `uint256Word`).
 * - `challenge`: the slark committee draw (`committeeOf`, as Challenges.sol draws; `drawCommittee`
 *   from a pre-filtered pool) and the
 *   verdict a committee signs (`challengeResultMessage`), and the signed `/dcn/challenge/1.0.0`
 *   requests of committee slarks and providers' answers; `/dcn/challenge/subnet/1.0.0`, a
 *   gateway's sealed aggregate of its fizz nodes' answers (`signSubnetSeal`, `verifySubnetAnswer`).
 * - `era`: tiers, liveness rewards, slashing and slark rewards of one era (`computeEra`), and the
 *   report's ABI encoding and hash that slarks sign (`eraReportHash`).
 * - proof of capacity — `verifyCapacityProof(puzzle, spec, proof)` (→ ok, or the failed
 *   part and why), `decodeCapacityProof` / `encodeCapacityProof` (canonical hex JSON), `proofHash`,
 *   `capacityLayout` / `capacityQueries`, and `capacityProverScript()`, the prover program the
 *   challenge container runs.
 * - `settlement`: the contracts' ABIs, deployment and operations with viem (escrow, registry,
 *   staking, leases, challenges, era rewards: `submitEraReport`, `eraMessage`); every failure
 *   is a one-line SettlementError.
 */
export * from './constants.js'
export * from './types.js'
export * from './schema.js'
export * from './units.js'
export * from './messages.js'
export * from './envelope.js'
export * from './eip712.js'
export { SECP256K1_BACKEND, recoverDigestSigner, walletFromKey } from './secp256k1.js'
export * from './validate.js'
export * from './score.js'
export { keccak256Bytes, hexBytes, uint256Word } from './keccak-wasm.js'
export * from './manifest.js'
export * from './access.js'
export * from './order-book.js'
export * from './frames.js'
export * from './pricing.js'
export * from './bls/index.js'
export * from './challenge/index.js'
export * from './settlement/index.js'
export * from './era/index.js'
export type { BenchResult } from './bench-result.js'
