/**
 * @dcn/simulations — the research harness (SPEC.md, Shape): scenarios, in-process emulation
 * with the real protocol code, model mode, reports.
 *
 * Not built yet: it fills in with the simulation issue. The market benchmark
 * (packages/node/bench) already drives many real nodes in worker processes.
 */
export {}
