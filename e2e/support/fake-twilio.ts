// A stand-in for Twilio's REST API on 127.0.0.1 (the relay's TWILIO_API_BASE points at it): it
// records every "Create a Message" POST and answers as Twilio does, or with a 503 while told to.
// Also signs requests as Twilio signs its webhooks. Imports no workspace package.
import { createHmac, randomBytes } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

/** Credentials shaped like a Twilio account's (made up: no real account's). */
export const TWILIO_ACCOUNT = {
  accountSid: 'AC' + 'e2e0f00d'.repeat(4),
  authToken: 'e2e-twilio-auth-token-' + 'beef'.repeat(4),
}

/** One `POST /2010-04-01/Accounts/{AccountSid}/Messages.json` the relay made. */
export interface MessagePost {
  path: string
  /** The form parameters: `To`, `From`, `Body`, `StatusCallback`… */
  params: Record<string, string>
  /** Whether HTTP Basic auth carried the account's SID and auth token. */
  authorized: boolean
  /** The status this fake answered. */
  answered: number
  /** The message SID this fake gave it (answered 201 only). */
  sid: string | null
  at: number
}

export interface FakeTwilio {
  /** The API base, e.g. `http://127.0.0.1:41234` (no trailing slash). */
  url: string
  posts: MessagePost[]
  /** Answer every Messages.json POST with a 503 until `until` (ms since the epoch). */
  unavailableUntil(until: number): void
  close(): Promise<void>
}

/**
 * The "Create a Message" answer, shaped like the example response of
 * https://www.twilio.com/docs/messaging/api/message-resource#create-a-message-resource
 */
function messageResource(accountSid: string, sid: string, params: Record<string, string>) {
  const now = new Date().toUTCString().replace('GMT', '+0000')
  return {
    account_sid: accountSid,
    api_version: '2010-04-01',
    body: params.Body ?? '',
    date_created: now,
    date_sent: null,
    date_updated: now,
    direction: 'outbound-api',
    error_code: null,
    error_message: null,
    from: params.From ?? null,
    messaging_service_sid: null,
    num_media: '0',
    num_segments: '1',
    price: null,
    price_unit: 'USD',
    sid,
    status: 'queued',
    subresource_uris: {
      media: `/2010-04-01/Accounts/${accountSid}/Messages/${sid}/Media.json`,
    },
    to: params.To ?? '',
    uri: `/2010-04-01/Accounts/${accountSid}/Messages/${sid}.json`,
  }
}

/** Twilio's error body (https://www.twilio.com/docs/usage/twilios-response#response-formats-exceptions). */
const twilioError = (status: number, code: number, message: string) => ({
  code,
  message,
  more_info: `https://www.twilio.com/docs/errors/${code}`,
  status,
})

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    req.on('error', reject)
  })
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' })
  res.end(JSON.stringify(body))
}

export async function startFakeTwilio(account = TWILIO_ACCOUNT): Promise<FakeTwilio> {
  const posts: MessagePost[] = []
  let downUntil = 0
  const expectedAuth =
    'Basic ' + Buffer.from(`${account.accountSid}:${account.authToken}`).toString('base64')
  const messagesPath = `/2010-04-01/Accounts/${account.accountSid}/Messages.json`

  const server = createServer((req, res) => {
    void (async () => {
      const raw = await readBody(req)
      const path = (req.url ?? '').split('?')[0] ?? ''
      if (req.method !== 'POST' || !path.endsWith('/Messages.json'))
        return json(res, 404, twilioError(404, 20404, 'The requested resource was not found'))
      const params = Object.fromEntries(new URLSearchParams(raw))
      const authorized = req.headers.authorization === expectedAuth && path === messagesPath
      const now = Date.now()
      const post: MessagePost = { path, params, authorized, answered: 0, sid: null, at: now }
      posts.push(post)
      if (!authorized) {
        post.answered = 401
        return json(res, 401, twilioError(401, 20003, 'Authenticate'))
      }
      if (now < downUntil) {
        post.answered = 503
        return json(res, 503, twilioError(503, 20503, 'Service Unavailable'))
      }
      post.answered = 201
      post.sid = 'SM' + randomBytes(16).toString('hex')
      json(res, 201, messageResource(account.accountSid, post.sid, params))
    })().catch(() => json(res, 500, twilioError(500, 20500, 'Internal Server Error')))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    posts,
    unavailableUntil(until) {
      downUntil = until
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/**
 * A form POST to `url` signed as Twilio signs its webhooks: X-Twilio-Signature is base64
 * HMAC-SHA1, keyed by the auth token, of the URL followed by each parameter's name and value
 * sorted by name (https://www.twilio.com/docs/usage/security#validating-requests).
 */
export function twilioWebhook(
  url: string,
  params: Record<string, string>,
  authToken = TWILIO_ACCOUNT.authToken,
): Promise<Response> {
  const signed =
    url +
    Object.keys(params)
      .sort()
      .map((name) => name + params[name])
      .join('')
  const signature = createHmac('sha1', authToken).update(signed, 'utf8').digest('base64')
  return fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-twilio-signature': signature,
    },
    body: new URLSearchParams(params).toString(),
  })
}
