/**
 * `dcn era compute` as users run it: the example's table and its --json report (bigints as
 * decimal strings, plus reportHash); a bad file is one `dcn: …` line on stderr and exit 1.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { computeEra, eraReportHash, parseEraInput } from '@dcn/protocol'

const root = fileURLToPath(new URL('../../../../', import.meta.url))
const EXAMPLE = join(root, 'examples/era-metrics.json')
const dir = mkdtempSync(join(tmpdir(), 'dcn-era-'))
test.after(() => rmSync(dir, { recursive: true, force: true }))

async function dcn (args: string[]): Promise<{ code: number | null, stdout: string, stderr: string }> {
  return await new Promise(resolve => {
    const child = spawn(process.execPath, ['--import', join(root, 'packages/node/dist/src/polyfill.js'), join(root, 'packages/node/dist/src/bin/dcn.js'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', d => { stdout += String(d) })
    child.stderr.on('data', d => { stderr += String(d) })
    const t = setTimeout(() => child.kill('SIGKILL'), 30_000)
    child.on('close', code => { clearTimeout(t); resolve({ code, stdout, stderr }) })
  })
}

/** One `dcn: ` line on stderr, nothing on stdout, no stack; returns the line. */
async function userError (args: string[], code: number): Promise<string> {
  const r = await dcn(args)
  const what = `dcn ${args.join(' ')}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`
  assert.is(r.code, code, `exit code of ${what}`)
  assert.is(r.stdout, '', what)
  const lines = r.stderr.split('\n').filter(l => l !== '')
  assert.is(lines.length, 1, `one line: ${what}`)
  assert.ok(lines[0].startsWith('dcn: '), what)
  assert.not.match(r.stderr, /\n\s+at |internal error|Error:/, what)
  return lines[0]
}

const exampleHash = eraReportHash(computeEra(parseEraInput(JSON.parse(readFileSync(EXAMPLE, 'utf8')))))

test('era compute: the example as a table, each node explained, and the report hash', async () => {
  const r = await dcn(['era', 'compute', '--input', EXAMPLE])
  assert.is(r.code, 0, r.stderr)
  assert.is(r.stderr, '')
  const out = r.stdout
  assert.match(out, /^era 12 · 5 providers · 2 slarks · 24 hours of 3600 s · base 1 SPON\/hour/)
  assert.match(out, /PROVIDER\s+TIER\s+MULT\s+HOURS\s+REWARD\s+SLASH\s+STAKE/)
  assert.match(out, /0x1a00…0001\s+3 → 2\s+3\.5×\s+24\/24\s+84\s+0\s+450\n/)
  assert.match(out, /0x1b00…0002\s+4\s+1\.2×\s+21\/24\s+25\.2\s+1\.2\s+250\n/)
  assert.match(out, /0x1d00…0004\s+6\s+1×\s+22\/24\s+22\s+2\.5\s+120\n/)
  assert.match(out, /0x1e00…0005\s+7\s+0×\s+24\/24\s+0\s+0\s+110\n/)
  assert.match(out, /0x5a00…0001\s+3 → 4\s+120\s+98\.3333 %\s+16\.8\s+13\.44\s+3\.36\s+0x1a00…0001/)
  assert.match(out, /0x5b00…0002\s+2 → 1\s+80\s+87\.5 %\s+9\.6\s+7\.68\s+1\.92\s+0x1c00…0003/)
  assert.ok(out.includes('  no reward for 3 of 24 hours: 10–11 offline, 12 cooldown after reconnect'), out)
  assert.ok(out.includes('  slash 1.2 SPON: offline 10:00–11:30 (1h30m), more than an hour (1h00m) in standby — one hour\'s reward'), out)
  assert.ok(out.includes('  delegator 0xf1200000000000000000000000000000000000a1: 1.339534883720930232 SPON for 10 SPON delegated\n  delegator 0xf1200000000000000000000000000000000000a2: 0.669767441860465116 SPON for 5 SPON delegated\n\n'), out)
  assert.ok(out.includes('totals: provider rewards 160 SPON · slark rewards 26.4 SPON (21.12 delegated) · slashes 3.7 SPON'), out)
  assert.ok(out.trimEnd().endsWith(`report hash ${exampleHash}`), out)
})

test('era compute: slark promotion needs the owner\'s opt-in and a free seat (params.slarkTierSlots)', async () => {
  const example = JSON.parse(readFileSync(EXAMPLE, 'utf8')) as { params: { slarkTierSlots: Array<number | null> }, slarks: Array<{ optIn?: boolean }> }
  assert.equal(example.params.slarkTierSlots, [null, 200, 100, 50, 20, 10], 'the example documents the seats')
  const full = join(dir, 'full-tier.json')
  writeFileSync(full, JSON.stringify({ ...example, params: { ...example.params, slarkTierSlots: [null, 200, 100, 0, 20, 10] } }))
  const r = await dcn(['era', 'compute', '--input', full])
  assert.is(r.code, 0, r.stderr)
  assert.match(r.stdout, /0x5a00…0001\s+3\s+120\s+98\.3333 %/)
  assert.ok(r.stdout.includes('met tier 4 3 eras in a row and its owner opted in; waits for a free seat in tier 4'), r.stdout)
  const notOptedIn = join(dir, 'not-opted-in.json')
  writeFileSync(notOptedIn, JSON.stringify({ ...example, slarks: example.slarks.map(s => ({ ...s, optIn: false })) }))
  const n = await dcn(['era', 'compute', '--input', notOptedIn])
  assert.match(n.stdout, /0x5a00…0001\s+3\s+120/)
  assert.ok(n.stdout.includes('met tier 4 3 eras in a row; waits for its owner to opt in'), n.stdout)
})

test('era compute --json: the full report with bigints as decimal strings, and reportHash', async () => {
  const r = await dcn(['era', 'compute', '--input', EXAMPLE, '--json'])
  assert.is(r.code, 0, r.stderr)
  const report = JSON.parse(r.stdout)
  assert.is(report.reportHash, exampleHash)
  assert.is(report.era, 12)
  assert.is(report.params.baseRewardPerHour, '1000000000000000000')
  assert.equal(report.params.stakeThresholds[0], '500000000000000000000')
  const gateway = report.providers[2]
  assert.is(gateway.address, '0x1c00000000000000000000000000000000000003')
  assert.is(gateway.reward, '28800000000000000000')
  assert.is(gateway.ownShare, '26790697674418604652')
  assert.equal(gateway.shares.map((s: { amount: string }) => s.amount), ['1339534883720930232', '669767441860465116'])
  assert.ok(gateway.why.length >= 4)
  assert.equal(report.payouts.slashes, [
    { account: '0x1b00000000000000000000000000000000000002', amount: '1200000000000000000' },
    { account: '0x1d00000000000000000000000000000000000004', amount: '2500000000000000000' }
  ])
  assert.equal(report.payouts.delegations[0], { slark: '0x5a00000000000000000000000000000000000001', provider: '0x1a00000000000000000000000000000000000001', amount: '13440000000000000000' })
  assert.equal(report.providers[1].history, { tier: 4, promoteStreak: 0, demoteStreak: 1, offlineSeconds: 0, offlineSlashed: false, cooldownSeconds: 0 })
  assert.equal(report.totals, { providerRewards: '160000000000000000000', slarkRewards: '26400000000000000000', delegated: '21120000000000000000', slashes: '3700000000000000000' })
})

test('era compute: an invalid metrics file is one line naming the file and the field, exit 1', async () => {
  const bad = JSON.parse(readFileSync(EXAMPLE, 'utf8'))
  bad.providers[1].offline[0].to = 90_000
  const file = join(dir, 'bad.json')
  writeFileSync(file, JSON.stringify(bad))
  assert.is(await userError(['era', 'compute', '--input', file], 1),
    `dcn: ${file}: providers[1].offline[0].to: must be a whole second between 0 and 86400 (the era's length)`)
  const broken = join(dir, 'broken.json')
  writeFileSync(broken, '{ "era": 1, ')
  assert.match(await userError(['era', 'compute', '--input', broken, '--json'], 1), new RegExp(`^dcn: ${broken}: not valid JSON: `))
  assert.is(await userError(['era', 'compute', '--input', join(dir, 'missing.json')], 1), `dcn: cannot read metrics ${join(dir, 'missing.json')}: ENOENT`)
})

test('era: usage errors exit 2', async () => {
  assert.match(await userError(['era', 'compute'], 2), /^dcn: missing --input METRICS\.json \(usage: dcn era compute/)
  assert.match(await userError(['era', 'settle', '--input', EXAMPLE], 2), /^dcn: expected "era compute"/)
  assert.match(await userError(['era', 'compute', '--input', EXAMPLE, '--bogus'], 2), /^dcn: Unknown option '--bogus'/)
  const help = await dcn(['--help'])
  assert.ok(help.stdout.includes('dcn era compute --input METRICS.json [--json]'), help.stdout)
})

test.run()
