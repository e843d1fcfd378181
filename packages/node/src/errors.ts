/**
 * A UserError is a mistake the user can fix (bad flag, unreadable file, unreachable network):
 * the CLI prints its message as one line on stderr, with no stack, and exits with `exitCode`.
 */
export class UserError extends Error {
  constructor (message: string, readonly exitCode = 2) {
    super(message)
    this.name = 'UserError'
  }
}
