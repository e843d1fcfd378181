/**
 * A real NAT on this machine, for tests: network namespaces, veth pairs and iptables
 * MASQUERADE, with addresses only in 198.18.0.0/15 and no route out of the machine.
 *
 *   root namespace ("the internet")        198.18.0.1 ── veth ── 198.18.0.2  nat namespace (the home router)
 *   gateway, matcher, anvil, the user                                198.19.0.1  │ MASQUERADE 198.19.0.0/24
 *                                                                                │
 *                                                              home namespace   198.19.0.2  (fizz nodes)
 *   198.18.3.1 ── veth "mgmt" ── 198.18.3.2 (home): the tests read the fizz nodes' /status over it, and the
 *   fizz nodes reach the one Docker engine's published ports on 198.18.3.1 (the engine lives in the root
 *   namespace; on a real laptop it would be the laptop's own).
 *
 * The root namespace has no route into 198.19.0.0/24 (an `unreachable` route): nothing outside
 * can open a connection to a fizz node, which is the point.
 */
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'

export const PUBLIC_ADDR = '198.18.0.1'
export const HOME_ADDR = '198.19.0.2'
export const MGMT_ROOT = '198.18.3.1'
export const MGMT_HOME = '198.18.3.2'

export interface NatLab {
  home: string
  /** Prefix a command with this to run it inside the home namespace. */
  wrap: string[]
  /** Takes the home network's link down (the fizz nodes' connection to the world dies). */
  cut: () => void
  restore: () => void
  teardown: () => void
}

const run = (args: string[]): string => execFileSync(args[0], args.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })

/** Why a NAT cannot be built here (not root, no ip/iptables), or null. */
export function natUnavailable (): string | null {
  if (process.getuid?.() !== 0) return 'needs root'
  try {
    run(['ip', '-V'])
    run(['iptables', '--version'])
  } catch {
    return 'needs ip (iproute2) and iptables'
  }
  return null
}

export function createNatLab (): NatLab {
  const s = randomBytes(2).toString('hex')
  const nat = `dcnnat${s}`
  const home = `dcnhome${s}`
  const [wan, wanPeer, lan, lanPeer, mgmt, mgmtPeer] = ['dw', 'dwn', 'dl', 'dlh', 'dm', 'dmh'].map(p => `${p}${s}`)
  const steps: string[][] = [
    ['ip', 'netns', 'add', nat],
    ['ip', 'netns', 'add', home],
    // WAN: root ↔ router
    ['ip', 'link', 'add', wan, 'type', 'veth', 'peer', 'name', wanPeer],
    ['ip', 'link', 'set', wanPeer, 'netns', nat],
    ['ip', 'addr', 'add', `${PUBLIC_ADDR}/24`, 'dev', wan],
    ['ip', 'link', 'set', wan, 'up'],
    ['ip', '-n', nat, 'addr', 'add', '198.18.0.2/24', 'dev', wanPeer],
    ['ip', '-n', nat, 'link', 'set', wanPeer, 'up'],
    ['ip', '-n', nat, 'link', 'set', 'lo', 'up'],
    ['ip', '-n', nat, 'route', 'add', 'default', 'via', PUBLIC_ADDR],
    // LAN: router ↔ home
    ['ip', 'link', 'add', lan, 'type', 'veth', 'peer', 'name', lanPeer],
    ['ip', 'link', 'set', lan, 'netns', nat],
    ['ip', 'link', 'set', lanPeer, 'netns', home],
    ['ip', '-n', nat, 'addr', 'add', '198.19.0.1/24', 'dev', lan],
    ['ip', '-n', nat, 'link', 'set', lan, 'up'],
    ['ip', '-n', home, 'addr', 'add', `${HOME_ADDR}/24`, 'dev', lanPeer],
    ['ip', '-n', home, 'link', 'set', lanPeer, 'up'],
    ['ip', '-n', home, 'link', 'set', 'lo', 'up'],
    ['ip', '-n', home, 'route', 'add', 'default', 'via', '198.19.0.1'],
    ['ip', 'netns', 'exec', nat, 'sysctl', '-qw', 'net.ipv4.ip_forward=1'],
    ['ip', 'netns', 'exec', nat, 'iptables', '-t', 'nat', '-A', 'POSTROUTING', '-s', '198.19.0.0/24', '-o', wanPeer, '-j', 'MASQUERADE'],
    // mgmt: root ↔ home, for /status and the Docker engine's published ports
    ['ip', 'link', 'add', mgmt, 'type', 'veth', 'peer', 'name', mgmtPeer],
    ['ip', 'link', 'set', mgmtPeer, 'netns', home],
    ['ip', 'addr', 'add', `${MGMT_ROOT}/30`, 'dev', mgmt],
    ['ip', 'link', 'set', mgmt, 'up'],
    ['ip', '-n', home, 'addr', 'add', `${MGMT_HOME}/30`, 'dev', mgmtPeer],
    ['ip', '-n', home, 'link', 'set', mgmtPeer, 'up']
  ]
  const teardown = (): void => {
    for (const args of [['ip', 'netns', 'del', nat], ['ip', 'netns', 'del', home], ['ip', 'link', 'del', wan], ['ip', 'link', 'del', mgmt], ['ip', 'route', 'del', 'unreachable', '198.19.0.0/24']]) {
      try { run(args) } catch {}
    }
  }
  try {
    for (const step of steps) run(step)
    // Nothing in the root namespace may reach the home network (nor leave the machine for it).
    try { run(['ip', 'route', 'add', 'unreachable', '198.19.0.0/24']) } catch {}
  } catch (err) {
    teardown()
    throw new Error(`building the NAT failed: ${(err as { stderr?: string }).stderr?.trim() ?? (err as Error).message}`)
  }
  return {
    home,
    wrap: ['ip', 'netns', 'exec', home],
    cut: () => { run(['ip', '-n', home, 'link', 'set', lanPeer, 'down']) },
    restore: () => {
      run(['ip', '-n', home, 'link', 'set', lanPeer, 'up'])
      try { run(['ip', '-n', home, 'route', 'add', 'default', 'via', '198.19.0.1']) } catch {}
    },
    teardown
  }
}
