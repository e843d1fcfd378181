import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { encodeAbiParameters, getAddress, keccak256 } from 'viem'
import { canChallenge, committeeOf, drawCommittee, type Address, type Hex, type RosterMember } from '../src/index.js'
import { hash, prng, randomAddress } from './fixtures.js'

const rand = prng(9380)

const provider = randomAddress(rand)
/** Seven slarks, tiers 0 (unset) and 1–6. */
const roster: RosterMember[] = [0, 1, 2, 3, 4, 5, 6].map(tier => ({ address: randomAddress(rand), tier }))
const seeds: Hex[] = Array.from({ length: 200 }, (_, i) => hash(`seed ${i}`))

test('slark tier s challenges provider tiers ≥ 7 − s; an unset slark tier counts as 1', () => {
  assert.ok(canChallenge(1, 6) && canChallenge(1, 7) && !canChallenge(1, 5))
  assert.ok(canChallenge(6, 1) && canChallenge(6, 7))
  assert.ok(canChallenge(0, 6) && !canChallenge(0, 5))
  assert.ok(!canChallenge(3, 3) && canChallenge(3, 4))
})

test('the same seed and provider give the same committee; members are distinct and eligible', () => {
  for (const seed of seeds.slice(0, 20)) {
    const c = committeeOf(seed, provider, roster, 7, 3)
    assert.equal(committeeOf(seed, provider, roster, 7, 3), c)
    assert.is(c.length, 3)
    assert.is(new Set(c).size, 3)
    // Provider tier 3: only slark tiers 4–6 may challenge it.
    const low = committeeOf(seed, provider, roster, 3, 3)
    for (const a of low) assert.ok((roster.find(s => s.address === a)?.tier ?? 0) >= 4, `${a} may not challenge tier 3`)
  }
})

test('seeds and providers spread the seats over every eligible slark', () => {
  const seats = new Map<Address, number>()
  for (const seed of seeds) for (const a of committeeOf(seed, provider, roster, 7, 3)) seats.set(a, (seats.get(a) ?? 0) + 1)
  assert.is(seats.size, roster.length)
  // 600 seats over 7 slarks: ~86 each; a fixed or biased draw would leave some far off.
  for (const [a, n] of seats) assert.ok(n > 40 && n < 140, `${a} got ${n} of 600 seats`)
  const other = randomAddress(rand)
  assert.ok(seeds.slice(0, 20).some(s => committeeOf(s, other, roster, 7, 3).join() !== committeeOf(s, provider, roster, 7, 3).join()), 'the provider changes the draw')
})

test('with no more eligible slarks than the size, the committee is all of them in roster order', () => {
  // Provider tier 1: only the tier-6 slark.
  assert.equal(committeeOf(seeds[0], provider, roster, 1, 3), [roster[6].address])
  // Provider tier 2: tiers 5 and 6.
  assert.equal(committeeOf(seeds[0], provider, roster, 2, 3), [roster[5].address, roster[6].address])
  assert.equal(committeeOf(seeds[0], provider, roster, 7, 7), roster.map(s => s.address))
  assert.equal(committeeOf(seeds[0], provider, [], 7, 3), [])
})

/** The draw as first written, with viem's keccak and a full copy of the pool: the reference. */
function referenceDraw (seed: Hex, provider: Address, pool: Address[], size: number): Address[] {
  pool = [...pool]
  if (pool.length <= size) return pool
  for (let i = 0; i < size; i++) {
    const r = BigInt(keccak256(encodeAbiParameters([{ type: 'bytes32' }, { type: 'address' }, { type: 'uint256' }], [seed, provider, BigInt(i)])))
    const j = i + Number(r % BigInt(pool.length - i))
    ;[pool[i], pool[j]] = [pool[j], pool[i]]
  }
  return pool.slice(0, size)
}

test('the WebAssembly draw picks exactly what the viem reference picks', () => {
  for (let k = 0; k < 300; k++) {
    const pool = Array.from({ length: 1 + Math.floor(rand() * 40) }, () => randomAddress(rand))
    const size = 1 + Math.floor(rand() * 9)
    // checksummed (mixed-case) addresses too
    const who = k % 2 === 0 ? randomAddress(rand) : getAddress(randomAddress(rand))
    assert.equal(drawCommittee(seeds[k % seeds.length], who, pool, size), referenceDraw(seeds[k % seeds.length], who, pool, size))
  }
})

test.run()
