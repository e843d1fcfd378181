/** What a challenge committee signs: the bytes Challenges.resultMessage builds on chain. */
import { encodeAbiParameters, keccak256 } from 'viem'
import type { Address, Hex } from '../types.js'

export const CHALLENGE_RESULT_DOMAIN = 'dcn/challenge-result/1'

export interface ChallengeVerdict {
  chainId: number
  /** The Challenges contract. */
  challenges: Address
  slot: bigint
  provider: Address
  passed: boolean
  /** Hash of the provider's answer the committee judged. */
  answerHash: Hex
}

/** keccak256(abi.encode(domain, chainId, challenges, slot, provider, passed, answerHash)): 32 bytes to BLS-sign. */
export function challengeResultMessage (v: ChallengeVerdict): Hex {
  return keccak256(encodeAbiParameters(
    [{ type: 'string' }, { type: 'uint256' }, { type: 'address' }, { type: 'uint256' }, { type: 'address' }, { type: 'bool' }, { type: 'bytes32' }],
    [CHALLENGE_RESULT_DOMAIN, BigInt(v.chainId), v.challenges, v.slot, v.provider, v.passed, v.answerHash]
  ))
}
