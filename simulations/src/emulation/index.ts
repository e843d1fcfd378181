/**
 * Emulation mode (SPEC.md, Shape; issue 7 item 2): a scenario played by real dcn nodes — real
 * libp2p over TCP on 127.0.0.1, gossipsub, validators, bid engines and matchers — spread over
 * worker processes, with the scenario's latency injected on every connection, churn, users
 * publishing signed orders, and spammers and forgers on the wire.
 *
 * `runEmulation(scenario, { onProgress, log })` resolves with the run's `SimResults`: gossip
 * delivery over every (message, subscribed peer) pair, order → match latency after the bid
 * deadline and matches per second, node counts, the host's CPU use per second (emulated nodes
 * share its cores), and notes (per-topic delivery, adversaries, price dumpers' share, per-worker
 * event-loop delay, and what of the scenario was not emulated).
 * `simRuntime()` is the in-memory container runtime for providers that lease without Docker.
 */
export { runEmulation, type EmulationOptions } from './run.js'
export { simRuntime, type SimRuntime, type SimRuntimeOptions } from './sim-runtime.js'
