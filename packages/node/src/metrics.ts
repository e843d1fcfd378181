/**
 * The node's counters, registered on a per-node prom-client registry that libp2p's own
 * metrics share, so `GET /metrics` serves both. One registry per node keeps several nodes in one
 * process (benchmarks, simulations) apart.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client'

export class NodeMetrics {
  readonly messages: Counter<'topic' | 'result'>
  readonly rejected: Counter<'topic' | 'reason'>
  readonly ordersSeen: Counter
  readonly bidsSent: Counter
  readonly bidsSkipped: Counter<'reason'>
  readonly matchesMade: Counter
  readonly noMatches: Counter<'reason'>
  readonly decisionsWithheld: Counter
  readonly reservations: Gauge
  readonly heartbeatsSent: Counter
  readonly publishedToNoPeers: Counter<'type'>
  readonly orderDelay: Histogram
  readonly gossipRepairs: Counter
  readonly leasesRunning: Gauge
  readonly deploys: Counter<'result'>
  readonly deploySeconds: Histogram
  readonly containerEvents: Counter<'kind'>
  readonly accessRequests: Counter<'op' | 'result'>
  readonly challengesAnswered: Counter<'result'>
  readonly challengeVotes: Counter<'verdict'>
  readonly challengeResults: Counter<'result'>
  readonly challengeSeconds: Histogram

  constructor (readonly registry: Registry = new Registry()) {
    const r = [registry]
    this.messages = new Counter({ name: 'dcn_gossip_messages_total', help: 'Gossip messages validated, by topic and result', labelNames: ['topic', 'result'], registers: r })
    this.rejected = new Counter({ name: 'dcn_messages_rejected_total', help: 'Gossip messages rejected, by topic and reason', labelNames: ['topic', 'reason'], registers: r })
    this.ordersSeen = new Counter({ name: 'dcn_orders_seen_total', help: 'Valid orders received', registers: r })
    this.bidsSent = new Counter({ name: 'dcn_bids_sent_total', help: 'Bids published', registers: r })
    this.bidsSkipped = new Counter({ name: 'dcn_bids_skipped_total', help: 'Orders not bid on, by reason', labelNames: ['reason'], registers: r })
    this.matchesMade = new Counter({ name: 'dcn_matches_made_total', help: 'Matches published', registers: r })
    this.noMatches = new Counter({ name: 'dcn_no_matches_total', help: 'Orders with no winner, by reason', labelNames: ['reason'], registers: r })
    this.decisionsWithheld = new Counter({ name: 'dcn_decisions_withheld_total', help: 'Decisions not published because another matcher had published the same one first', registers: r })
    this.reservations = new Gauge({ name: 'dcn_reservations_active', help: 'Capacity reservations held for bids', registers: r })
    this.heartbeatsSent = new Counter({ name: 'dcn_heartbeats_sent_total', help: 'Heartbeats published', registers: r })
    this.publishedToNoPeers = new Counter({ name: 'dcn_published_to_no_peers_total', help: 'Messages published while no connected peer was subscribed to their topic', labelNames: ['type'], registers: r })
    this.gossipRepairs = new Counter({ name: 'dcn_gossip_link_repairs_total', help: 'Connections closed because gossipsub never exchanged subscriptions on them', registers: r })
    this.leasesRunning = new Gauge({ name: 'dcn_leases_running', help: 'Leases with a workload on this provider', registers: r })
    this.deploys = new Counter({ name: 'dcn_deploys_total', help: 'Manifest deliveries, by result', labelNames: ['result'], registers: r })
    this.deploySeconds = new Histogram({ name: 'dcn_deploy_seconds', help: 'Manifest received → every replica running', buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60], registers: r })
    this.containerEvents = new Counter({ name: 'dcn_container_events_total', help: 'Container events of leases (die, oom, restart, …)', labelNames: ['kind'], registers: r })
    this.accessRequests = new Counter({ name: 'dcn_lease_requests_total', help: 'Lease access requests, by operation and result', labelNames: ['op', 'result'], registers: r })
    this.challengesAnswered = new Counter({ name: 'dcn_challenges_answered_total', help: 'Challenges this provider answered, by result (proof, error, refused)', labelNames: ['result'], registers: r })
    this.challengeVotes = new Counter({ name: 'dcn_challenge_votes_total', help: 'Challenge verdicts this slark signed, by verdict', labelNames: ['verdict'], registers: r })
    this.challengeResults = new Counter({ name: 'dcn_challenge_results_total', help: 'Committee results this slark put on chain or saw land, by result', labelNames: ['result'], registers: r })
    this.challengeSeconds = new Histogram({ name: 'dcn_challenge_response_seconds', help: 'Challenge request → answer, as this slark measured it', buckets: [0.5, 1, 2, 5, 10, 20, 30, 60], registers: r })
    this.orderDelay = new Histogram({ name: 'dcn_order_delivery_seconds', help: 'Time from an order\'s creation to its arrival here', buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5], registers: r })
  }
}
