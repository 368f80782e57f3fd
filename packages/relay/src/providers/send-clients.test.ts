/**
 * The Telnyx and Quo send clients against fake providers on 127.0.0.1 (payloads from their
 * documentation, fixtures/telnyx-quo-send.ts), and how an exchange is classified [O2]–[O4].
 */
import { afterEach, describe, expect, it } from 'vitest'
import { startFakeProvider, type FakeProvider } from './fake-provider.ts'
import * as fx from './fixtures/telnyx-quo-send.ts'
import type { ProviderAccount } from './provider-account.ts'
import { exchange } from './provider-send.ts'
import { quoSend } from './quo-send.ts'
import { telnyxSend } from './telnyx-send.ts'
import { QUO, TELNYX } from './test-credentials.ts'

const NUMBER = '+14155550100'
const CONTACT = '+14155550199'
const telnyx: ProviderAccount = {
  phoneNumberId: 'pn-t',
  number: NUMBER,
  provider: 'telnyx',
  credentials: TELNYX,
}
const quo: ProviderAccount = {
  phoneNumberId: 'pn-q',
  number: NUMBER,
  provider: 'quo',
  credentials: QUO,
}

const fakes: FakeProvider[] = []
afterEach(async () => {
  for (const f of fakes.splice(0)) await f.close()
})
const fake = async (answer: FakeProvider['answer']) => {
  const f = await startFakeProvider(answer)
  fakes.push(f)
  return f
}
const request = (account: ProviderAccount, apiBase: string, body = 'On our way') => ({
  account,
  apiBase,
  to: CONTACT,
  body,
  idempotencyKey: 'out-1:1',
  signal: AbortSignal.timeout(2000),
})

describe('[O3] Telnyx sends', () => {
  it('[O3] POST /v2/messages with the Bearer key and JSON from, to, text; the id of data', async () => {
    const f = await fake(() => ({
      status: 200,
      body: fx.telnyxCreated('4031938b-1', NUMBER, CONTACT, 'On our way'),
    }))
    const sent = await telnyxSend.send({
      ...request(telnyx, f.url),
      statusCallback: 'https://relay.example.com/api/webhooks/telnyx/pn-t',
    })
    expect(sent).toEqual({ kind: 'accepted', providerMessageId: '4031938b-1' })
    const [q] = f.requests
    expect(q).toMatchObject({ method: 'POST', url: '/v2/messages' })
    expect(q!.headers.authorization).toBe(`Bearer ${TELNYX.apiKey}`)
    expect(q!.headers['idempotency-key']).toBe('out-1:1')
    expect(JSON.parse(q!.body)).toEqual({
      from: NUMBER,
      to: CONTACT,
      text: 'On our way',
      webhook_url: 'https://relay.example.com/api/webhooks/telnyx/pn-t',
    })
  })

  it("[O3] a 4xx is refused with Telnyx's reason and code", async () => {
    const f = await fake(() => ({ status: 400, body: fx.telnyxTooLarge }))
    expect(await telnyxSend.send(request(telnyx, f.url))).toEqual({
      kind: 'refused',
      status: 400,
      reason:
        'The SMS message would be divided into 11 parts. The maximum is 10. (Telnyx error 40302)',
    })
  })
})

describe('[O3][O4] Quo sends and look-ups', () => {
  it('[O3] POST /v1/messages with the key as Authorization and JSON content, from, to as an array', async () => {
    const f = await fake(() => ({
      status: 202,
      body: fx.quoCreated('AC0001', NUMBER, CONTACT, 'On our way'),
    }))
    expect(await quoSend.send(request(quo, f.url))).toEqual({
      kind: 'accepted',
      providerMessageId: 'AC0001',
    })
    const [q] = f.requests
    expect(q).toMatchObject({ method: 'POST', url: '/v1/messages' })
    expect(q!.headers.authorization).toBe(QUO.apiKey)
    expect(JSON.parse(q!.body)).toEqual({ content: 'On our way', from: NUMBER, to: [CONTACT] })
  })

  it('[O5] a 401 is refused with its status, for the credentials banner', async () => {
    const f = await fake(() => ({ status: 401, body: fx.quoUnauthorized }))
    expect(await quoSend.send(request(quo, f.url))).toEqual({
      kind: 'refused',
      status: 401,
      reason: 'Unauthorized',
    })
  })

  it("[O4] the look-up finds the message by the number's Quo id, the participant and the text", async () => {
    const f = await fake((q) =>
      q.url.startsWith('/v1/phone-numbers')
        ? { status: 200, body: fx.quoPhoneNumbers(NUMBER) }
        : {
            status: 200,
            body: fx.quoMessageList([
              fx.quoCreated('AC0002', NUMBER, CONTACT, 'Something else').data,
              fx.quoCreated('AC0003', NUMBER, CONTACT, 'On our way').data,
            ]),
          },
    )
    const found = await quoSend.lookup({
      ...request(quo, f.url),
      since: Date.parse('2022-01-01T00:00:30Z'),
    })
    expect(found).toEqual({ found: true, providerMessageIds: ['AC0003'] })
    const query = new URL(f.requests[1]!.url, f.url).searchParams
    expect(query.get('phoneNumberId')).toBe('PN123abc')
    expect(query.get('participants')).toBe(CONTACT)
    expect(query.get('createdAfter')).toBe('2021-12-31T23:59:30.000Z')
  })
})

describe('[O2][O4] classifying an exchange', () => {
  const read = { id: () => 'x', reason: () => 'no' }
  it('[O2] a refused connection and a 5xx or 429 are retried', async () => {
    const refused = Object.assign(new TypeError('fetch failed'), {
      cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
    })
    expect(await exchange(() => Promise.reject(refused), read)).toMatchObject({ kind: 'retry' })
    for (const status of [500, 503, 429])
      expect(await exchange(async () => new Response('{}', { status }), read)).toMatchObject({
        kind: 'retry',
      })
  })

  it('[O4] a time-out or a reset after the connection opened is unknown', async () => {
    const timeout = new DOMException('The operation was aborted due to timeout', 'TimeoutError')
    expect(await exchange(() => Promise.reject(timeout), read)).toEqual({
      kind: 'unknown',
      reason: 'no answer in time',
    })
    const reset = Object.assign(new TypeError('fetch failed'), {
      cause: Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }),
    })
    expect(await exchange(() => Promise.reject(reset), read)).toMatchObject({ kind: 'unknown' })
  })
})
