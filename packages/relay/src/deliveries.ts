/**
 * @module What the relay learns of a reply it sent through a provider, written where every
 * replica sees it (issue 22): the delivery in the conversation document [D1]–[D3], the outcome
 * in the outbox row, the reply in the inbox once the provider took it [D4][O6], and a number's
 * rejected credentials in the workspace document [O5].
 *
 * The document is written before the outbox row is settled: a relay killed in between finds the
 * row still in flight at its start and looks it up at the provider again [O4], and a report the
 * document already has (forward only [D2]) changes nothing the second time.
 */
import {
  appendActivity,
  ingestActivity,
  setDelivery,
  type Activity,
  type Delivery,
  type DeliveryState,
} from '@switchboard/core'
import type * as Y from 'yjs'
import type { DeliveryReport } from './providers/delivery-reports.ts'
import type { ProviderAccount } from './providers/provider-account.ts'
import type { QueuedReports } from './scale/queued-writes.ts'
import { RELAY_ORIGIN } from './room.ts'
import type { OutboxRow, RelayStorage } from './storage/relay-storage.ts'
import { workspaceWriter, type WriteWorkspace } from './workspace-writes.ts'

export interface DeliveriesDeps {
  storage: RelayStorage
  writeRoom(name: string, fn: (doc: Y.Doc) => void): Promise<void>
  /** The workspace's writes (several relays: made by its owner); default through `writeRoom`. */
  writeWorkspace?: WriteWorkspace
  /**
   * Several relays: a report's writes made by the room's owner (scale/owner-requests.ts), and
   * answered, so the outbox row is still settled after the document; default through `writeRoom`.
   */
  roomWrites?: RoomWrites
  now: () => number
  /** Counts a reply's reported outcome (metrics.ts). */
  onOutcome?: (state: Exclude<DeliveryState, 'sending'>) => void
  /** Several relays: providers' reports go to the conversation's owner as queued rows [W11]. */
  queued?: Pick<QueuedReports, 'delivery'> | undefined
}

export interface ReportDetails {
  reason?: string
  providerMessageId?: string
}

export interface Deliveries {
  /** Records a report of `row`'s attempt; false when the delivery already went further [D2]. */
  report(row: OutboxRow, state: DeliveryState, details?: ReportDetails): Promise<boolean>
  /**
   * A provider's status report of one of its messages, from the webhook of `account`'s number;
   * false (and nothing written) when no reply of that number carries the id in its current
   * attempt, so one number's credentials never move another number's replies.
   */
  reportByProviderId(account: ProviderAccount, report: DeliveryReport): Promise<boolean>
  /** Sets or clears a number's `providerStatus: 'credentials-rejected'` in the workspace [O5]. */
  credentialsRejected(phoneNumberId: string, rejected: boolean): Promise<void>
}

/** The outgoing activity an outbox row was made for (the one `POST /api/outgoing` wrote). */
export function outgoingActivity(row: OutboxRow): Activity {
  return {
    id: row.activityId,
    conversationId: row.conversationId,
    phoneNumberId: row.phoneNumberId,
    direction: 'outgoing',
    kind: 'message',
    from: row.memberId,
    to: row.to,
    body: row.body,
    at: row.createdAt,
  }
}

/** A report's writes of the conversation and inbox rooms. */
export interface RoomWrites {
  /** [D2] True when the delivery changed (forward only). */
  setDelivery(conversationId: string, activityId: string, delivery: Delivery): Promise<boolean>
  /** [O6] Appends the reply to its conversation, or ingests it into its inbox. */
  accepted(room: string, activity: Activity): Promise<void>
}

export const ACCEPTED_KEY = (activityId: string) => `accepted:${activityId}`

export function createDeliveries(deps: DeliveriesDeps): Deliveries {
  const { storage, writeRoom, now } = deps
  const writeWorkspace = deps.writeWorkspace ?? workspaceWriter(writeRoom)
  const roomWrites: RoomWrites = deps.roomWrites ?? {
    async setDelivery(conversationId, activityId, delivery) {
      let changed = false
      await writeRoom(`conversation:${conversationId}`, (doc) => {
        changed = setDelivery(doc, activityId, delivery, RELAY_ORIGIN)
      })
      return changed
    },
    accepted: (room, activity) =>
      writeRoom(room, (doc) =>
        room.startsWith('inbox:')
          ? void ingestActivity(doc, activity, RELAY_ORIGIN)
          : void appendActivity(doc, activity, RELAY_ORIGIN),
      ),
  }

  /**
   * [D4][O6] The reply enters the inbox — its summary and the activity log the team figures
   * read — once, when the provider first takes it; the conversation document had it from the start.
   */
  async function accepted(row: OutboxRow): Promise<void> {
    if (storage.hasActivity(ACCEPTED_KEY(row.activityId))) return
    const activity = outgoingActivity(row)
    await roomWrites.accepted(`conversation:${row.conversationId}`, activity)
    await roomWrites.accepted(`inbox:${row.phoneNumberId}`, activity)
    storage.recordActivity(ACCEPTED_KEY(row.activityId))
  }

  const deliveries: Deliveries = {
    async report(row, state, details = {}) {
      const delivery: Delivery = { state, attempt: row.attempt, at: now() }
      if (details.reason !== undefined) delivery.reason = details.reason
      if (details.providerMessageId !== undefined)
        delivery.providerMessageId = details.providerMessageId
      const changed = await roomWrites.setDelivery(row.conversationId, row.activityId, delivery)
      // The row after the document (durable at the room's owner): a crash between looks again [O4].
      if (state !== 'sending' && (changed || row.state === 'in-flight'))
        storage.settleOutgoing(row.activityId, row.attempt, state, details)
      if (state !== 'sending' && changed) deps.onOutcome?.(state)
      if (state === 'sent' || state === 'delivered') await accepted(row)
      return changed
    },
    async reportByProviderId(account, { providerMessageId, state, reason }) {
      const row = storage.outgoingByProviderId(account.provider, providerMessageId)
      if (!row || row.phoneNumberId !== account.phoneNumberId) return false
      if (deps.queued)
        return deps.queued.delivery(account.provider, row, { providerMessageId, state, reason })
      return deliveries.report(row, state, reason === undefined ? {} : { reason })
    },
    async credentialsRejected(phoneNumberId, rejected) {
      await writeWorkspace([{ op: 'credentials-rejected', phoneNumberId, rejected }])
    },
  }
  return deliveries
}
