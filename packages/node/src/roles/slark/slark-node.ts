/**
 * The slark role in a `dcn` node: registers on chain with its BLS key (and proof of possession)
 * and the provider it delegates its era rewards to, then runs the challenge loop and the era
 * settlement of @dcn/slark over this node's chain clients, libp2p host and gossip. Providers are
 * asked directly; fizz nodes through their gateway, several in one request.
 */
import { peerIdFromString } from '@libp2p/peer-id'
import type { Stream } from '@libp2p/interface'
import type { LocalAccount } from 'viem/accounts'
import {
  CHALLENGE_PROTOCOL, DEFAULT_ERA_PARAMS, Frames, MAX_PROOF_BYTES, MAX_SUBNET_BATCH, ROLE_IDS, RewardsAbi, SUBNET_CHALLENGE_PROTOCOL, TOPICS, assembleSubnetAnswer,
  read, blsRegistration, challengeAnswerSigner, nodeRecord, parseChallengeAnswer, parseSubnetEntry, parseSubnetSeal, registerNode, signChallengeRequest,
  type Address, type ChallengeAnswer, type Deployment, type SettlementClients, type SubnetChallengeAnswer, type SubnetEntry
} from '@dcn/protocol'
import { EraObserver, Slark, slotAt, type EraSettler } from '@dcn/slark'
import { join } from 'node:path'
import { zeroAddress } from 'viem'
import { encodeSlarkAttributes, settledEraHash, startEraSettlement } from './era.js'
import { startEraSync } from './era-sync.js'
import type { NodeConfig } from '../../config.js'
import type { Host } from '../../host.js'
import { loadBlsKey } from '../../identity.js'
import type { Logger } from '../../log.js'
import type { NodeMetrics } from '../../metrics.js'
import type { Gossip } from '../../network/gossip.js'
import { slarkChain } from './chain.js'

/** How long a member keeps dialing a provider it cannot reach yet. */
const DIAL_RETRY_MS = 10_000
/** How long a leader waits for the rest of its committee to subscribe to the attestations before revealing. */
const REVEAL_WAIT_MS = 4_000

export interface SlarkNodeOptions {
  host: Host
  gossip: Gossip
  config: NodeConfig
  c: SettlementClients
  d: Deployment
  wallet: LocalAccount
  peerId: string
  metrics: NodeMetrics
  log: Logger
}

export async function startSlark ({ host, gossip, config, c, d, wallet, peerId, metrics, log }: SlarkNodeOptions): Promise<{ slark: Slark, eras: EraSettler, observer: EraObserver, stop: () => void }> {
  const key = loadBlsKey(config.dataDir)
  const attributes = encodeSlarkAttributes(config.slark.delegateTo ?? zeroAddress, config.slark.optIn)
  if (await registerNode(c, d, 'slark', peerId, config.provider.region, blsRegistration(key), attributes)) log.info('registered on chain', { registry: d.registry, delegateTo: config.slark.delegateTo, optIn: config.slark.optIn })
  const chain = await slarkChain(c, d)

  /** Who answers for a provider: itself, or a fizz node's gateway. */
  const peerOf = async (provider: Address): Promise<string> => {
    const r = await nodeRecord(c, d, provider)
    if (r.role !== ROLE_IDS.fizz) return r.peerId
    return (await nodeRecord(c, d, r.gateway)).peerId
  }

  /**
   * Dials a provider or gateway, retrying for a while when its addresses are not known yet: a
   * newcomer is challenged in the slot after it registered, often before it has joined the mesh.
   */
  const dial = async (peerId: string, protocol: string, timeoutMs: number): Promise<Stream> => {
    const peer = peerIdFromString(peerId)
    const until = Date.now() + Math.min(DIAL_RETRY_MS, timeoutMs / 2)
    for (;;) {
      try {
        return await host.dialProtocol(peer, protocol, { signal: AbortSignal.timeout(timeoutMs) })
      } catch (err) {
        if (Date.now() >= until) throw err
        await new Promise(resolve => setTimeout(resolve, 1000))
      }
    }
  }

  // What the era reports will need: heartbeats (uptime) and the committees' measured responses.
  const observer = new EraObserver()
  const slark = new Slark({
    me: wallet.address.toLowerCase() as Address,
    chainId: config.chainId,
    challenges: d.challenges,
    blsSecret: key.secretKey,
    signRequest: async (r) => await signChallengeRequest(wallet, config.chainId, r),
    chain,
    deadlineMs: config.slark.deadlineMs,
    lie: config.slark.lie,
    log,
    net: {
      ask: async (provider, req, timeoutMs, onAccepted): Promise<ChallengeAnswer> => {
        const until = Date.now() + timeoutMs
        const stream = await dial(await peerOf(provider), CHALLENGE_PROTOCOL, timeoutMs)
        const frames = new Frames(stream, MAX_PROOF_BYTES + 64 * 1024)
        try {
          await frames.writeJson(req)
          const ack = await frames.readJson(Math.max(1, until - Date.now())) as { ok?: boolean, error?: string, accepted?: boolean }
          if (ack.accepted !== true) throw new Error(`refused: ${ack.error ?? 'no reason given'}`)
          onAccepted()
          const answer = await frames.readJson(Math.max(1, until - Date.now())) as { ok?: boolean, error?: string }
          if (answer.ok === false) throw new Error(`refused: ${answer.error ?? 'no reason given'}`)
          return parseChallengeAnswer(answer, 'answer')
        } finally {
          await frames.close().catch(() => {})
        }
      },
      askSubnet: async (gateway, req, timeoutMs, onAccepted, onEntry): Promise<SubnetChallengeAnswer> => {
        const until = Date.now() + timeoutMs
        const stream = await dial((await nodeRecord(c, d, gateway)).peerId, SUBNET_CHALLENGE_PROTOCOL, timeoutMs)
        const frames = new Frames(stream, MAX_PROOF_BYTES + 64 * 1024)
        try {
          await frames.writeJson(req)
          const ack = await frames.readJson(Math.max(1, until - Date.now())) as { error?: string, accepted?: boolean }
          if (ack.accepted !== true) throw new Error(`refused: ${ack.error ?? 'no reason given'}`)
          onAccepted()
          // Entries as the fizz nodes answer, then the gateway's seal.
          const entries: SubnetEntry[] = []
          for (;;) {
            const frame = await frames.readJson(Math.max(1, until - Date.now())) as { kind?: string, ok?: boolean, error?: string }
            if (frame.ok === false) throw new Error(`refused: ${frame.error ?? 'no reason given'}`)
            if (frame.kind === 'seal') return assembleSubnetAnswer(entries, parseSubnetSeal(frame, 'seal'))
            if (entries.length >= MAX_SUBNET_BATCH) throw new Error('the gateway sent more entries than it was asked for')
            const entry = parseSubnetEntry(frame, `entries[${entries.length}]`)
            entries.push(entry)
            onEntry(entry)
          }
        } finally {
          await frames.close().catch(() => {})
        }
      },
      answerSigner: async (a) => await challengeAnswerSigner(config.chainId, a),
      publishReveal: async (body) => {
        // Gossip does not replay a message to peers that join later: in the first slots, give the
        // other committee members a moment to subscribe before the puzzle goes out.
        const others = (await chain.committee(body.slot, body.provider)).filter(m => m.address.toLowerCase() !== wallet.address.toLowerCase())
        const peers = await Promise.all(others.map(async m => (await nodeRecord(c, d, m.address)).peerId))
        const until = Date.now() + REVEAL_WAIT_MS
        const subscribed = (): boolean => {
          const subscribers = new Set(host.services.pubsub.getSubscribers(TOPICS.attestations).map(String))
          return peers.every(p => subscribers.has(p))
        }
        while (!subscribed() && Date.now() < until) await new Promise(resolve => setTimeout(resolve, 250))
        await gossip.publish('challenge-reveal', body)
      },
      publishVote: async (body) => {
        // Gossip does not hand a node its own messages: observe our vote here.
        observer.vote(body.provider, body.slot, body.slark, body.responseMs, body.seen)
        await gossip.publish('challenge-vote', body)
      }
    },
    onVote: (v) => { metrics.challengeVotes.inc({ verdict: v.passed ? 'pass' : 'fail' }) },
    onResult: (_slot, _provider, passed, mine) => { if (mine) metrics.challengeResults.inc({ result: passed ? 'passed' : 'failed' }) },
    onResponse: (ms) => { metrics.challengeSeconds.observe(ms / 1000) }
  })
  // A gateway's heartbeat vouches for the fizz nodes that answered its last poll (they publish none).
  const offBeat = gossip.on('heartbeat', (m) => {
    observer.heartbeat(m.body.wallet, m.body.createdMs)
    for (const fizz of m.body.subnet) observer.heartbeat(fizz, m.body.createdMs)
  })
  const offReveal = gossip.on('challenge-reveal', async (m) => { await slark.onReveal(m.body) })
  const offVote = gossip.on('challenge-vote', async (m) => {
    observer.vote(m.body.provider, m.body.slot, m.body.slark, m.body.responseMs, m.body.seen)
    await slark.onVote(m.body)
  })
  // Two days of observations is more than any era report still to compute needs.
  const prune = setInterval(() => {
    const before = Date.now() - 2 * 86_400_000
    observer.prune(before, slotAt(chain.clock, before / 1000))
  }, 3_600_000)
  prune.unref()
  for (const t of [TOPICS.orders, TOPICS.matches]) gossip.join(t)
  slark.start()
  const eraSlots = Number(await read<bigint>(c, 'reading the era length', { address: d.rewards, abi: RewardsAbi, functionName: 'eraSlots' }))
  const erasDir = join(config.dataDir, 'eras')
  // Settled eras served to other slarks, and fetched from them when this one lacks an era's histories.
  const sync = await startEraSync({ host, dir: erasDir, c, d, chain, me: wallet.address.toLowerCase() as Address, peerId, settledHash: async (era) => await settledEraHash(c, d, era), log })
  const eras = startEraSettlement({
    dir: erasDir, fetchSettled: sync.fetchSettled, c, d, chain, observer, me: wallet.address.toLowerCase() as Address, blsSecret: key.secretKey, chainId: config.chainId, eraSlots,
    heartbeatMs: config.heartbeatMs,
    params: { ...DEFAULT_ERA_PARAMS, baseRewardPerHour: config.slark.baseRewardPerHour, stakeThresholds: config.slark.stakeThresholds, slarkTierSlots: config.slark.tierSlots },
    publishVote: async (body) => { await gossip.publish('era-vote', body) },
    log
  })
  const offEraVote = gossip.on('era-vote', async (m) => { await eras.onVote(m.body) })
  log.info('slark running', { slotSeconds: chain.clock.slotSeconds, eraSlots, deadlineMs: config.slark.deadlineMs, lie: config.slark.lie || undefined })
  return { slark, eras, observer, stop: () => { slark.stop(); eras.stop(); sync.stop(); clearInterval(prune); offBeat(); offReveal(); offVote(); offEraVote() } }
}
