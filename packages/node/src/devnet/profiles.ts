/**
 * The devnet's providers: different regions, tiers, sizes and prices, so a first quote shows a
 * real choice. Cycled when more providers are asked for than there are profiles.
 */
export interface ProviderProfile {
  region: string
  tier: number
  capacity: { cpu: string, memory: string, storage: string, gpu?: { units: number, model: string } }
  /** SPON per hour per core / GiB memory / GiB storage / GPU. */
  perHour: { cpu: string, memory: string, storage: string, gpu: string }
}

export const PROVIDER_PROFILES: readonly ProviderProfile[] = [
  { region: 'eu-west', tier: 3, capacity: { cpu: '8', memory: '16Gi', storage: '200Gi' }, perHour: { cpu: '0.08', memory: '0.01', storage: '0.0005', gpu: '1' } },
  { region: 'us-east', tier: 4, capacity: { cpu: '16', memory: '64Gi', storage: '500Gi' }, perHour: { cpu: '0.06', memory: '0.008', storage: '0.0004', gpu: '1' } },
  { region: 'eu-west', tier: 5, capacity: { cpu: '4', memory: '8Gi', storage: '100Gi' }, perHour: { cpu: '0.05', memory: '0.006', storage: '0.0003', gpu: '1' } },
  { region: 'ap-south', tier: 6, capacity: { cpu: '32', memory: '128Gi', storage: '1Ti', gpu: { units: 2, model: 'a100' } }, perHour: { cpu: '0.04', memory: '0.005', storage: '0.0002', gpu: '1.2' } },
  { region: 'us-west', tier: 2, capacity: { cpu: '8', memory: '32Gi', storage: '250Gi' }, perHour: { cpu: '0.12', memory: '0.015', storage: '0.0008', gpu: '1.5' } }
]
