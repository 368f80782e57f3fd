/**
 * @module Twilio's webhooks of one connected number, mounted at `/api/webhooks/twilio`:
 * - `POST /:phoneNumberId`: the number's messaging webhook (an incoming SMS/MMS);
 * - `POST /:phoneNumberId/voice`: the voice URL, answered with TwiML that records a voicemail;
 * - `POST /:phoneNumberId/voice/status`: the call status callback (a call activity);
 * - `POST /:phoneNumberId/voice/transcription`: the voicemail's transcription (a voicemail);
 * - `POST /:phoneNumberId/voice/recorded`: the recording's end, answered with a hang-up;
 * - `POST /:phoneNumberId/status`: a reply's status callback (`StatusCallback` of a send) [O8].
 * Every one is checked against `X-Twilio-Signature` with the number's auth token [W3].
 */
import { Hono, type Context } from 'hono'
import { twilioReport } from '../providers/delivery-reports.ts'
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
import {
  hangupTwiml,
  parseTwilioCallStatus,
  parseTwilioMessage,
  parseTwilioTranscription,
  voicemailTwiml,
} from '../providers/twilio-events.ts'
import { reply, replyJson, requestHeader } from '../request-headers.ts'
import { verifyTwilio } from '../providers/twilio-signature.ts'

type TwilioAccount = Extract<ProviderAccount, { provider: 'twilio' }>
type Parse = (account: TwilioAccount, params: URLSearchParams, now: number) => ParsedEvent

const EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'

/** The URL Twilio called: the public base with the request's path and query, or the request's. */
export function calledUrl(requestUrl: string, publicUrl: string | undefined): string {
  if (!publicUrl) return requestUrl
  const url = new URL(requestUrl)
  return publicUrl.replace(/\/+$/, '') + url.pathname + url.search
}

export function twilioWebhookRoutes(deps: ProviderWebhookDeps & { now: () => number }): Hono {
  const { now } = deps
  const header = (c: Context, name: string) => requestHeader(c, name, deps.readHeader)
  const app = new Hono()

  /** Finds the account, reads the form (or a JSON body) and checks the signature. */
  async function verified(
    c: Context,
  ): Promise<{ ok: true; account: TwilioAccount; params: URLSearchParams } | WebhookAnswer> {
    const account = accountFor(deps.accounts, 'twilio', c.req.param('phoneNumberId') ?? '')
    if (!account) return unknownNumber
    const raw = await rawBody(c)
    const type = (header(c, 'content-type') ?? '').split(';')[0]!.trim().toLowerCase()
    const json = type === 'application/json'
    if (!json && type !== 'application/x-www-form-urlencoded')
      return { status: 400, body: { error: 'body must be form-encoded', field: 'body' } }
    let text: string
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(raw)
    } catch {
      return { status: 400, body: { error: 'body must be UTF-8', field: 'body' } }
    }
    const params = json ? new URLSearchParams() : new URLSearchParams(text)
    const check = verifyTwilio(
      account.credentials.authToken,
      calledUrl(c.req.url, deps.publicUrl),
      params,
      header(c, 'x-twilio-signature'),
      json ? raw : undefined,
    )
    if (!check.ok) {
      deps.onRefused?.('twilio-signature')
      return { status: 403, body: { error: check.reason } }
    }
    if (json) {
      // A JSON body (Twilio's newer products) carries the same fields as an object of strings.
      let body: unknown
      try {
        body = JSON.parse(text)
      } catch {
        return { status: 400, body: { error: 'body must be JSON', field: 'body' } }
      }
      if (typeof body !== 'object' || body === null || Array.isArray(body))
        return { status: 400, body: { error: 'body must be a JSON object', field: 'body' } }
      for (const [k, v] of Object.entries(body))
        if (typeof v === 'string' || typeof v === 'number') params.append(k, String(v))
    }
    return { ok: true, account, params }
  }

  /** A verified callback that may become an activity; success answers empty TwiML, Twilio's usual reply. */
  async function take(
    c: Context,
    v: { account: TwilioAccount; params: URLSearchParams },
    parse: Parse,
  ) {
    const at = now()
    const answer = await takeIn(parse(v.account, v.params, at), deps.ingest, at)
    if (answer.body.duplicate === true) deps.onDuplicate?.('twilio')
    if (answer.status !== 200) return replyJson(c, answer.body, answer.status)
    return reply(c, 200, EMPTY_TWIML, 'text/xml')
  }
  const callback = (parse: Parse) => async (c: Context) => {
    const v = await verified(c)
    if (!('ok' in v)) return replyJson(c, v.body, v.status)
    return take(c, v, parse)
  }

  app.post('/:phoneNumberId', async (c) => {
    const v = await verified(c)
    if (!('ok' in v)) return replyJson(c, v.body, v.status)
    // [O8] A reply's status posted to the messaging URL (a status callback set in Twilio's
    // console) is a delivery report too; anything else is an incoming message.
    const report = twilioReport(v.params)
    if (report) {
      await takeReport(v.account, report, deps)
      return reply(c, 200, EMPTY_TWIML, 'text/xml')
    }
    return take(c, v, parseTwilioMessage)
  })
  app.post('/:phoneNumberId/voice/status', callback(parseTwilioCallStatus))

  app.post('/:phoneNumberId/status', async (c) => {
    const v = await verified(c)
    if (!('ok' in v)) return replyJson(c, v.body, v.status)
    const report = twilioReport(v.params)
    if (!report)
      return replyJson(
        c,
        { error: 'MessageSid and a known MessageStatus are required', field: 'MessageStatus' },
        400,
      )
    const answer = await takeReport(v.account, report, deps)
    return replyJson(c, answer.body, answer.status)
  })
  app.post('/:phoneNumberId/voice/transcription', callback(parseTwilioTranscription))

  app.post('/:phoneNumberId/voice', async (c) => {
    const v = await verified(c)
    if (!('ok' in v)) return replyJson(c, v.body, v.status)
    const base = calledUrl(c.req.url, deps.publicUrl).split('?')[0]!
    const twiml = voicemailTwiml({
      transcriptionUrl: `${base}/transcription`,
      recordedUrl: `${base}/recorded`,
    })
    return reply(c, 200, twiml, 'text/xml')
  })

  app.post('/:phoneNumberId/voice/recorded', async (c) => {
    const v = await verified(c)
    if (!('ok' in v)) return replyJson(c, v.body, v.status)
    return reply(c, 200, hangupTwiml, 'text/xml')
  })
  return app
}
