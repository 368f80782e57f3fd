/**
 * @module A member's reply out, mounted at `/api`: `POST /outgoing` and, for a reply sent through
 * a provider, `POST /outgoing/:activityId/resend` (issue 22).
 *
 * A number without a provider takes the reply as an activity at once, as the generic webhook
 * does. A number connected through a provider writes the reply to the outbox first, durably,
 * before any request to the provider [O1]; the conversation shows it Sending at once, and the
 * outbox sender (outbox-sender.ts) sends it.
 */
import {
  appendActivity,
  checkActivity,
  getConversation,
  setDelivery,
  type Activity,
  type IngestResult,
} from '@switchboard/core'
import { Hono } from 'hono'
import type * as Y from 'yjs'
import type { Access } from '../access.ts'
import { jsonError, readJson, requireMember, type Authenticate, type Vars } from '../http.ts'
import { ID_RE } from '../member-views.ts'
import type { Metrics } from '../metrics.ts'
import { MAX_BODY_LENGTH, PROVIDER_TITLE } from '../providers/provider-send.ts'
import { RELAY_ORIGIN } from '../room.ts'
import type { QueuedReports } from '../scale/queued-writes.ts'
import type { NewOutboxRow, RelayStorage } from '../storage/relay-storage.ts'

export interface OutgoingRoutesDeps {
  storage: RelayStorage
  metrics: Metrics
  authenticate: Authenticate
  hasPhoneNumber: Access['hasPhoneNumber']
  /** Reads a room's document (RoomRegistry.readRoom). */
  readRoom(name: string, fn: (doc: Y.Doc) => string | undefined): Promise<string | undefined>
  ingest(activity: Activity): Promise<IngestResult>
  writeRoom(name: string, fn: (doc: Y.Doc) => void): Promise<void>
  /** Several relays: a reply's Sending goes to the conversation's owner as a queued row [W11]. */
  queued?: Pick<QueuedReports, 'sending'> | undefined
  /** Tells the outbox sender a reply is waiting. */
  wakeOutbox(): void
  now: () => number
}

/** `1,600` */
const figure = (n: number) => n.toLocaleString('en-US')

/** Mounted at `/api`. */
export function outgoingRoutes(deps: OutgoingRoutesDeps): Hono<Vars> {
  const { storage, readRoom, ingest, writeRoom, now } = deps
  const app = new Hono<Vars>()
  const member = requireMember(deps.authenticate, deps.metrics)

  /** [O1] The reply's attempt in the outbox, then Sending in its conversation. */
  async function enqueue(row: NewOutboxRow, dueAt: number) {
    storage.enqueueOutgoing(row, dueAt)
    if (deps.queued) await deps.queued.sending(row)
    else
      await writeRoom(`conversation:${row.conversationId}`, (doc) =>
        setDelivery(
          doc,
          row.activityId,
          { state: 'sending', attempt: row.attempt, at: now() },
          RELAY_ORIGIN,
        ),
      )
    deps.metrics.outboxReply('queued')
    deps.wakeOutbox()
  }

  app.post('/outgoing', member, async (c) => {
    const me = c.get('member')
    const { conversationId, phoneNumberId, body } = await readJson(c)
    if (typeof conversationId !== 'string' || !ID_RE.test(conversationId))
      throw jsonError(400, 'conversationId must be an id', { field: 'conversationId' })
    if (typeof phoneNumberId !== 'string' || !ID_RE.test(phoneNumberId))
      throw jsonError(400, 'phoneNumberId must be an id', { field: 'phoneNumberId' })
    if (typeof body !== 'string' || !body.trim() || body.length > 10_000)
      throw jsonError(400, 'body must be 1–10000 characters', { field: 'body' })
    if (me.role === 'viewer' || !deps.hasPhoneNumber(me.id, phoneNumberId))
      throw jsonError(403, 'no access to this phone number')
    if (storage.getConversationPhoneNumber(conversationId) !== phoneNumberId)
      throw jsonError(404, 'no such conversation on this phone number', { field: 'conversationId' })
    const pn = storage.getPhoneNumber(phoneNumberId)
    const provider = pn?.provider
    // [O1] Refused before anything is stored: the provider would refuse it anyway.
    if (provider && body.length > MAX_BODY_LENGTH[provider])
      throw jsonError(
        400,
        `body is longer than ${figure(MAX_BODY_LENGTH[provider])} characters, ${PROVIDER_TITLE[provider]}'s limit`,
        { field: 'body', limit: MAX_BODY_LENGTH[provider] },
      )
    const to = await readRoom(
      `inbox:${phoneNumberId}`,
      (doc) => getConversation(doc, conversationId)?.participants[0],
    )
    if (!to) throw jsonError(404, 'conversation has no participant', { field: 'conversationId' })
    const checked = checkActivity({
      id: `out-${crypto.randomUUID()}`,
      conversationId,
      phoneNumberId,
      direction: 'outgoing',
      kind: 'message',
      from: me.id,
      to,
      body,
      at: now(),
    })
    if (!checked.ok) throw jsonError(400, checked.message, { field: checked.field })
    const activity = checked.value
    if (!provider || !pn) {
      await ingest(activity)
      return c.json({ activity }, 202)
    }
    const row = {
      activityId: activity.id,
      attempt: 1,
      phoneNumberId,
      conversationId,
      memberId: me.id,
      provider,
      from: pn.number,
      to,
      body,
      createdAt: activity.at,
    }
    // [D4][O6] The conversation shows the reply now; the inbox, whose activity log the team
    // figures read, takes it when the provider does (deliveries.ts).
    storage.enqueueOutgoing(row, activity.at)
    if (deps.queued) await deps.queued.sending(row, activity)
    else
      await writeRoom(`conversation:${conversationId}`, (doc) => {
        appendActivity(doc, activity, RELAY_ORIGIN)
        setDelivery(doc, activity.id, { state: 'sending', attempt: 1, at: now() }, RELAY_ORIGIN)
      })
    storage.recordActivity(activity.id)
    deps.metrics.outboxReply('queued')
    deps.wakeOutbox()
    return c.json({ activity, activityId: activity.id, delivery: 'sending' }, 202)
  })

  app.post('/outgoing/:activityId/resend', member, async (c) => {
    const me = c.get('member')
    const activityId = c.req.param('activityId')
    const row = ID_RE.test(activityId) ? storage.getOutgoing(activityId) : null
    if (!row) throw jsonError(404, 'no reply sent through a provider has this id')
    if (me.role === 'viewer' || !deps.hasPhoneNumber(me.id, row.phoneNumberId))
      throw jsonError(403, 'no access to this phone number')
    // [D3][O7] Checked and written with no await between: two resends at once make one attempt.
    if (row.state !== 'done' || (row.outcome !== 'failed' && row.outcome !== 'unknown'))
      throw jsonError(
        409,
        `only a failed or unknown delivery can be resent; this reply is ${row.state === 'done' ? row.outcome : 'sending'}`,
        { delivery: row.state === 'done' ? row.outcome : 'sending', attempt: row.attempt },
      )
    await enqueue(
      {
        activityId: row.activityId,
        attempt: row.attempt + 1,
        phoneNumberId: row.phoneNumberId,
        conversationId: row.conversationId,
        memberId: row.memberId,
        provider: row.provider,
        from: row.from,
        to: row.to,
        body: row.body,
        createdAt: row.createdAt,
      },
      now(),
    )
    return c.json({ activityId, delivery: 'sending', attempt: row.attempt + 1 }, 202)
  })
  return app
}
