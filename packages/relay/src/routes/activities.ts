/**
 * @module Activities in: `POST /api/webhooks/activity` from the telephony provider (signed,
 * [A5][A6]) and `POST /api/outgoing`, a member's message out. Both go through ingestion.ts.
 */
import { checkActivity, getConversation, type Activity, type IngestResult } from '@switchboard/core'
import { Hono } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import type { Access } from '../access.ts'
import { jsonError, readJson, requireMember, type Authenticate, type Vars } from '../http.ts'
import { parseWebhook, verifySignature } from '../ingestion.ts'
import { ID_RE } from '../member-views.ts'
import type { Metrics } from '../metrics.ts'
import type { RoomRegistry } from '../room-registry.ts'
import type { RelayStorage } from '../storage/relay-storage.ts'

export interface ActivityRoutesDeps {
  storage: RelayStorage
  metrics: Metrics
  authenticate: Authenticate
  hasPhoneNumber: Access['hasPhoneNumber']
  rooms: Pick<RoomRegistry, 'open' | 'scheduleIdle'>
  ingest(activity: Activity): Promise<IngestResult>
  webhookSecret: string
  maxFrameBytes: number
  now: () => number
}

/** Mounted at `/api`. */
export function activityRoutes(deps: ActivityRoutesDeps): Hono<Vars> {
  const { storage, metrics, rooms, ingest, webhookSecret, maxFrameBytes, now } = deps
  const app = new Hono<Vars>()

  app.post('/outgoing', requireMember(deps.authenticate, deps.metrics), async (c) => {
    const member = c.get('member')
    const { conversationId, phoneNumberId, body } = await readJson(c)
    if (typeof conversationId !== 'string' || !ID_RE.test(conversationId))
      throw jsonError(400, 'conversationId must be an id', { field: 'conversationId' })
    if (typeof phoneNumberId !== 'string' || !ID_RE.test(phoneNumberId))
      throw jsonError(400, 'phoneNumberId must be an id', { field: 'phoneNumberId' })
    if (typeof body !== 'string' || !body.trim() || body.length > 10_000)
      throw jsonError(400, 'body must be 1–10000 characters', { field: 'body' })
    if (member.role === 'viewer' || !deps.hasPhoneNumber(member.id, phoneNumberId))
      throw jsonError(403, 'no access to this phone number')
    if (storage.getConversationPhoneNumber(conversationId) !== phoneNumberId)
      throw jsonError(404, 'no such conversation on this phone number', { field: 'conversationId' })
    const inbox = await rooms.open(`inbox:${phoneNumberId}`)
    const to = getConversation(inbox.doc, conversationId)?.participants[0]
    rooms.scheduleIdle(inbox)
    if (!to) throw jsonError(404, 'conversation has no participant', { field: 'conversationId' })
    const checked = checkActivity({
      id: `out-${crypto.randomUUID()}`,
      conversationId,
      phoneNumberId,
      direction: 'outgoing',
      kind: 'message',
      from: member.id,
      to,
      body,
      at: now(),
    })
    if (!checked.ok) throw jsonError(400, checked.message, { field: checked.field })
    await ingest(checked.value)
    return c.json({ activity: checked.value }, 202)
  })

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
        return c.json({ error: 'bad or missing x-switchboard-signature' }, 401)
      }
      let input: unknown
      try {
        input = JSON.parse(new TextDecoder().decode(raw))
      } catch {
        return c.json({ error: 'body must be JSON', field: 'body' }, 400)
      }
      const parsed = parseWebhook(storage, input, now())
      if (!parsed.ok) return c.json({ error: parsed.error, field: parsed.field }, 400)
      const results = []
      for (const a of parsed.activities) results.push({ id: a.id, ...(await ingest(a)) })
      return c.json({ accepted: results.length, results }, 202)
    },
  )
  return app
}
