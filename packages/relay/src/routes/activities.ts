/**
 * @module Activities in: `POST /api/webhooks/activity` from the telephony provider (signed,
 * [A5][A6]), through ingestion.ts. A member's message out is routes/outgoing.ts.
 */
import type { Activity, IngestResult } from '@switchboard/core'
import { Hono } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { jsonError, type Vars } from '../http.ts'
import { replyJson } from '../request-headers.ts'
import { parseWebhook, verifySignature } from '../ingestion.ts'
import type { Metrics } from '../metrics.ts'
import type { RelayStorage } from '../storage/relay-storage.ts'

export interface ActivityRoutesDeps {
  storage: RelayStorage
  metrics: Metrics
  ingest(activity: Activity): Promise<IngestResult>
  webhookSecret: string
  maxFrameBytes: number
  now: () => number
}

/** Mounted at `/api`. */
export function activityRoutes(deps: ActivityRoutesDeps): Hono<Vars> {
  const { storage, metrics, ingest, webhookSecret, maxFrameBytes, now } = deps
  const app = new Hono<Vars>()

  app.post(
    '/webhooks/activity',
    bodyLimit({
      maxSize: maxFrameBytes,
      onError: () => {
        throw jsonError(413, `body too large: at most ${maxFrameBytes} bytes`, {
          field: 'body',
          limit: maxFrameBytes,
        })
      },
    }),
    async (c) => {
      const raw = new Uint8Array(await c.req.arrayBuffer())
      const signature = c.req.header('x-switchboard-signature') ?? ''
      if (!(await verifySignature(webhookSecret, raw, signature))) {
        metrics.authFailure('webhook-signature')
        return replyJson(c, { error: 'bad or missing x-switchboard-signature' }, 401)
      }
      let input: unknown
      try {
        input = JSON.parse(new TextDecoder().decode(raw))
      } catch {
        return replyJson(c, { error: 'body must be JSON', field: 'body' }, 400)
      }
      const parsed = parseWebhook(storage, input, now())
      if (!parsed.ok)
        return replyJson(c, { error: parsed.error, field: parsed.field }, parsed.status ?? 400)
      // All taken in at once, in order: the ingestion batches them (a queue's one statement).
      const results = await Promise.all(
        parsed.activities.map(async (a) => ({ id: a.id, ...(await ingest(a)) })),
      )
      for (const r of results) if (r.duplicate) metrics.webhookDuplicate('generic')
      return replyJson(c, { accepted: results.length, results }, 202)
    },
  )
  return app
}
