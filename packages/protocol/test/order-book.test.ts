import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { MAX_BOOK_BIDS, SchemaError, parseBookAnswer, parseBookRequest } from '../src/index.js'

const ID = `0x${'ab'.repeat(32)}`

function refusal (run: () => unknown): string {
  try { run() } catch (err) { assert.instance(err, SchemaError); return (err as Error).message }
  throw new Error('not refused')
}

test('a bids request names one order id; anything else is refused naming the field', () => {
  assert.equal(parseBookRequest({ orderId: ID }, 'request'), { orderId: ID })
  assert.match(refusal(() => parseBookRequest({ orderId: '0x12' }, 'request')), 'request.orderId')
  assert.match(refusal(() => parseBookRequest({ orderId: ID, all: true }, 'request')), 'request.all: unknown field')
})

test('a bids answer is a list of envelopes; a refusal carries the matcher\'s reason; oversized lists are refused', () => {
  assert.equal(parseBookAnswer({ ok: true, bids: ['{"v":1}'] }, 'answer'), ['{"v":1}'])
  assert.match(refusal(() => parseBookAnswer({ ok: false, error: 'nothing received in 5000 ms' }, 'answer')), 'refused: nothing received')
  assert.match(refusal(() => parseBookAnswer({ ok: true, bids: Array(MAX_BOOK_BIDS + 1).fill('x') }, 'answer')), 'answer.bids')
  assert.match(refusal(() => parseBookAnswer({ ok: true, bids: ['x'.repeat(4096)] }, 'answer')), 'answer.bids[0]: must be at most')
  assert.match(refusal(() => parseBookAnswer(null, 'answer')), 'answer')
})

test.run()
