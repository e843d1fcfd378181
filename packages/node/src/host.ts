/**
 * The one libp2p stack every role runs: TCP (+ circuit-relay-v2 transport, DCUtR), Noise, Yamux,
 * identify, ping, kad-dht and gossipsub, with per-node Prometheus metrics; a gateway adds the
 * circuit-relay-v2 server.
 */
import { createHash } from 'node:crypto'
import { createLibp2p, type Libp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify, type Identify } from '@libp2p/identify'
import { ping, type Ping } from '@libp2p/ping'
import type { KadDHT } from '@libp2p/kad-dht'
import { gossipsub, type GossipSub } from '@libp2p/gossipsub'
import { createTopicScoreParams } from '@libp2p/gossipsub/score'
import { circuitRelayServer, circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { dcutr } from '@libp2p/dcutr'
import type { PeerId, PrivateKey } from '@libp2p/interface'
import type { Registry } from 'prom-client'
import { PROTOCOLS, TOPICS } from '@dcn/protocol'
import { delayedTransport, type DrawDelay } from './network/link-delay.js'

export type HostServices = {
  identify: Identify
  ping: Ping
  /** Absent on a fizz node. */
  dht?: KadDHT
  pubsub: GossipSub
}
export type Host = Libp2p<HostServices>

export interface HostOptions {
  privateKey: PrivateKey
  listen: string[]
  announce?: string[]
  /** A light client (quote, deploy) runs the DHT in client mode and accepts no relay hops. */
  client?: boolean
  /** No DHT at all (a fizz node talks to its gateway only). */
  noDht?: boolean
  /** Libp2p metrics go here; omit to run without metrics (benchmarks). */
  registry?: Registry
  maxConnections?: number
  /**
   * Run a circuit-relay-v2 server (a gateway for its fizz nodes). Reservations carry no data or
   * time limit, and only peers `allowReservation` accepts get one.
   */
  relay?: { allowReservation: (peer: PeerId) => Promise<boolean> }
  /**
   * Ping every connection every 10 s over a stream of its own (libp2p's connection monitor), to
   * notice a dead link within seconds: a fizz node and its gateway need that. Without it a dead
   * link is closed by yamux's keepalive (a ping frame every 30 s, unanswered for 30 s; see
   * patches/). Measured here: a monitor ping (a stream open, protocol negotiation, a peer-store
   * write) costs its two ends ~1.9 ms of CPU; 40 idle nodes with ~20 links each spent 5.3 ms of
   * CPU per node per second with the monitor and 1.8 without.
   */
  pingPeers?: boolean
  /** Simulations: hold every chunk received over TCP for a drawn one-way delay (network/link-delay.ts). */
  linkDelay?: DrawDelay
}

/**
 * Gossipsub scoring: every dcn topic penalises invalid messages hard, so a peer that sends
 * garbage, forgeries or replays goes negative at once and is graylisted soon after.
 */
const topicScore = createTopicScoreParams({
  topicWeight: 1,
  timeInMeshWeight: 0.01,
  timeInMeshQuantum: 1000,
  timeInMeshCap: 100,
  firstMessageDeliveriesWeight: 0.5,
  firstMessageDeliveriesDecay: 0.9,
  firstMessageDeliveriesCap: 20,
  meshMessageDeliveriesWeight: 0,
  meshFailurePenaltyWeight: 0,
  invalidMessageDeliveriesWeight: -20,
  invalidMessageDeliveriesDecay: 0.9
})

/** How many kad-closest peers kad-dht keeps linked (its PEER_SET_SIZE). */
const KAD_CLOSEST_PEERS = 20

/** Content-addressed message ids: the same payload relayed twice is one message. */
function contentId (msg: { data: Uint8Array }): Uint8Array {
  return createHash('sha256').update(msg.data).digest().subarray(0, 20)
}

export async function createHost (opts: HostOptions): Promise<Host> {
  const relay = opts.relay
  // Loaded only when used: a fizz node runs neither, and every module costs memory on a laptop.
  const dht = opts.noDht === true ? undefined : await import('@libp2p/kad-dht')
  const prometheus = opts.registry === undefined ? undefined : await import('@libp2p/prometheus-metrics')
  const maxConnections = opts.maxConnections ?? 300
  // Room for kad-dht's closest peers twice over; below that, kad must not hold or open links itself.
  const roomForKad = maxConnections > 2 * KAD_CLOSEST_PEERS
  return await createLibp2p({
    privateKey: opts.privateKey,
    addresses: { listen: opts.listen, announce: opts.announce ?? [] },
    transports: [opts.linkDelay === undefined ? tcp() : delayedTransport(tcp(), opts.linkDelay), circuitRelayTransport()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionMonitor: { enabled: opts.pingPeers === true },
    connectionManager: {
      maxConnections,
      // Many local nodes dial the same bootstrap node at once on a devnet.
      inboundConnectionThreshold: 1000,
      maxIncomingPendingConnections: 200
    },
    connectionGater: relay === undefined ? undefined : { denyInboundRelayReservation: async (peer: PeerId) => !(await relay.allowReservation(peer)) },
    metrics: opts.registry === undefined || prometheus === undefined ? undefined : prometheus.prometheusMetrics({ registry: opts.registry, collectDefaultMetrics: false, preserveExistingMetrics: true }),
    services: {
      identify: identify(),
      ping: ping(),
      ...(dht === undefined ? {} : {
        dht: dht.kadDHT({
          protocol: PROTOCOLS.kad,
          clientMode: opts.client === true,
          // A light client's lookups go to the bootstrap peer it has just connected; without this
          // its first lookup waits out a self-query that finds nothing (about 6 s).
          allowQueryWithZeroPeers: opts.client === true,
          // Keep private and loopback addresses: devnets and LANs are first-class.
          peerInfoMapper: dht.passthroughMapper,
          // kad-dht keeps links to its 20 closest peers open (keep-alive tags, patched to be
          // optional). Under a cap of a few dozen links that fights the connection manager — a
          // link pruned, redialled, pruned again, a Noise handshake each time: at 500 emulated
          // nodes capped at 20 links, CPU 1.94 → 1.44 cores and heartbeat delivery 88 → 100 %.
          closestPeersKeepAlive: roomForKad,
          // Those tags are redone every 5 s by default (a set difference and peer-store writes,
          // ~2.5 % of a provider's CPU at 500 emulated nodes); the closest peers change slowly.
          closestPeerSetRefreshInterval: 30_000,
          // Every peer named in a DHT answer is dialled to verify it before it enters the routing
          // table (patched to be optional). Under a small link cap each of those links is pruned
          // again at once: at 500 emulated nodes that was the largest source of new links. Such
          // nodes add only the peers they are linked to anyway.
          dialNewContacts: roomForKad
        })
      }),
      // Relayed connections (to a fizz node) are upgraded to direct ones where the addresses allow.
      dcutr: dcutr(),
      ...(relay === undefined ? {} : { relay: circuitRelayServer({ reservations: { applyDefaultLimit: false, maxReservations: 1024 } }) }),
      pubsub: gossipsub({
        allowPublishToZeroTopicPeers: true,
        ignoreDuplicatePublishError: true,
        // IDONTWANT pays off for large messages; every dcn message is a few hundred bytes to a
        // few KiB, and an IDONTWANT costs each mesh peer a frame of its own per message.
        idontwantMinDataSize: 16 * 1024,
        msgIdFn: contentId,
        fastMsgIdFn: (msg) => createHash('sha1').update(msg.data ?? new Uint8Array()).digest('base64'),
        scoreParams: {
          topics: Object.fromEntries(Object.values(TOPICS).map(t => [t, topicScore])),
          topicScoreCap: 10,
          // Devnets and simulations put every node on loopback.
          IPColocationFactorWhitelist: new Set(['127.0.0.1', '::1'])
        }
      })
    }
  })
}

/** Parts of the gossipsub implementation that its public interface does not declare. */
export interface GossipInternals {
  getScore: (peerId: string) => number
  getMeshPeers: (topic: string) => string[]
}
export const gossipInternals = (host: Host): GossipInternals => host.services.pubsub as unknown as GossipInternals
