/**
 * @dcn/slark — the slark role (SPEC.md, Slark): challenge scheduler, proof-of-capacity checks,
 * BLS quorum and era reports.
 *
 * Not built yet: a `dcn node --role slark` today runs the common libp2p stack and relays the
 * market topics, nothing more. This package fills in with the slark issue.
 */
export {}
