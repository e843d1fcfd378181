/**
 * Images: pulls that follow a service's `pull_policy` and report progress, and the one image dcn
 * can build without a registry — busybox from a static binary on the host (Debian's
 * busybox-static), used by `dcn devnet --demo` and the tests on machines with no registry.
 */
import { spawn, execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync, copyFileSync, chmodSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type Docker from 'dockerode'
import type { Service } from '@dcn/protocol'
import { dockerError, isNotFound } from './docker.js'

export async function hasImage (docker: Docker, image: string): Promise<boolean> {
  try {
    await docker.getImage(image).inspect()
    return true
  } catch (err) {
    if (isNotFound(err)) return false
    throw err
  }
}

/** Makes `image` present as its pull policy says; `progress` gets one line per layer step. */
export async function ensureImage (docker: Docker, image: string, policy: Service['pullPolicy'], progress: (line: string) => void): Promise<void> {
  if (policy !== 'always' && await hasImage(docker, image)) return
  if (policy === 'never') throw new Error(`image ${image} is not on this provider and its pull_policy is never`)
  let stream: NodeJS.ReadableStream
  try {
    stream = await docker.pull(image)
  } catch (err) {
    if (policy === 'always' && await hasImage(docker, image)) {
      progress(`pull failed (${dockerError(err)}); using the local copy`)
      return
    }
    throw new Error(`cannot pull image ${image}: ${dockerError(err)}`)
  }
  await new Promise<void>((resolve, reject) => {
    docker.modem.followProgress(stream, (err: Error | null) => {
      if (err === null) resolve()
      else reject(new Error(`cannot pull image ${image}: ${dockerError(err)}`))
    }, (e: { status?: string, id?: string, progress?: string }) => {
      if (e.status !== undefined && e.status !== 'Downloading' && e.status !== 'Extracting') progress(`${e.id === undefined ? '' : `${e.id}: `}${e.status}`)
    })
  })
}

export const BUSYBOX_IMAGE = 'busybox:stable'
const BUSYBOX_BINARIES = ['/bin/busybox', '/usr/bin/busybox']

/** A static busybox on this host, or null (a dynamically linked one cannot run alone in an image). */
export function staticBusybox (): string | null {
  for (const path of BUSYBOX_BINARIES) {
    if (!existsSync(path)) continue
    try {
      const info = execFileSync('file', ['-L', path], { encoding: 'utf8' })
      if (/statically linked|static-pie/.test(info)) return path
    } catch {
      // No `file` command: trust Debian's busybox-static, the usual source of /bin/busybox.
      return path
    }
  }
  return null
}

/** Builds `busybox:stable` from a static busybox binary: a root with the applets, /etc/passwd and /tmp. */
export async function importBusybox (docker: Docker, binary: string, tag = BUSYBOX_IMAGE): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'dcn-busybox-'))
  try {
    for (const d of ['bin', 'etc', 'tmp', 'root', 'www']) mkdirSync(join(root, d))
    chmodSync(join(root, 'tmp'), 0o1777)
    copyFileSync(binary, join(root, 'bin/busybox'))
    chmodSync(join(root, 'bin/busybox'), 0o755)
    const applets = execFileSync(binary, ['--list'], { encoding: 'utf8' }).split('\n').filter(a => a !== '' && a !== 'busybox')
    for (const a of applets) symlinkSync('busybox', join(root, 'bin', a))
    writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n')
    writeFileSync(join(root, 'etc/group'), 'root:x:0:\nnogroup:x:65534:\n')
    const tar = spawn('tar', ['-C', root, '-c', '.'], { stdio: ['ignore', 'pipe', 'inherit'] })
    const [repo, version] = tag.split(':')
    const out = await docker.importImage(tar.stdout, { repo, tag: version ?? 'latest', changes: ['ENV PATH=/bin', 'CMD ["/bin/sh"]'] } as object)
    await new Promise<void>((resolve, reject) => {
      docker.modem.followProgress(out, (err: Error | null) => { err === null ? resolve() : reject(err) })
    })
  } finally {
    rmSync(root, { recursive: true, force: true })
  }
}
