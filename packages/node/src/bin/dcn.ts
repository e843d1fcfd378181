#!/usr/bin/env node
// The polyfill must run before any libp2p module is evaluated.
import '../polyfill.js'
import { setFlagsFromString } from 'node:v8'

const args = process.argv.slice(2)
// A fizz node runs on someone's laptop: V8 is told to favour a small footprint (about 30 MB
// less at rest) before any module is loaded, hence the dynamic import below.
if (args[0] === 'node' && args.some((a, i) => a === '--role=fizz' || (a === '--role' && args[i + 1] === 'fizz'))) {
  setFlagsFromString('--optimize-for-size')
  setFlagsFromString('--max-semi-space-size=1')
  // Hot code is still optimised (tunnels stay fast); only the baseline compiler's copies go.
  setFlagsFromString('--no-sparkplug')
}
const { run } = await import('../cli/main.js')
process.exitCode = await run(args)
