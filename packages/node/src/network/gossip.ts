/**
 * Gossip at the edge: one validator per topic (schema, signature, expiry, replay, sender),
 * results fed back to gossipsub so invalid senders are scored down, and accepted messages
 * dispatched to the handlers registered per message kind. Handlers never see an unvalidated
 * message, and a handler that throws is logged, never fatal.
 */
import { TopicValidatorResult } from '@libp2p/gossipsub'
import type { Message } from '@libp2p/gossipsub'
import type { PeerId } from '@libp2p/interface'
import type { LocalAccount } from 'viem/accounts'
import {
  GossipValidator, KIND_TOPIC, encode, sign,
  type MessageBodies, type MessageKind, type SenderPolicy, type SignedMessage, type Topic
} from '@dcn/protocol'
import type { Host } from '../host.js'
import type { NodeMetrics } from '../metrics.js'
import type { Logger } from '../log.js'

export type Handler<K extends MessageKind> = (msg: SignedMessage<K>, from: string) => void | Promise<void>

export interface GossipOptions {
  host: Host
  chainId: number
  wallet: LocalAccount
  metrics: NodeMetrics
  log: Logger
  senderPolicy?: SenderPolicy
}

const RESULT = { accept: TopicValidatorResult.Accept, reject: TopicValidatorResult.Reject, ignore: TopicValidatorResult.Ignore }

export class Gossip {
  readonly validator: GossipValidator
  private readonly handlers = new Map<MessageKind, Array<Handler<MessageKind>>>()
  /** Decoded form of each accepted payload, handed from the validator to the message event. */
  private readonly accepted = new WeakMap<Uint8Array, SignedMessage>()
  private readonly topics = new Set<Topic>()
  private readonly observers: Array<(msg: SignedMessage, from: string) => void> = []

  constructor (private readonly opts: GossipOptions) {
    this.validator = new GossipValidator({ chainId: opts.chainId, senderPolicy: opts.senderPolicy })
    opts.host.services.pubsub.addEventListener('message', (evt) => { this.deliver(evt.detail) })
  }

  /** Registers a handler and subscribes to the topic that carries this kind; returns a function that removes the handler. */
  on<K extends MessageKind> (kind: K, handler: Handler<K>): () => void {
    const list = this.handlers.get(kind) ?? []
    list.push(handler as Handler<MessageKind>)
    this.handlers.set(kind, list)
    this.join(KIND_TOPIC[kind])
    return () => {
      const i = list.indexOf(handler as Handler<MessageKind>)
      if (i >= 0) list.splice(i, 1)
    }
  }

  /** Calls `fn` for every accepted message of every topic this node has joined, without joining any (measurements). */
  observe (fn: (msg: SignedMessage, from: string) => void): void {
    this.observers.push(fn)
  }

  /** Subscribes (and validates) a topic without handling it, e.g. to relay it. */
  join (topic: Topic): void {
    if (this.topics.has(topic)) return
    this.topics.add(topic)
    const pubsub = this.opts.host.services.pubsub
    pubsub.topicValidators.set(topic, async (peer, msg) => await this.validate(topic, msg, msg.type === 'signed' && !msg.from.equals(peer)))
    pubsub.subscribe(topic)
  }

  /** Signs a body with this node's wallet and publishes it on its topic. */
  async publish<K extends MessageKind> (type: K, body: MessageBodies[K]): Promise<{ msg: SignedMessage<K>, recipients: number }> {
    const msg = await sign(this.opts.wallet, this.opts.chainId, type, body)
    const recipients = await this.publishSigned(msg as SignedMessage)
    return { msg, recipients }
  }

  async publishSigned (msg: SignedMessage): Promise<number> {
    const res = await this.opts.host.services.pubsub.publish(KIND_TOPIC[msg.type], encode(msg))
    if (res.recipients.length === 0) {
      this.opts.metrics.publishedToNoPeers.inc({ type: msg.type })
      this.opts.log.debug('published to no peers', { type: msg.type })
    }
    return res.recipients.length
  }

  /** Calls `fn` with the peer whenever a connected peer announces a subscription to one of `topics` (once per announcement); returns a remover. */
  onPeerSubscribed (topics: readonly Topic[], fn: (peer: PeerId) => void): () => void {
    const pubsub = this.opts.host.services.pubsub
    const listener = (evt: CustomEvent<{ peerId: PeerId, subscriptions: Array<{ topic: string, subscribe: boolean }> }>): void => {
      if (evt.detail.subscriptions.some(s => s.subscribe && topics.includes(s.topic as Topic))) fn(evt.detail.peerId)
    }
    pubsub.addEventListener('subscription-change', listener)
    return () => { pubsub.removeEventListener('subscription-change', listener) }
  }

  /** Peers subscribed to a topic among those we are connected to. */
  subscribers (topic: Topic): number {
    return this.opts.host.services.pubsub.getSubscribers(topic).length
  }

  private async validate (topic: Topic, msg: Message, relayed: boolean): Promise<TopicValidatorResult> {
    const verdict = await this.validator.validate(topic, msg.data, { relayed })
    this.opts.metrics.messages.inc({ topic, result: verdict.result })
    if (verdict.result === 'accept') {
      this.accepted.set(msg.data, verdict.msg)
    } else {
      if (verdict.result === 'reject') this.opts.metrics.rejected.inc({ topic, reason: verdict.reason.split(':')[0] })
      this.opts.log.debug(`gossip ${verdict.result}`, { topic, reason: verdict.reason, from: msg.type === 'signed' ? msg.from.toString() : '' })
    }
    return RESULT[verdict.result]
  }

  private deliver (message: Message): void {
    const msg = this.accepted.get(message.data)
    if (msg === undefined) return
    this.accepted.delete(message.data)
    const from = message.type === 'signed' ? message.from.toString() : ''
    for (const fn of this.observers) {
      try { fn(msg, from) } catch (err) { this.opts.log.error('gossip observer failed', { error: (err as Error).message }) }
    }
    for (const handler of this.handlers.get(msg.type) ?? []) {
      Promise.resolve()
        .then(async () => { await handler(msg, from) })
        .catch((err: Error) => { this.opts.log.error(`${msg.type} handler failed`, { error: err.message }) })
    }
  }
}
