/**
 * BLS on chain: the gas of Challenges.submitResult (hash to G2, G1 sums of the signers' keys,
 * a 2-pair pairing check, per-slark vote counts) for a 3-member committee (the devnet default)
 * and a 100-member one, on anvil's EIP-2537 precompiles. Each case is measured on a first
 * result (vote counters written from zero) and a second one (counters already set).
 */
import { keccak256, toHex } from 'viem'
import { bitmapOf, challengeCommittee, commitChallenge, submitChallengeResult, type Address } from '@dcn/protocol'
import { ChallengeNet } from '../test/helpers/committee.js'
import type { BenchResult } from '@dcn/protocol'

async function submitGas (net: ChallengeNet, provider: Address, signerCount: (committee: number) => number): Promise<{ committee: number, signers: number, gas: bigint }> {
  const { slot } = await net.nextSlot()
  const committee = (await challengeCommittee(net.foundation.c, net.d, slot, provider)).map(a => net.slark(a))
  await commitChallenge(committee[0].c, net.d, slot, provider, keccak256(toHex('puzzle')), keccak256(toHex('spec')))
  const n = signerCount(committee.length)
  const answerHash = keccak256(toHex(`answer ${slot}`))
  const signers = committee.slice(0, n)
  const { gasUsed } = await submitChallengeResult(net.outsider.c, net.d, {
    slot, provider, passed: true, answerHash, signers: bitmapOf(signers.map((_, i) => i)), signature: net.sign(signers, slot, provider, true, answerHash)
  })
  return { committee: committee.length, signers: n, gas: gasUsed }
}

async function measure (slarks: number, committeeSize: number): Promise<BenchResult[]> {
  const net = await ChallengeNet.start({ slarkTiers: Array(slarks).fill(6), providerTiers: [7], committeeSize })
  try {
    const provider = net.providers[0].address
    const cases: Array<[string, (n: number) => number]> = [['majority', n => Math.floor(n / 2) + 1], ['all', n => n]]
    const out: BenchResult[] = []
    for (const [label, count] of cases) {
      const first = await submitGas(net, provider, count)
      const second = await submitGas(net, provider, count)
      out.push({
        name: 'Challenges.submitResult gas',
        params: { committee: first.committee, signers: first.signers, signing: label, chain: 'anvil (EIP-2537 precompiles)' },
        results: { gas_first_result: Number(first.gas), gas_repeat_result: Number(second.gas) },
        note: 'first: the members\' vote counters go from zero; repeat: they are already set'
      })
    }
    return out
  } finally {
    await net.stop()
  }
}

export async function run (): Promise<BenchResult[]> {
  // 100 slarks with committee size 101: the committee is all 100 eligible slarks.
  return [...await measure(3, 3), ...await measure(100, 101)]
}
