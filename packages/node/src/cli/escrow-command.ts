/** `dcn escrow deposit AMOUNT | withdraw AMOUNT | balance [--token T] [--json]`. */
import { deposit, escrowBalance, formatAmount, toJson, withdrawEscrow } from '@dcn/protocol'
import { UserError } from '../errors.js'
import { common, networkFlags, parse } from './args.js'
import { amount, chainSession, tokenAddress } from './chain-client.js'
import { tokenSymbol } from './format.js'

export const ESCROW_USAGE = 'dcn escrow deposit AMOUNT | withdraw AMOUNT | balance [--token T] [--json]'

export async function escrowCommand (args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { ...common, ...networkFlags, token: { type: 'string', default: 'SPON' } }, ESCROW_USAGE)
  if (values.help === true) { console.log(ESCROW_USAGE); return 0 }
  const [action, value, extra] = positionals
  if (extra !== undefined) throw new UserError(`unexpected argument "${extra}" (usage: ${ESCROW_USAGE})`)
  if (!['deposit', 'withdraw', 'balance'].includes(action ?? '')) throw new UserError(`expected deposit, withdraw or balance (usage: ${ESCROW_USAGE})`)
  if (action === 'balance' && value !== undefined) throw new UserError(`unexpected argument "${value}" (usage: ${ESCROW_USAGE})`)
  const amt = action === 'balance' ? 0n : amount(value)
  const { net, c } = await chainSession(values)
  const d = net.chain.deployment
  const token = tokenAddress(net, values.token)
  if (action === 'deposit') await deposit(c, d, token, amt)
  if (action === 'withdraw') {
    const b = await escrowBalance(c, d, token)
    if (b.unlocked < amt) throw new UserError(`escrow holds ${formatAmount(b.unlocked)} ${tokenSymbol(token, net.tokens)} unlocked (${formatAmount(b.locked)} locked in leases); cannot withdraw ${formatAmount(amt)}`, 1)
    await withdrawEscrow(c, d, token, amt)
  }
  const b = await escrowBalance(c, d, token)
  const sym = tokenSymbol(token, net.tokens)
  if (values.json === true) console.log(toJson({ address: c.account.address, symbol: sym, ...b }, 2))
  else console.log(`${action === 'balance' ? '' : `${action === 'deposit' ? 'deposited' : 'withdrew'} ${formatAmount(amt)} ${sym}; `}escrow: ${formatAmount(b.unlocked)} ${sym} unlocked, ${formatAmount(b.locked)} locked; wallet: ${formatAmount(b.wallet)} ${sym}`)
  return 0
}
