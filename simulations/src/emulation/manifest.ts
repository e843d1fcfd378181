/**
 * A manifest for a workload kind of the scenario (emulation with a chain deploys real
 * manifests). It exposes no ports: the simulated runtime's endpoints answer nothing, and
 * `deploy` waits for exposed ports to answer.
 */
import { formatAmount } from '@dcn/protocol'
import type { OrderSpecJson } from './messages.js'

export function manifestText (kind: string, spec: OrderSpecJson): string {
  const name = kind.toLowerCase().replace(/[^a-z0-9-]/g, '-').replace(/^-+|-+$/g, '') || 'app'
  const perHour = formatAmount(BigInt(spec.maxPricePerSecond) * 3600n)
  const gpu = spec.resources.gpuUnits > 0 ? `\n      gpu: { units: ${spec.resources.gpuUnits} }` : ''
  return `version: "1.0"
services:
  ${name}:
    image: busybox:stable
    command: ["sleep", "infinity"]
profiles:
  compute:
    ${name}:
      cpu: ${spec.resources.cpu / 1000}
      memory: ${spec.resources.memory}
      storage: ${spec.resources.storage}${gpu}
  placement:
    sim:
      tier: ${spec.minTrustTier}
      mode: ${spec.mode}
      pricing:
        token: SPON
        maxPerHour: ${perHour}
deployment:
  ${name}:
    placement: sim
    profile: ${name}
    count: 1
duration: ${spec.duration}s
`
}
