import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { GiB, formatAmount, parseAmount, parseCpu, parseDuration, parseMillis, parseSize, perHourToPerSecond } from '../src/index.js'
import { prng } from './fixtures.js'

test('parseCpu', () => {
  assert.is(parseCpu(1), 1000)
  assert.is(parseCpu('1'), 1000)
  assert.is(parseCpu(0.5), 500)
  assert.is(parseCpu('0.25'), 250)
  assert.is(parseCpu('500m'), 500)
  assert.is(parseCpu(' 2 '), 2000)
  assert.is(parseCpu('1.5'), 1500)
  assert.is(parseCpu('0.001'), 1)
  assert.is(parseCpu('64'), 64000)
  for (const bad of ['abc', '', '-1', '0', '0m', '0.0001', '1.5m', '1 m', '1c', '.5', '1e3', 'm', null, undefined, {}]) {
    assert.throws(() => parseCpu(bad), /CPU/, `parseCpu(${String(bad)}) should throw`)
  }
  assert.throws(() => parseCpu('abc'), /expected CPU units like 1, 0.5 or 500m, got "abc"/)
  assert.throws(() => parseCpu('0.0001'), /positive whole number of milli-units/)
})

test('parseSize', () => {
  assert.is(parseSize('512Mi'), 512 * 2 ** 20)
  assert.is(parseSize('1Gi'), GiB)
  assert.is(parseSize('2Gi'), 2 * GiB)
  assert.is(parseSize('1G'), 1e9)
  assert.is(parseSize('1GB'), 1e9)
  assert.is(parseSize('1GiB'), GiB)
  assert.is(parseSize('1.5Ki'), 1536)
  assert.is(parseSize('10k'), 10_000)
  assert.is(parseSize('10K'), 10_000)
  assert.is(parseSize('1Ti'), 2 ** 40)
  assert.is(parseSize('1T'), 1e12)
  assert.is(parseSize('3M'), 3e6)
  assert.is(parseSize(1024), 1024)
  assert.is(parseSize('0'), 0)
  assert.is(parseSize('100 Mi'), 100 * 2 ** 20)
  for (const bad of ['', 'lots', '1X', '1ki', '1mi', '1m', '-1Gi', '1P', 'Gi', '1.Gi', '1e3']) {
    assert.throws(() => parseSize(bad), /expected a size like 512Mi/, `parseSize(${bad}) should throw`)
  }
  assert.throws(() => parseSize('99999999T'), /too large/)
})

test('parseDuration', () => {
  assert.is(parseDuration(3600), 3600)
  assert.is(parseDuration('3600'), 3600)
  assert.is(parseDuration('90s'), 90)
  assert.is(parseDuration('30m'), 1800)
  assert.is(parseDuration('1h'), 3600)
  assert.is(parseDuration('1h30m'), 5400)
  assert.is(parseDuration('2d'), 172_800)
  assert.is(parseDuration('1d2h3m4s'), 86_400 + 7200 + 180 + 4)
  assert.is(parseDuration('0'), 0)
  for (const bad of ['', 'h', '1x', '1.5h', '-1h', '1h 30m', '1h30', 'h1', '90ms', '1H', 'forever']) {
    assert.throws(() => parseDuration(bad), /expected a duration like 3600, 90s, 30m or 1h30m/, `parseDuration(${bad}) should throw`)
  }
})

test('parseMillis', () => {
  assert.is(parseMillis(250), 250)
  assert.is(parseMillis('250'), 250)
  assert.is(parseMillis('250ms'), 250)
  assert.is(parseMillis('2s'), 2000)
  assert.is(parseMillis('1.5s'), 1500)
  assert.is(parseMillis('1m'), 60_000)
  assert.is(parseMillis('0.5m'), 30_000)
  for (const bad of ['', 'ms', '1h', '2 s', '-1s', 'soon', '1sec']) {
    assert.throws(() => parseMillis(bad), /expected a time like 250ms, 2s or 1m/, `parseMillis(${bad}) should throw`)
  }
})

test('parseAmount', () => {
  assert.is(parseAmount('1'), 10n ** 18n)
  assert.is(parseAmount('1.5'), 15n * 10n ** 17n)
  assert.is(parseAmount(1.5), 15n * 10n ** 17n)
  assert.is(parseAmount('0'), 0n)
  assert.is(parseAmount('0.000000000000000001'), 1n)
  assert.is(parseAmount('123456789.123456789123456789'), 123456789123456789123456789n)
  assert.is(parseAmount('1.5', 6), 1_500_000n)
  assert.is(parseAmount('7', 0), 7n)
  assert.is(parseAmount('007.50', 2), 750n)
  for (const bad of ['', 'abc', '-1', '.5', '1.', '1e18', '1,5', '0x10', '1.2.3', ' ']) {
    assert.throws(() => parseAmount(bad), /expected a decimal amount like 1.5/, `parseAmount(${bad}) should throw`)
  }
  assert.throws(() => parseAmount('0.0000000000000000001'), /more than 18 decimals/)
  assert.throws(() => parseAmount('1.5', 0), /more than 0 decimals/)
  assert.throws(() => parseAmount('1.123', 2), /more than 2 decimals/)
})

test('formatAmount', () => {
  assert.is(formatAmount(10n ** 18n), '1')
  assert.is(formatAmount(15n * 10n ** 17n), '1.5')
  assert.is(formatAmount(0n), '0')
  assert.is(formatAmount(1n), '0.000000000000000001')
  assert.is(formatAmount(-15n * 10n ** 17n), '-1.5')
  assert.is(formatAmount(-1n), '-0.000000000000000001')
  assert.is(formatAmount(1_500_000n, 6), '1.5')
  assert.is(formatAmount(1234n, 0), '1234')
  assert.is(formatAmount(2n ** 256n - 1n), '115792089237316195423570985008687907853269984665640564039457.584007913129639935')
})

test('parseAmount / formatAmount round trips', () => {
  for (const s of ['0', '1', '1.5', '0.1', '3.000000000000000001', '123456789.987654321', '1000000']) {
    assert.is(formatAmount(parseAmount(s)), s)
  }
  assert.is(formatAmount(parseAmount('1.50')), '1.5')
  const rand = prng(5)
  for (let i = 0; i < 2000; i++) {
    const decimals = Math.floor(rand() * 25)
    let v = 0n
    const digits = 1 + Math.floor(rand() * 60)
    for (let d = 0; d < digits; d++) v = v * 10n + BigInt(Math.floor(rand() * 10))
    assert.is(parseAmount(formatAmount(v, decimals), decimals), v, `${v} with ${decimals} decimals`)
  }
})

test('perHourToPerSecond rounds down', () => {
  assert.is(perHourToPerSecond(3600n), 1n)
  assert.is(perHourToPerSecond(3599n), 0n)
  assert.is(perHourToPerSecond(parseAmount('3')), 833_333_333_333_333n)
})

test.run()
