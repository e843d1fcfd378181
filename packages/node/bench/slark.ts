/**
 * Slark challenges on a devnet, end to end: from a slot's start to the committee's result on
 * chain (commit the puzzle, reveal, the provider proves in a container, three slarks verify and
 * vote, one aggregate BLS signature submitted and verified by the Challenges contract). Three
 * providers join, each is challenged in the slot after it registered; the time is the result's
 * block time minus its slot's start. Also the era: from an era's end to its report settled.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { privateKeyToAccount } from 'viem/accounts'
import { ChallengesAbi, challengeResults, eraRecord, nextEra, read, settlementClients } from '@dcn/protocol'
import { startDevnet } from '../src/devnet/devnet.js'
import { silent } from '../src/log.js'
import type { BenchResult } from '@dcn/protocol'

const SLOT_SECONDS = 10
const ERA_SLOTS = 6
const PROVIDERS = 3

export async function run (): Promise<BenchResult[]> {
  const dataDir = mkdtempSync(join(tmpdir(), 'dcn-bench-slark-'))
  const devnet = await startDevnet({ dataDir, providers: PROVIDERS, matchers: 1, slarks: 3, slotSeconds: SLOT_SECONDS, eraSlots: ERA_SLOTS, log: silent })
  try {
    const chain = devnet.info.chain!
    const d = chain.deployment
    const c = settlementClients(chain.rpcUrl, chain.chainId, privateKeyToAccount(`0x${'22'.repeat(32)}`))
    const genesis = Number(await read<bigint>(c, 'genesis', { address: d.challenges, abi: ChallengesAbi, functionName: 'genesis' }))
    const until = Date.now() + 240_000
    let results = await challengeResults(c, d)
    while (new Set(results.map(r => r.provider)).size < PROVIDERS && Date.now() < until) {
      await new Promise(resolve => setTimeout(resolve, 1000))
      results = await challengeResults(c, d)
    }
    const latencies = await Promise.all(results.map(async r => Number((await c.public.getBlock({ blockNumber: r.block })).timestamp) - (genesis + Number(r.slot) * SLOT_SECONDS)))
    while (await nextEra(c, d) < 1n && Date.now() < until) await new Promise(resolve => setTimeout(resolve, 1000))
    const era0 = await eraRecord(c, d, 0n)
    const eraEnd = genesis + ERA_SLOTS * SLOT_SECONDS
    const sorted = [...latencies].sort((a, b) => a - b)
    const p50 = sorted[Math.floor((sorted.length - 1) / 2)]
    return [{
      name: 'slark challenge: slot start → result on chain',
      params: { slotSeconds: SLOT_SECONDS, slarks: 3, providers: PROVIDERS, results: latencies.length },
      results: { p50Seconds: p50 ?? NaN, maxSeconds: sorted.at(-1) ?? NaN, eraSettledSecondsAfterEnd: era0.settledAt === 0n ? NaN : Number(era0.settledAt) - eraEnd },
      note: 'devnet, whole seconds of block time. A challenge spans commit, reveal, the prover container (its spec scales its work: up to 90% of a devnet provider\'s 512 MiB + 256 MiB at a random CPU share), verification by each member, votes on gossip and one aggregate BLS submission. An era report is computed a slot after its grace (2 slots + 30 s, for late results) and settled once a majority signed it.'
    }]
  } finally {
    await devnet.stop()
    rmSync(dataDir, { recursive: true, force: true })
  }
}
