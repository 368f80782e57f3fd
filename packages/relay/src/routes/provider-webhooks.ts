/**
 * @module The providers' webhooks in (issue 22), mounted at `/api/webhooks`: Twilio's
 * (routes/twilio-webhooks.ts), `POST /telnyx/:phoneNumberId` and `POST /quo/:phoneNumberId`.
 * Each checks the number's own signature over the raw body before it reads the body; a verified
 * report of a reply's delivery goes to the outbox's deliveries [O8], any other event to ingestion.
 */
import { Hono, type Context } from 'hono'
import { limitBody } from '../body-limits.ts'
import { quoReport, telnyxReport, type DeliveryReport } from '../providers/delivery-reports.ts'
import type { ProviderAccount } from '../providers/provider-account.ts'
import type { ParsedEvent } from '../providers/provider-activity.ts'
import {
  accountFor,
  rawBody,
  takeIn,
  takeReport,
  unknownNumber,
  type ProviderWebhookDeps,
  type WebhookAnswer,
} from '../providers/provider-webhook.ts'
import { parseQuoCallDetails } from '../providers/quo-call-details.ts'
import { parseQuo } from '../providers/quo-events.ts'
import { verifyQuo } from '../providers/quo-signature.ts'
import type { SignatureCheck } from '../providers/signature-check.ts'
import { replyJson, requestHeader } from '../request-headers.ts'
import { parseTelnyx } from '../providers/telnyx-events.ts'
import { verifyTelnyx } from '../providers/telnyx-signature.ts'
import { twilioWebhookRoutes } from './twilio-webhooks.ts'

export type { ProviderWebhookDeps } from '../providers/provider-webhook.ts'

/** Mounted at `/api/webhooks`. */
export function providerWebhookRoutes(deps: ProviderWebhookDeps): Hono {
  const now = deps.now ?? Date.now
  const header = (c: Context, name: string) => requestHeader(c, name, deps.readHeader)
  const app = new Hono()
  for (const provider of ['twilio', 'telnyx', 'quo'])
    app.use(`/${provider}/*`, limitBody(deps.maxBodyBytes, deps.readBody))
  app.route('/twilio', twilioWebhookRoutes({ ...deps, now }))

  /** [W3][W7] The signature over the raw body first; only a verified body is parsed. */
  async function jsonWebhook<A extends ProviderAccount>(
    c: Context,
    account: A | null,
    verify: (account: A, raw: Uint8Array, at: number) => SignatureCheck | Promise<SignatureCheck>,
    parse: (account: A, body: unknown, at: number) => ParsedEvent,
    report: (body: unknown) => DeliveryReport | null,
    details?: (account: A, body: unknown) => Promise<WebhookAnswer> | null,
  ): Promise<WebhookAnswer> {
    if (!account) return unknownNumber
    const raw = await rawBody(c)
    const at = now()
    const check = await verify(account, raw, at)
    if (!check.ok) {
      deps.onRefused?.(`${account.provider}-signature`)
      return { status: 403, body: { error: check.reason } }
    }
    let body: unknown
    try {
      body = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(raw))
    } catch {
      return { status: 400, body: { error: 'body must be JSON', field: 'body' } }
    }
    const delivery = report(body)
    if (delivery) return takeReport(account, delivery, deps)
    const later = details?.(account, body)
    const parsed = later ? null : parse(account, body, at)
    const answer = await (later ?? takeIn(parsed!, deps.ingest, at))
    if (answer.status === 200 && parsed?.ok && parsed.activity)
      deps.quoCalls?.filed(account, parsed.activity)
    if (answer.body.duplicate === true) deps.onDuplicate?.(account.provider)
    return answer
  }

  /** [W10] A Quo summary or transcript, attached to its call; null for any other event. */
  function quoDetails(
    account: Extract<ProviderAccount, { provider: 'quo' }>,
    body: unknown,
  ): Promise<WebhookAnswer> | null {
    const event = parseQuoCallDetails(body)
    if (!event) return null
    if (!event.ok)
      return Promise.resolve({ status: 400, body: { error: event.error, field: event.field } })
    if (event.callId === null || !deps.quoCalls)
      return Promise.resolve({
        status: 200,
        body: { ignored: event.callId === null ? event.ignored : 'call details' },
      })
    return deps.quoCalls.attach(account, event.callId, event.patch)
  }

  app.post('/telnyx/:phoneNumberId', async (c) => {
    const account = accountFor(deps.accounts, 'telnyx', c.req.param('phoneNumberId'))
    const { status, body } = await jsonWebhook(
      c,
      account,
      (a, raw, at) =>
        verifyTelnyx(
          a.credentials.publicKey,
          {
            signature: header(c, 'telnyx-signature-ed25519'),
            timestamp: header(c, 'telnyx-timestamp'),
          },
          raw,
          at,
        ),
      parseTelnyx,
      telnyxReport,
    )
    return replyJson(c, body, status)
  })

  app.post('/quo/:phoneNumberId', async (c) => {
    const account = accountFor(deps.accounts, 'quo', c.req.param('phoneNumberId'))
    const { status, body } = await jsonWebhook(
      c,
      account,
      (a, raw, at) =>
        verifyQuo(
          a.credentials.webhookSecret,
          {
            openphoneSignature: header(c, 'openphone-signature'),
            webhookId: header(c, 'webhook-id'),
            webhookTimestamp: header(c, 'webhook-timestamp'),
            webhookSignature: header(c, 'webhook-signature'),
          },
          raw,
          at,
        ),
      parseQuo,
      quoReport,
      quoDetails,
    )
    return replyJson(c, body, status)
  })
  return app
}
