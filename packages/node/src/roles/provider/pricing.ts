/**
 * Pricing strategies. `scale`: per-unit prices × resources. `script`: an executable gets the
 * order as JSON on stdin and prints a per-second price (base units, integer) on stdout; it is
 * killed after the timeout, and any failure means no bid.
 */
import { spawn } from 'node:child_process'
import { scalePrice, toJson, type Order } from '@dcn/protocol'
import type { PricingConfig } from '../../config.js'

export type PriceResult = { ok: true, price: bigint } | { ok: false, reason: string }

export async function priceOrder (pricing: PricingConfig, order: Order): Promise<PriceResult> {
  if (pricing.strategy === 'scale') return { ok: true, price: scalePrice(pricing.prices, order.resources) }
  return await runPriceScript(pricing.script, order, pricing.timeoutMs)
}

export async function runPriceScript (script: string, order: Order, timeoutMs: number): Promise<PriceResult> {
  return await new Promise(resolve => {
    let out = ''
    let err = ''
    let settled = false
    const done = (r: PriceResult): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      resolve(r)
    }
    let child: ReturnType<typeof spawn>
    try {
      child = spawn(script, [], { stdio: ['pipe', 'pipe', 'pipe'], detached: true })
    } catch (e) {
      done({ ok: false, reason: `cannot start ${script}: ${(e as Error).message}` })
      return
    }
    const kill = (): void => { try { process.kill(-(child.pid ?? 0), 'SIGKILL') } catch { child.kill('SIGKILL') } }
    const timer = setTimeout(() => { kill(); done({ ok: false, reason: `timed out after ${timeoutMs} ms` }) }, timeoutMs)
    child.on('error', (e) => { done({ ok: false, reason: `cannot run ${script}: ${e.message}` }) })
    child.stdout?.on('data', (d: Buffer) => { if (out.length < 1024) out += d.toString() })
    child.stderr?.on('data', (d: Buffer) => { if (err.length < 1024) err += d.toString() })
    child.stdin?.on('error', () => {})
    child.stdin?.end(toJson(order))
    child.on('close', (code, signal) => {
      if (code !== 0) {
        done({ ok: false, reason: `exited with ${signal ?? code}${err.trim() === '' ? '' : ': ' + err.trim().split('\n')[0]}` })
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
