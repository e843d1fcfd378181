/**
 * Pricing strategies. `scale`: per-unit prices × resources. `script`: an executable gets the
 * order as JSON on stdin and prints a per-second price (base units, integer) on stdout; it is
 * killed after the timeout, and any failure means no bid.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { scalePrice, toJson, type Order } from '@dcn/protocol'
import type { PricingConfig } from '../../config.js'

export type PriceResult = { ok: true, price: bigint } | { ok: false, reason: string }

export async function priceOrder (pricing: PricingConfig, order: Order, signal?: AbortSignal): Promise<PriceResult> {
  if (pricing.strategy === 'scale') return { ok: true, price: scalePrice(pricing.prices, order.resources) }
  return await runPriceScript(pricing.script, order, pricing.timeoutMs, signal)
}

/** Runs a pricing script; `signal` (the node stopping) kills it at once. */
export async function runPriceScript (script: string, order: Order, timeoutMs: number, signal?: AbortSignal): Promise<PriceResult> {
  let child: ChildProcess
  try {
    // Its own process group, so a timeout kills whatever the script started too.
    child = spawn(script, [], { stdio: ['pipe', 'pipe', 'pipe'], detached: true })
  } catch (e) {
    return { ok: false, reason: `cannot start ${script}: ${(e as Error).message}` }
  }
  const kill = (): void => {
    try { process.kill(-(child.pid ?? 0), 'SIGKILL') } catch { child.kill('SIGKILL') }
  }
  return await new Promise(resolve => {
    let out = ''
    let err = ''
    const done = (r: PriceResult): void => {
      clearTimeout(timer)
      signal?.removeEventListener('abort', onAbort)
      resolve(r)
    }
    const onAbort = (): void => { kill(); done({ ok: false, reason: 'node stopping' }) }
    const timer = setTimeout(() => { kill(); done({ ok: false, reason: `timed out after ${timeoutMs} ms` }) }, timeoutMs)
    if (signal?.aborted === true) onAbort()
    signal?.addEventListener('abort', onAbort, { once: true })
    child.on('error', (e) => { done({ ok: false, reason: `cannot run ${script}: ${e.message}` }) })
    child.stdout?.on('data', (d: Buffer) => { if (out.length < 1024) out += d.toString() })
    child.stderr?.on('data', (d: Buffer) => { if (err.length < 1024) err += d.toString() })
    child.stdin?.on('error', () => {})
    child.stdin?.end(toJson(order))
    child.on('close', (code, sig) => {
      if (code !== 0) {
        done({ ok: false, reason: `exited with ${sig ?? code}${err.trim() === '' ? '' : ': ' + err.trim().split('\n')[0]}` })
        return
      }
      const text = out.trim()
      if (!/^[1-9]\d{0,77}$/.test(text)) {
        done({ ok: false, reason: `printed "${text.slice(0, 40)}", expected a positive integer price per second` })
        return
      }
      done({ ok: true, price: BigInt(text) })
    })
  })
}
