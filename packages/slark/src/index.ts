/**
 * @dcn/slark — the slark role (SPEC.md, Slark): who is challenged when, what a challenge asks
 * for, how a committee's votes become one on-chain result.
 *
 * - `schedule`: slots and epochs; `slotProviders` (new registrations, then the epoch's plan,
 *   which covers every provider once an epoch).
 * - `challengeSpec`: a uniform share in [0, 90%] of the provider's free registered capacity,
 *   drawn from the slot seed.
 * - `judge` / `ballotOf`: a member's verdict on a provider's answer and the message it BLS-signs.
 * - `Tally`: one committee's votes, checked on arrival; a strict majority aggregates.
 * - `Slark`: the loop — lead (commit, reveal), ask (fizz nodes of one gateway in one request,
 *   its sealed aggregate verified with `verifySubnetAnswer`), judge, vote (carrying this member's
 *   timings of the others' votes), tally, submit — over a `SlarkEnv` (chain, network, keys) that
 *   the `dcn` node provides.
 * - `EraObserver`: heartbeats and votes seen on gossip; `slarkResponse`, a slark's response time
 *   from its peers' timings (lower median per challenge).
 * - `EraSettler`: the era reports, voted and settled; `fetchSettledEra` / `answerEraRequest`:
 *   settled eras served and fetched between slarks (`/dcn/era/1.0.0`), checked against the chain.
 */
export * from './schedule.js'
export * from './challenge-spec.js'
export * from './verdict.js'
export * from './tally.js'
export * from './slark.js'
export * from './observer.js'
export * from './era-input.js'
export * from './era-settler.js'
export * from './era-sync.js'
