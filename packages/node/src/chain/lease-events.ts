/** Follows LeaseCreated (for one provider's wallet) and LeaseClosed on chain. */
import { LeasesAbi, type Address, type Deployment, type Hex, type SettlementClients } from '@dcn/protocol'
import type { Logger } from '../log.js'

export interface LeaseEvents {
  created: (e: { leaseId: bigint, orderId: Hex, end: number }) => void
  closed: (leaseId: bigint) => void
}

export function watchLeases (c: SettlementClients, d: Deployment, provider: Address, on: LeaseEvents, log: Logger): () => void {
  const onError = (err: Error): void => { log.warn('lease event watch failed', { error: err.message }) }
  const unwatchCreated = c.public.watchContractEvent({
    address: d.leases,
    abi: LeasesAbi,
    eventName: 'LeaseCreated',
    onLogs: (logs) => {
      for (const l of logs) {
        if (l.args.provider?.toLowerCase() === provider.toLowerCase()) on.created({ leaseId: l.args.leaseId!, orderId: l.args.orderId!, end: Number(l.args.end!) })
      }
    },
    onError
  })
  const unwatchClosed = c.public.watchContractEvent({
    address: d.leases,
    abi: LeasesAbi,
    eventName: 'LeaseClosed',
    onLogs: (logs) => { for (const l of logs) on.closed(l.args.leaseId!) },
    onError
  })
  return () => { unwatchCreated(); unwatchClosed() }
}
