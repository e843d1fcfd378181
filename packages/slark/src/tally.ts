/**
 * The votes of one committee on one subject (a challenge of a provider in a slot, or an era
 * report): each member's BLS signature of the message its ballot stands for, checked on
 * arrival. A ballot that a strict majority of the committee signed is the quorum; its signatures
 * aggregate into one, with the signer bitmap over the committee's order — what the contracts
 * verify. A member's second, different ballot is equivocation: refused, and remembered.
 */
import { bitmapOf, blsAggregateSignatures, blsVerify, type Address, type Hex } from '@dcn/protocol'

export interface Member { address: Address, blsKey: Hex }

/** What a vote is for: `key` names the choice (e.g. "pass:0xabc…"), `message` is what BLS signs. */
export interface Ballot { key: string, message: Hex }

export interface Quorum {
  ballot: Ballot
  /** Signers in committee order. */
  signers: Address[]
  bitmap: bigint
  signature: Hex
}

export type VoteOutcome = 'added' | 'duplicate' | 'equivocation' | 'not a member' | 'bad signature'

export class Tally {
  private readonly index: Map<string, number>
  private readonly votes = new Map<number, { ballot: Ballot, sig: Hex }>()
  readonly equivocators = new Set<Address>()

  constructor (readonly committee: Member[]) {
    this.index = new Map(committee.map((m, i) => [m.address.toLowerCase(), i]))
  }

  /** A strict majority of the committee. */
  get threshold (): number { return Math.floor(this.committee.length / 2) + 1 }

  add (signer: Address, ballot: Ballot, sig: Hex): VoteOutcome {
    const i = this.index.get(signer.toLowerCase())
    if (i === undefined) return 'not a member'
    const prior = this.votes.get(i)
    if (prior !== undefined) {
      if (prior.ballot.key === ballot.key && prior.ballot.message === ballot.message) return 'duplicate'
      this.equivocators.add(this.committee[i].address)
      return 'equivocation'
    }
    if (!blsVerify(this.committee[i].blsKey, ballot.message, sig)) return 'bad signature'
    this.votes.set(i, { ballot, sig })
    return 'added'
  }

  /** Each member's ballot key so far (absent members are missing). */
  ballots (): Map<Address, string> {
    return new Map([...this.votes].map(([i, v]) => [this.committee[i].address, v.ballot.key]))
  }

  /** The ballot a strict majority signed, aggregated; null until there is one. */
  quorum (): Quorum | null {
    const groups = new Map<string, number[]>()
    for (const [i, v] of this.votes) {
      const id = `${v.ballot.key}|${v.ballot.message}`
      groups.set(id, [...(groups.get(id) ?? []), i])
    }
    for (const members of groups.values()) {
      if (members.length < this.threshold) continue
      members.sort((a, b) => a - b)
      const ballot = this.votes.get(members[0])!.ballot
      return {
        ballot,
        signers: members.map(i => this.committee[i].address),
        bitmap: bitmapOf(members),
        signature: blsAggregateSignatures(members.map(i => this.votes.get(i)!.sig))
      }
    }
    return null
  }
}
