/** The `dcn` command line: one binary, every role and every user command. */
import { SettlementError } from '@dcn/protocol'
import { UserError } from '../errors.js'
import { VERSION } from '../version.js'
import { NODE_USAGE, nodeCommand } from './node-command.js'
import { QUOTE_USAGE, quoteCommand } from './quote-command.js'
import { DEVNET_USAGE, devnetCommand } from './devnet-command.js'
import { ESCROW_USAGE, escrowCommand } from './escrow-command.js'
import { DEPLOY_USAGE, deployCommand } from './deploy-command.js'
import { LEASE_USAGE, leaseCommand } from './lease-command.js'
import { ERA_USAGE, eraCommand } from './era-command.js'
import { SIM_USAGE, simCommand } from './sim-command.js'

const COMMANDS: Record<string, (args: string[]) => Promise<number>> = {
  node: nodeCommand,
  quote: quoteCommand,
  devnet: devnetCommand,
  escrow: escrowCommand,
  deploy: deployCommand,
  lease: leaseCommand,
  era: eraCommand,
  sim: simCommand
}

const HELP = `dcn ${VERSION} — decentralized compute network

  ${NODE_USAGE}
  ${DEVNET_USAGE}
  ${QUOTE_USAGE}
  ${DEPLOY_USAGE}
  ${ESCROW_USAGE}
  ${LEASE_USAGE}
  ${ERA_USAGE}
  ${SIM_USAGE}

Client commands find the network in <data-dir>/devnet.json; <data-dir> is --data-dir, $DCN_HOME or ~/.dcn.`

export async function run (argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv
  try {
    if (cmd === undefined || cmd === 'help' || cmd === '--help' || cmd === '-h') { console.log(HELP); return 0 }
    if (cmd === '--version' || cmd === 'version') { console.log(VERSION); return 0 }
    const command = COMMANDS[cmd]
    if (command === undefined) throw new UserError(`unknown command "${cmd}" (expected ${Object.keys(COMMANDS).join(', ')}; see dcn --help)`)
    return await command(rest)
  } catch (err) {
    if (err instanceof UserError || err instanceof SettlementError) {
      process.stderr.write(`dcn: ${err.message}\n`)
      return err instanceof UserError ? err.exitCode : 1
    }
    const e = err as Error
    process.stderr.write(`dcn: internal error: ${e?.message ?? String(err)}\n`)
    if (process.env.DCN_LOG === 'debug') process.stderr.write(`${e?.stack ?? ''}\n`)
    return 1
  }
}
