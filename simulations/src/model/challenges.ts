/**
 * One challenge slot, as the slarks run it: the slot's providers from the epoch plan
 * (`planEpoch`, `providersForSlot`, `newcomers` — the schedule the real slarks compute), each
 * provider's committee (`drawCommittee`, the Challenges contract's draw from the slarks that may
 * challenge its tier), the spec (`challengeSpec`) and the committee's strict majority (the
 * `Tally` threshold).
 *
 * What replaces the network: the provider's answer is decided, not computed — an offline node
 * does not answer; a spoofer fails when the drawn spec exceeds its real free capacity (the
 * prover is OOM-killed or misses the deadline in the real network). An honest node's spec is at
 * most 90 % of its free capacity, so it passes without drawing it. Honest slarks vote the truth,
 * lying slarks its opposite, lazy slarks not at all; without a majority no result goes on chain.
 */
import { drawCommittee, type Address, type Hex } from '@dcn/protocol'
import { challengeSpec, epochOf, firstSlotOf, newcomers, planEpoch, providersForSlot, Tally, type EpochPlan, type ScheduledProvider } from '@dcn/slark'
import { eraMs, type Ctx } from './context.js'
import { isOnline, minus, nodeOf, type Node, type Slark } from './world.js'

/** Committee size of the Challenges contract's deployment (2N + 1, N = 1). */
export const COMMITTEE_SIZE = 3
/** Processing a slark adds to a vote, and a provider to its acknowledgement, ms. */
const SLARK_WORK_MS = 10
const PROVIDER_WORK_MS = 5

/** One challenge's votes, reused (challenges run one at a time): the voters, their ballots, their measured acknowledgements. */
const VOTERS: Slark[] = []
const VOTES: boolean[] = []
const ACKS: number[] = []

const thresholds = new Map<number, number>()
/** The Tally's strict majority for a committee of n. */
function threshold (n: number): number {
  let t = thresholds.get(n)
  if (t === undefined) {
    const members = Array.from({ length: n }, (_, i) => ({ address: `0x${i.toString(16).padStart(40, '0')}` as Address, blsKey: '0x' as Hex }))
    thresholds.set(n, t = new Tally(members).threshold)
  }
  return t
}

export interface SlotState {
  plan: EpochPlan | null
  /** Newcomers challenged earlier in the epoch (they are challenged once). */
  challenged: Set<string>
}

const scheduled = (c: Ctx, n: Node): ScheduledProvider => ({ address: n.address, registeredAt: c.genesis + Math.floor(n.registeredAt / 1000), reports: n.reports })

export function runSlot (c: Ctx, st: SlotState, slot: number): void {
  const slotStartMs = slot * c.s.timing.slotMs
  const epoch = epochOf(slot)
  if (st.plan === null || st.plan.epoch !== epoch) {
    const epochStartMs = firstSlotOf(epoch) * c.s.timing.slotMs
    const previousStart = epoch === 0 ? -Infinity : c.genesis + (firstSlotOf(epoch - 1) * c.s.timing.slotMs) / 1000
    const seed = c.rng.chain.hex32()
    const live = c.nodes.filter(n => n.leftAt === null && n.registeredAt <= epochStartMs).map(n => scheduled(c, n))
    st.plan = planEpoch(epoch, seed, live, previousStart)
    st.challenged = new Set()
  }
  const clock = { genesis: c.genesis, slotSeconds: c.slotSeconds }
  const epochStartMs = firstSlotOf(epoch) * c.s.timing.slotMs
  // only nodes registered since the epoch started can be newcomers: no need to pass all of them
  // (joiners are appended in time order, so they are at the end of the list)
  const recent: ScheduledProvider[] = []
  for (let i = c.nodes.length - 1; i >= 0 && c.nodes[i].registeredAt > epochStartMs; i--) {
    if (c.nodes[i].leftAt === null) recent.push(scheduled(c, c.nodes[i]))
  }
  const fresh = newcomers(clock, slot, recent).filter(a => !st.challenged.has(a))
  for (const a of fresh) st.challenged.add(a)
  const seed = c.rng.chain.hex32()
  const at = slotStartMs + 1000
  const eraStartMs = Math.floor(slotStartMs / eraMs(c)) * eraMs(c)
  const eraSecond = Math.floor((slotStartMs - eraStartMs) / 1000)
  for (const list of [fresh, providersForSlot(st.plan, slot)]) {
    for (const address of list) {
      const node = nodeOf(c, address)
      if (node === undefined || node.leftAt !== null) continue
      challenge(c, node, seed, at, eraSecond)
    }
  }
}

function challenge (c: Ctx, node: Node, seed: Hex, at: number, eraSecond: number): void {
  const committee = drawCommittee(seed, node.address, c.pools[node.tier - 1], COMMITTEE_SIZE)
  if (committee.length === 0) { c.noCommittee++; return }
  const online = isOnline(node, at)
  let truth = online
  if (online && node.spoofer) {
    const spec = challengeSpec(seed, node.address, node.registered, node.inUse)
    const free = minus(node.real, node.inUse)
    truth = spec.cpu <= free.cpu && spec.memory <= free.memory && spec.disk <= free.storage && spec.gpu <= free.gpuUnits
  }
  // the acknowledgement travels provider → slark (through the gateway for a fizz node)
  const roundTrip = c.roundTrip[node.kind === 'fizz' ? 1 : 0]
  let cast = 0
  let passes = 0
  for (let k = 0; k < committee.length; k++) {
    const slark = c.slarkByAddress.get(committee[k])!
    slark.seated++
    if (slark.lazy) continue
    const ack = PROVIDER_WORK_MS + roundTrip()
    VOTERS[cast] = slark
    VOTES[cast] = slark.lying ? !truth : truth
    ACKS[cast] = Math.round(ack)
    if (VOTES[cast]) passes++
    cast++
  }
  const need = threshold(committee.length)
  const passed = passes >= need ? true : cast - passes >= need ? false : null
  if (passed === null) { c.noQuorum++; return }
  c.challenges++
  node.challenged = true
  node.tasksAssigned++
  if (passed) node.tasksCompleted++
  else {
    node.failedChallenges.push(eraSecond)
    if (node.spoofer) {
      if (node.detectedAt === null) {
        node.detectedAt = at
        c.detectionEras.push((at - Math.max(0, node.registeredAt)) / eraMs(c))
      }
    } else if (online) node.failedOnline = true
    else node.failedOffline = true
  }
  for (let k = 0; k < cast; k++) {
    if (VOTES[k] !== passed) continue
    // a majority member's measured acknowledgement is the era's response time (buildEraInput)
    node.responseCount++
    node.responseTotalMs += ACKS[k]
    const slark = VOTERS[k]
    slark.agreed++
    slark.responseCount++
    // a slark's own response: its signed vote reaching the committee (one hop) after its checks
    slark.responseTotalMs += Math.round(c.hop() + SLARK_WORK_MS)
  }
}
