/** What the tunnel benchmark and its worker process share: hosts, messages, the sink's answer. */
import { createLibp2p, type Libp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'

export const SINK_PROTOCOL = '/dcn/bench/sink/1.0.0'

export interface YamuxTuning { maxStreamWindowSize?: number }
/** sinkPort/httpPort: the sink process's services, which the fizz node's tunnels lead to. */
export interface StartMessage { type: 'start', gateway: string, yamux: YamuxTuning, sinkPort: number, httpPort: number }
export interface ReadyMessage { type: 'ready', peerId: string }

export async function benchHost (tuning: YamuxTuning, listen: boolean): Promise<Libp2p> {
  return await createLibp2p({
    addresses: { listen: listen ? ['/ip4/127.0.0.1/tcp/0'] : [] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux(tuning.maxStreamWindowSize === undefined ? {} : { streamOptions: { maxStreamWindowSize: tuning.maxStreamWindowSize } })]
  })
}

export { countBytes } from './equipment.js'
