/**
 * The challenge image, built without a registry like busybox:stable (images.ts): a root holding
 * only this host's node binary (`process.execPath`), the shared libraries `ldd` lists for it and
 * the dynamic loader, the capacity prover script, and an empty world-writable /tmp (where the
 * prover writes its disk file, in the container's writable layer). Tagged
 * `dcn-challenge:<first 16 hex of sha256 over every file>`, so a new node or prover gives a new
 * tag and an existing tag is reused as is. About 100 MB, nearly all of it the node binary.
 * Building a new tag removes the engine's other `dcn-challenge` tags that no container uses
 * (another node version's; a node still on one rebuilds it when its container cannot be made).
 */
import { execFileSync, spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { chmodSync, closeSync, copyFileSync, mkdirSync, mkdtempSync, openSync, readSync, realpathSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import type Docker from 'dockerode'
import { capacityProverScript } from '@dcn/protocol'
import type { Logger } from '../log.js'
import { hasImage } from './images.js'

export const CHALLENGE_REPO = 'dcn-challenge'
export const CHALLENGE_NODE = '/bin/node'
export const CHALLENGE_PROVER = '/prover.mjs'

/** A file of the image: its path inside, and a host file to copy or a text to write. */
interface RootFile { path: string, from?: string, text?: string, mode: number }

/** What `ldd` says `binary` loads (the loader included); none for a static binary. */
export function sharedLibraries (binary: string): string[] {
  let out: string
  try {
    out = execFileSync('ldd', [binary], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
  } catch (err) {
    const text = `${(err as { stdout?: string }).stdout ?? ''}${(err as { stderr?: string }).stderr ?? ''}`
    if (/not a dynamic executable|statically linked/.test(text)) return []
    throw new Error(`cannot list the libraries of ${binary} with ldd (${(err as Error).message.split('\n')[0]}): install it (Debian: libc-bin)`)
  }
  const libs: string[] = []
  for (const line of out.split('\n')) {
    const m = /=>\s+(\/\S+)\s+\(/.exec(line) ?? /^\s*(\/\S+)\s+\(/.exec(line)
    if (m !== null) libs.push(m[1])
    else if (/=>\s+not found/.test(line)) throw new Error(`${binary} needs a library this host lacks: ${line.trim()}`)
  }
  return libs
}

function rootFiles (): RootFile[] {
  return [
    { path: CHALLENGE_NODE, from: process.execPath, mode: 0o755 },
    ...sharedLibraries(process.execPath).map(lib => ({ path: lib, from: lib, mode: 0o755 })),
    { path: CHALLENGE_PROVER, text: capacityProverScript(), mode: 0o644 }
  ]
}

function hashFile (h: ReturnType<typeof createHash>, path: string): void {
  const fd = openSync(path, 'r')
  const buf = Buffer.alloc(1 << 20)
  try {
    for (let n = readSync(fd, buf); n > 0; n = readSync(fd, buf)) h.update(buf.subarray(0, n))
  } finally {
    closeSync(fd)
  }
}

/** The tag for these files: a hash of every path, mode and content (read in 1 MiB pieces). */
function tagOf (files: RootFile[]): string {
  const h = createHash('sha256')
  for (const f of files) {
    h.update(`${f.path}\0${f.mode}\0`)
    if (f.from !== undefined) hashFile(h, f.from)
    else h.update(f.text ?? '')
    h.update('\0')
  }
  return `${CHALLENGE_REPO}:${h.digest('hex').slice(0, 16)}`
}

let known: { files: RootFile[], tag: string } | undefined

/** The challenge image's tag, building the image when the engine lacks it. Hashes node once per process. */
export async function ensureChallengeImage (docker: Docker, log?: Logger): Promise<string> {
  if (known === undefined) {
    const files = rootFiles()
    known = { files, tag: tagOf(files) }
  }
  if (await hasImage(docker, known.tag)) return known.tag
  const started = Date.now()
  await importChallengeImage(docker, known.files, known.tag)
  log?.info('built the challenge image', { image: known.tag, ms: Date.now() - started })
  const removed = await removeStaleChallengeImages(docker, known.tag)
  if (removed.length > 0) log?.info('removed old challenge images', { images: removed })
  return known.tag
}

/** Removes every `dcn-challenge` tag but `keep` that no container uses; returns what went. */
export async function removeStaleChallengeImages (docker: Docker, keep: string): Promise<string[]> {
  const images = await docker.listImages({ filters: { reference: [CHALLENGE_REPO] } })
  const stale = images.flatMap(i => i.RepoTags ?? []).filter(t => t.startsWith(`${CHALLENGE_REPO}:`) && t !== keep)
  const removed: string[] = []
  for (const tag of stale) {
    // Not forced: the engine refuses while a container (even a stopped one) uses the image.
    try {
      await docker.getImage(tag).remove()
      removed.push(tag)
    } catch { /* in use, or gone meanwhile */ }
  }
  return removed
}

async function importChallengeImage (docker: Docker, files: RootFile[], tag: string): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'dcn-challenge-'))
  try {
    mkdirSync(join(root, 'tmp'))
    chmodSync(join(root, 'tmp'), 0o1777)
    for (const f of files) {
      const dest = join(root, f.path)
      mkdirSync(dirname(dest), { recursive: true })
      // Libraries are often symlinks (libc.so.6 → libc-2.36.so): the image gets the file itself.
      if (f.from !== undefined) copyFileSync(realpathSync(f.from), dest)
      else writeFileSync(dest, f.text ?? '')
      chmodSync(dest, f.mode)
    }
    const tar = spawn('tar', ['-C', root, '-c', '.'], { stdio: ['ignore', 'pipe', 'inherit'] })
    const [repo, version] = tag.split(':')
    const out = await docker.importImage(tar.stdout, {
      repo,
      tag: version,
      changes: [`ENTRYPOINT ["${CHALLENGE_NODE}", "${CHALLENGE_PROVER}"]`, 'USER 65534:65534', 'WORKDIR /tmp']
    } as object)
    await new Promise<void>((resolve, reject) => {
      docker.modem.followProgress(out, (err: Error | null) => { err === null ? resolve() : reject(new Error(`cannot build ${tag}: ${err.message}`)) })
    })
  } finally {
    rmSync(root, { recursive: true, force: true })
  }
}
