/** Slark challenges without a chain: committee draws, the verdict message, the stream's requests and answers. */
export * from './committee.js'
export * from './message.js'
export * from './wire.js'
export * from './puzzle.js'
