/**
 * The Docker engine connection. dockerode reads `DOCKER_HOST` (or uses /var/run/docker.sock);
 * `connectDocker` pings it so a provider without an engine stops at start with one line saying
 * how to get one, not at its first lease.
 */
import Docker from 'dockerode'
import { UserError } from '../errors.js'

export const DOCKER_HINT = 'install Docker Engine (Debian: apt-get install docker.io) and start it (systemctl start docker, or run dockerd), or set DOCKER_HOST'

export function dockerAddress (): string {
  return process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock'
}

export async function connectDocker (timeoutMs = 5_000): Promise<Docker> {
  const docker = new Docker()
  try {
    await Promise.race([
      docker.ping(),
      new Promise((_resolve, reject) => setTimeout(() => { reject(new Error(`no answer in ${timeoutMs} ms`)) }, timeoutMs).unref())
    ])
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message.split('\n')[0]
    throw new UserError(`no Docker engine reachable at ${dockerAddress()} (${reason}): ${DOCKER_HINT}`, 1)
  }
  return docker
}

/** Docker's own error text, one line (dockerode wraps it as "(HTTP code 404) no such container - …"). */
export function dockerError (err: unknown): string {
  const e = err as { json?: { message?: string }, message?: string }
  return (e.json?.message ?? e.message ?? String(err)).split('\n')[0]
}

export function isNotFound (err: unknown): boolean {
  return (err as { statusCode?: number }).statusCode === 404
}
