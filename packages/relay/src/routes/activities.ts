/**
 * @module Activities in: `POST /api/webhooks/activity` from the telephony provider (signed,
 * [A5][A6]), checked against the store and ingested by `take` (webhook-host.ts
 * `takeActivities`, on the main thread). A member's message out is routes/outgoing.ts.
 */
import { Hono } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { jsonError, type Vars } from '../http.ts'
import { replyJson } from '../request-headers.ts'
import { verifySignature } from '../ingestion.ts'
import type { Metrics } from '../metrics.ts'
import type { ActivitiesAnswer } from '../webhook-host.ts'

export interface ActivityRoutesDeps {
  metrics: Pick<Metrics, 'authFailure'>
  /** The verified body's activities, checked against the store and ingested. */
  take(input: unknown): Promise<ActivitiesAnswer>
  webhookSecret: string
  maxFrameBytes: number
}

/** Mounted at `/api`. */
export function activityRoutes(deps: ActivityRoutesDeps): Hono<Vars> {
  const { metrics, take, webhookSecret, maxFrameBytes } = deps
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
      const { status, body } = await take(input)
      return replyJson(c, body, status)
    },
  )
  return app
}
