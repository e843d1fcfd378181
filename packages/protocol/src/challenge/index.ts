/** Slark challenges without a chain: committee draws, the verdict message, the stream's requests and answers, a gateway's aggregate of its fizz nodes' answers. */
export * from './committee.js'
export * from './message.js'
export * from './wire.js'
export * from './puzzle.js'
export * from './subnet.js'
