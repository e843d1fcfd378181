/**
 * @dcn/gateway — the gateway role (SPEC.md, Fizz nodes and gateways): circuit-relay server for
 * its fizz nodes, fizz registry polled over /dcn/fizz/1.0.0, subnet bidding and tunnels.
 *
 * Not built yet: a `dcn node --role gateway` today runs the common libp2p stack and relays the
 * market topics, nothing more. This package fills in with the fizz/gateway issue.
 */
export {}
