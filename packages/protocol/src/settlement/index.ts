/** Settlement on chain: clients, deployment and operations (see each module). */
export * from './clients.js'
export * from './deploy.js'
export * from './operations.js'
export * from './challenges.js'
export * from './rewards.js'
export * from '../contracts/artifacts.js'
export * from './subnet.js'
export * from './attributes.js'
