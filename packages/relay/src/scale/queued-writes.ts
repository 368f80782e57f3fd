/**
 * @module Provider reports that write a room, queued for the room's owner like webhooks'
 * activities (docs/scale-out.md "Webhooks across relays", SPEC [W11]): a reply's delivery report
 * [O8] (with the reply into the inbox once the provider took it [O6]) and a call's summary or
 * transcript [W10] become inbound rows, so the relay a provider reaches never takes a room from
 * its live owner for them. Their event ids hold a colon, which no activity id may: a webhook can
 * never pass an activity off as one of them.
 */
import {
  appendActivity,
  checkActivity,
  ingestActivity,
  setCallDetails,
  setDelivery,
  writeMutes,
  type Activity,
  type CallDetailsPatch,
  type Delivery,
  type DeliveryState,
  type MuteView,
} from '@switchboard/core'
import { createHash } from 'node:crypto'
import type * as Y from 'yjs'
import { ACCEPTED_KEY, outgoingActivity } from '../deliveries.ts'
import type { DeliveryReport } from '../providers/delivery-reports.ts'
import type { ProviderName } from '../providers/provider-account.ts'
import { RELAY_ORIGIN } from '../room.ts'
import type { InboundItem } from '../storage/inbound-store.ts'
import type { NewOutboxRow, OutboxRow, RelayStorage } from '../storage/relay-storage.ts'

/** A queued write, as its row's payload holds it. */
export type QueuedWrite =
  | { op: 'sending'; activityId: string; activity?: Activity; delivery: Delivery }
  | { op: 'delivery'; activityId: string; delivery: Delivery; settle: boolean }
  | { op: 'accepted'; activity: Activity }
  | { op: 'call-details'; activityId: string; patch: CallDetailsPatch; at: number }
  | { op: 'mutes'; mutes: MuteView[] }

/** True for a row of a queued write; an activity id never holds a colon (checkActivity). */
export const isQueuedWrite = (eventId: string): boolean => eventId.includes(':')

/**
 * One row per (message, state) however many relays a provider's retries reach: a repeat would
 * change nothing anyway, forward only [D2].
 */
const deliveryEventId = (provider: string, report: DeliveryReport) =>
  `delivery:${provider}:${report.state}:${report.providerMessageId}`

/** One row per call and content: a repeat changes nothing [W10], a new summary replaces the old. */
const detailsEventId = (activityId: string, patch: CallDetailsPatch) =>
  `call-details:${activityId}:${createHash('sha256').update(JSON.stringify(patch)).digest('hex').slice(0, 32)}`

/** What the owner does with a queued write. */
export interface QueuedWriteApplier {
  /** The write a row holds; null when it cannot be read. */
  parse(payload: string): QueuedWrite | null
  /** Applies `write` to `room`; `durable` runs once the room's append is durable. */
  apply(doc: Y.Doc, room: string, write: QueuedWrite): { changed: boolean; durable?: () => void }
}

export function createQueuedWriteApplier(deps: {
  storage: Pick<RelayStorage, 'settleOutgoing'>
  /** Counts a reply's reported outcome (metrics.ts). */
  onOutcome?: (state: Exclude<DeliveryState, 'sending'>) => void
}): QueuedWriteApplier {
  return {
    parse(payload) {
      try {
        const write = JSON.parse(payload) as QueuedWrite
        if (write.op === 'accepted') {
          const checked = checkActivity(write.activity)
          return checked.ok ? { op: 'accepted', activity: checked.value } : null
        }
        if (write.op === 'sending' && write.activity && !checkActivity(write.activity).ok)
          return null
        if (write.op === 'mutes') return checkMutes(write.mutes) ? write : null
        if (write.op === 'delivery' || write.op === 'call-details' || write.op === 'sending')
          return typeof write.activityId === 'string' ? write : null
        return null
      } catch {
        return null
      }
    },
    apply(doc, room, write) {
      if (write.op === 'mutes') {
        if (!room.startsWith('inbox:')) return { changed: false }
        writeMutes(doc, write.mutes, RELAY_ORIGIN)
        return { changed: true }
      }
      if (write.op === 'accepted') {
        const changed = room.startsWith('inbox:')
          ? ingestActivity(doc, write.activity, RELAY_ORIGIN).created
          : appendActivity(doc, write.activity, RELAY_ORIGIN)
        return { changed }
      }
      if (write.op === 'sending') {
        const added = write.activity ? appendActivity(doc, write.activity, RELAY_ORIGIN) : false
        return {
          changed: setDelivery(doc, write.activityId, write.delivery, RELAY_ORIGIN) || added,
        }
      }
      if (write.op === 'call-details') {
        const { activityId, patch, at } = write
        return { changed: setCallDetails(doc, activityId, patch, at, RELAY_ORIGIN) }
      }
      const { activityId, delivery, settle } = write
      const changed = setDelivery(doc, activityId, delivery, RELAY_ORIGIN)
      const { state, attempt, reason } = delivery
      if (state === 'sending' || (!changed && !settle)) return { changed }
      // The outbox row after the document, as deliveries.ts does: a crash in between looks again.
      const durable = () => {
        deps.storage.settleOutgoing(
          activityId,
          attempt,
          state,
          reason === undefined ? {} : { reason },
        )
        if (changed) deps.onOutcome?.(state)
      }
      return { changed, durable }
    },
  }
}

/** A mirror of mutes as a row holds it: each mute's fields of the right type. */
const checkMutes = (mutes: unknown): mutes is MuteView[] =>
  Array.isArray(mutes) &&
  mutes.every(
    (m: Partial<MuteView> | null) =>
      typeof m?.id === 'string' &&
      typeof m.pattern === 'string' &&
      typeof m.by === 'string' &&
      typeof m.at === 'number',
  )

/** What putting writes in answers: the ids that were new, and what applying them here changed. */
export interface PutResult {
  fresh: Set<string>
  /** By event id, when this relay applied it before answering; absent when its owner will. */
  changed: Map<string, boolean>
}

export interface QueuedReports {
  /** [O1][O7] A reply's attempt Sending (with the reply itself at its first), for the owner. */
  sending(row: NewOutboxRow, activity?: Activity): Promise<void>
  /** [O8] A report of `row`'s current attempt, queued for the conversation's owner. */
  delivery(provider: ProviderName, row: OutboxRow, report: DeliveryReport): Promise<boolean>
  /** [W10] A call's details, queued for the conversation's owner. */
  callDetails(
    conversationId: string,
    activityId: string,
    patch: CallDetailsPatch,
  ): Promise<{ duplicate: boolean; queued?: true }>
  /**
   * [F6] The number's mutes mirrored into its inbox by the inbox's owner; applied here first
   * when this relay owns the room or may claim it. Each mirror is a row of its own.
   */
  mutes(phoneNumberId: string, mutes: MuteView[]): Promise<void>
}

export function createQueuedReports(deps: {
  put(items: InboundItem[]): Promise<PutResult>
  storage: Pick<RelayStorage, 'hasActivity' | 'recordActivity'>
  now: () => number
}): QueuedReports {
  const { put, storage, now } = deps
  const item = (provider: string, eventId: string, rooms: string[], write: QueuedWrite) => ({
    provider,
    eventId,
    payload: JSON.stringify(write),
    rooms,
  })
  return {
    async sending(row, activity) {
      const { activityId, attempt, conversationId } = row
      const delivery: Delivery = { state: 'sending', attempt, at: now() }
      const write: QueuedWrite = activity
        ? { op: 'sending', activityId, activity, delivery }
        : { op: 'sending', activityId, delivery }
      const eventId = `sending:${activityId}:${attempt}`
      await put([item(row.provider, eventId, [`conversation:${conversationId}`], write)])
    },
    async delivery(provider, row, report) {
      const delivery: Delivery = { state: report.state, attempt: row.attempt, at: now() }
      if (report.reason !== undefined) delivery.reason = report.reason
      const conversation = `conversation:${row.conversationId}`
      const write: QueuedWrite = {
        op: 'delivery',
        activityId: row.activityId,
        delivery,
        settle: row.state === 'in-flight',
      }
      const items = [item(provider, deliveryEventId(provider, report), [conversation], write)]
      const accepted = ACCEPTED_KEY(row.activityId)
      const taken = report.state === 'sent' || report.state === 'delivered'
      // [O6] The reply enters the inbox once, when the provider first takes it.
      if (taken && !storage.hasActivity(accepted))
        items.push(
          item(provider, accepted, [conversation, `inbox:${row.phoneNumberId}`], {
            op: 'accepted',
            activity: outgoingActivity(row),
          }),
        )
      const { fresh } = await put(items)
      // Durable in the queue: the owner applies it whoever posts the next report.
      if (fresh.has(accepted)) storage.recordActivity(accepted)
      return true
    },
    async callDetails(conversationId, activityId, patch) {
      const eventId = detailsEventId(activityId, patch)
      const write: QueuedWrite = { op: 'call-details', activityId, patch, at: now() }
      const { fresh, changed } = await put([
        item('quo', eventId, [`conversation:${conversationId}`], write),
      ])
      if (!fresh.has(eventId)) return { duplicate: true }
      const applied = changed.get(eventId)
      return applied === undefined ? { duplicate: false, queued: true } : { duplicate: !applied }
    },
    async mutes(phoneNumberId, mutes) {
      const eventId = `mutes:${phoneNumberId}:${crypto.randomUUID()}`
      const write: QueuedWrite = { op: 'mutes', mutes }
      await put([item('relay', eventId, [`inbox:${phoneNumberId}`], write)])
    },
  }
}
