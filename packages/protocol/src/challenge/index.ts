/** Slark challenges without a chain: committee draws and the verdict message. */
export * from './committee.js'
export * from './message.js'
