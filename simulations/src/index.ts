/**
 * @dcn/simulations — the research harness (SPEC.md, Shape): scenarios, in-process emulation
 * with the real protocol code, model mode, reports.
 */
export type * from './scenario/types.js'
export type * from './results/types.js'
