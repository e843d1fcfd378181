#!/usr/bin/env node
// The polyfill must run before any libp2p module is evaluated.
import '../polyfill.js'
import { run } from '../cli/main.js'

process.exitCode = await run(process.argv.slice(2))
