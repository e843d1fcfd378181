/**
 * Liveness slashing (§4.3.8), per offline stretch, at most once per stretch:
 * - with a workload (the stretch overlaps a lease: the user saw downtime) — slash
 *   max(one hour's liveness reward, one hour of the interrupted workloads' fees), however short;
 * - in standby — slash one hour's liveness reward once the stretch is longer than one hour;
 * - shorter standby outages only lose their hours' rewards (outages.ts);
 * - a failed challenge (the provider could not prove the capacity it registered) — slash one
 *   hour's liveness reward, the share the paper's slarks "earn from the liveness reward slashing".
 * Slashes come from the provider's own stake (Staking.slash leaves delegations alone), so a
 * provider's era total is capped at its own stake.
 */
import type { Incident } from './types.js'

export function incidentSlash (rule: Incident['rule'], hourReward: bigint, workloadFee: bigint): bigint {
  if (rule === 'workload') return workloadFee > hourReward ? workloadFee : hourReward
  if (rule === 'standby' || rule === 'challenge') return hourReward
  return 0n
}

/** Sizes each incident in place and returns the provider's era slash, capped at its own stake. */
export function slashIncidents (incidents: Incident[], hourReward: bigint, ownStake: bigint): bigint {
  let total = 0n
  for (const i of incidents) {
    i.slash = incidentSlash(i.rule, hourReward, i.workloadFee)
    total += i.slash
  }
  return total > ownStake ? ownStake : total
}
