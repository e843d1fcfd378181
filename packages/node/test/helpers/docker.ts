/** Tests that run workloads need a Docker engine and busybox:stable (built locally when missing). */
import type Docker from 'dockerode'
import { connectDocker } from '../../src/runtime/docker.js'
import { ensureDemoImage } from '../../src/devnet/demo.js'
import { LABEL } from '../../src/runtime/spec.js'
import { removeProviderObjects } from '../../src/runtime/docker-runtime.js'
import { silent } from '../../src/log.js'

export async function testDocker (): Promise<Docker> {
  const docker = await connectDocker()
  await ensureDemoImage(docker, silent)
  return docker
}

/** Names of the containers (any state) of a lease, and its networks (of one provider's, when given). */
export async function leaseObjects (docker: Docker, leaseId: bigint | string, provider?: string): Promise<{ containers: string[], networks: string[] }> {
  const filters = { label: [`${LABEL.lease}=${leaseId}`, ...(provider === undefined ? [] : [`${LABEL.provider}=${provider.toLowerCase()}`])] }
  return {
    containers: (await docker.listContainers({ all: true, filters })).map(c => c.Names[0]),
    networks: (await docker.listNetworks({ filters })).map(n => n.Name)
  }
}

/** Removes every container and network a provider (or fizz node) left on the engine. */
export async function removeAllOf (docker: Docker, provider: string | undefined): Promise<void> {
  if (provider !== undefined) await removeProviderObjects(docker, provider)
}
