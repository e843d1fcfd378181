/**
 * The slark role in a `dcn` node: registers on chain with its BLS key (and proof of possession),
 * then runs the challenge loop of @dcn/slark over this node's chain clients, libp2p host and
 * gossip. Providers are asked directly; fizz nodes through their gateway.
 */
import { peerIdFromString } from '@libp2p/peer-id'
import type { LocalAccount } from 'viem/accounts'
import {
  CHALLENGE_PROTOCOL, Frames, MAX_PROOF_BYTES, ROLE_IDS, TOPICS, blsRegistration, challengeAnswerSigner, nodeRecord, parseChallengeAnswer,
  registerNode, signChallengeRequest, type Address, type ChallengeAnswer, type Deployment, type SettlementClients
} from '@dcn/protocol'
import { Slark } from '@dcn/slark'
import type { NodeConfig } from '../../config.js'
import type { Host } from '../../host.js'
import { loadBlsKey } from '../../identity.js'
import type { Logger } from '../../log.js'
import type { NodeMetrics } from '../../metrics.js'
import type { Gossip } from '../../network/gossip.js'
import { slarkChain } from './chain.js'

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

export async function startSlark ({ host, gossip, config, c, d, wallet, peerId, metrics, log }: SlarkNodeOptions): Promise<{ slark: Slark, stop: () => void }> {
  const key = loadBlsKey(config.dataDir)
  if (await registerNode(c, d, 'slark', peerId, config.provider.region, blsRegistration(key))) log.info('registered on chain', { registry: d.registry })
  const chain = await slarkChain(c, d)

  /** Who answers for a provider: itself, or a fizz node's gateway. */
  const peerOf = async (provider: Address): Promise<string> => {
    const r = await nodeRecord(c, d, provider)
    if (r.role !== ROLE_IDS.fizz) return r.peerId
    return (await nodeRecord(c, d, r.gateway)).peerId
  }

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
      ask: async (provider, req, timeoutMs): Promise<ChallengeAnswer> => {
        const signal = AbortSignal.timeout(timeoutMs)
        const stream = await host.dialProtocol(peerIdFromString(await peerOf(provider)), CHALLENGE_PROTOCOL, { signal })
        const frames = new Frames(stream, MAX_PROOF_BYTES + 64 * 1024)
        try {
          await frames.writeJson(req)
          const answer = await frames.readJson(timeoutMs) as { ok?: boolean, error?: string }
          if (answer.ok === false) throw new Error(`refused: ${answer.error ?? 'no reason given'}`)
          return parseChallengeAnswer(answer, 'answer')
        } finally {
          await frames.close().catch(() => {})
        }
      },
      answerSigner: async (a) => await challengeAnswerSigner(config.chainId, a),
      publishReveal: async (body) => { await gossip.publish('challenge-reveal', body) },
      publishVote: async (body) => { await gossip.publish('challenge-vote', body) }
    },
    onVote: (v) => { metrics.challengeVotes.inc({ verdict: v.passed ? 'pass' : 'fail' }) },
    onResult: (_slot, _provider, passed, mine) => { if (mine) metrics.challengeResults.inc({ result: passed ? 'passed' : 'failed' }) },
    onResponse: (ms) => { metrics.challengeSeconds.observe(ms / 1000) }
  })
  const offReveal = gossip.on('challenge-reveal', async (m) => { await slark.onReveal(m.body) })
  const offVote = gossip.on('challenge-vote', async (m) => { await slark.onVote(m.body) })
  for (const t of [TOPICS.orders, TOPICS.matches, TOPICS.heartbeats]) gossip.join(t)
  slark.start()
  log.info('slark running', { slotSeconds: chain.clock.slotSeconds, deadlineMs: config.slark.deadlineMs, lie: config.slark.lie || undefined })
  return { slark, stop: () => { slark.stop(); offReveal(); offVote() } }
}
