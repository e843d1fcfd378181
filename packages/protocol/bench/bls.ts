/**
 * BLS off chain: verifying the aggregate of 100 signers of one message (what a slark checks
 * before co-signing or relaying a committee verdict), from hex keys and signature. Warm: the
 * committee's keys were seen before (they recur every slot) and are kept decompressed; cold: a
 * key set never seen, so decompressing 100 keys is included. Also the pieces around it.
 */
import { keccak256, toHex } from 'viem'
import {
  type BenchResult, type Hex, BLS_BACKEND, blsAggregateSignatures, blsFastAggregateVerify, blsPopProve, blsPopVerify, blsSign, blsVerify, generateBlsKey
} from '../src/index.js'

function timeMs (rounds: number, fn: () => unknown): number[] {
  const out: number[] = []
  for (let i = 0; i < rounds; i++) {
    const t = performance.now()
    fn()
    out.push(performance.now() - t)
  }
  return out
}

function percentile (xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.ceil(p / 100 * s.length) - 1)]
}

const ms = (x: number): number => Number(x.toFixed(3))

export async function run (): Promise<BenchResult[]> {
  const signers = 100
  const rounds = 300
  const message = keccak256(toHex('a committee verdict'))
  const committee = (): { pks: Hex[], sigs: Hex[], aggregate: Hex } => {
    const keys = Array.from({ length: signers }, () => generateBlsKey())
    const sigs = keys.map(k => blsSign(k.secretKey, message))
    return { pks: keys.map(k => k.publicKey), sigs, aggregate: blsAggregateSignatures(sigs) }
  }
  const cold = Array.from({ length: 20 }, committee).map(({ pks, aggregate }) => timeMs(1, () => {
    if (!blsFastAggregateVerify(pks, message, aggregate)) throw new Error('the 100-signer aggregate does not verify')
  })[0])
  const { pks, sigs, aggregate } = committee()
  timeMs(20, () => blsFastAggregateVerify(pks, message, aggregate)) // warm-up
  const verify = timeMs(rounds, () => blsFastAggregateVerify(pks, message, aggregate))
  const aggregateTimes = timeMs(50, () => blsAggregateSignatures(sigs))
  const single = timeMs(200, () => blsVerify(pks[0], message, sigs[0]))
  const popKey = generateBlsKey()
  const pop = blsPopProve(popKey.secretKey)
  const popVerify = timeMs(10, () => blsPopVerify(popKey.publicKey, pop))
  const p50 = percentile(verify, 50)
  return [{
    name: 'verify a 100-signer BLS aggregate (fast-aggregate-verify, one message)',
    params: { signers, rounds, coldRounds: cold.length, backend: BLS_BACKEND },
    results: {
      p50_ms: ms(p50),
      p99_ms: ms(percentile(verify, 99)),
      cold_p50_ms: ms(percentile(cold, 50)),
      aggregate_100_signatures_p50_ms: ms(percentile(aggregateTimes, 50)),
      verify_single_p50_ms: ms(percentile(single, 50)),
      pop_verify_p50_ms: ms(percentile(popVerify, 50))
    },
    target: { p50_ms: '< 5', cold_p50_ms: '< 5' },
    baseline: { p50_ms: 'verify_single_p50_ms' },
    pass: BLS_BACKEND === 'blst-native' && p50 < 5 && percentile(cold, 50) < 5,
    note: 'proofs of possession use @noble/curves (JavaScript): blst\'s binding signs with the message DST only; they run once per registration'
  }]
}
