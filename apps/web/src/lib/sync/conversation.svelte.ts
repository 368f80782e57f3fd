/**
 * @module An open conversation (its own room): activities, each reply's delivery and each call's
 * details (written by the relay) and internal notes as reactive state.
 */
import type { ConversationHandle, Switchboard } from '@switchboard/client'
import type { Activity, CallDetails, Delivery, Note } from '@switchboard/core'
import { coalesce } from './replica.svelte.ts'

export type ThreadItem =
  | {
      type: 'activity'
      at: number
      id: string
      activity: Activity
      /** Null unless the reply went through a provider's outbox. */
      delivery: Delivery | null
      /** A call's summary, next steps and transcript, when its provider sent them. */
      details: CallDetails | null
    }
  | { type: 'note'; at: number; id: string; note: Note }

export class ConversationState {
  readonly handle: ConversationHandle
  version = $state(0)
  loaded = $state(false)
  /** Whether this device has the conversation's content (`ConversationHandle.downloaded`). */
  downloaded = $state(false)
  #off: () => void

  constructor(sb: Switchboard, id: string, phoneNumberId: string) {
    this.handle = sb.openConversation(id, phoneNumberId)
    this.#off = this.handle.onChange(
      coalesce(() => {
        this.downloaded = this.handle.downloaded
        this.version++
      }),
    )
    void this.handle.whenLoaded.then(() => {
      this.loaded = true
      this.downloaded = this.handle.downloaded
      this.version++
    })
  }

  /** What an empty thread says: loading, not downloaded yet (offline), or no messages. */
  emptyText(offline: boolean): string {
    if (!this.loaded || (!this.downloaded && !offline)) return 'Loading conversation…'
    if (!this.downloaded) return 'Not downloaded yet — it will load when you’re back online.'
    return 'No messages yet.'
  }

  /** Activities and notes in time order. */
  items = $derived.by((): ThreadItem[] => {
    void this.version
    const items: ThreadItem[] = [
      ...this.handle.activities().map((a) => ({
        type: 'activity' as const,
        at: a.at,
        id: a.id,
        activity: a,
        delivery: a.direction === 'outgoing' ? this.handle.delivery(a.id) : null,
        details: a.kind === 'message' ? null : this.handle.callDetails(a.id),
      })),
      ...this.handle.notes().map((n) => ({ type: 'note' as const, at: n.at, id: n.id, note: n })),
    ]
    return items.sort((a, b) => a.at - b.at || (a.id < b.id ? -1 : 1))
  })

  activity(id: string): Activity | undefined {
    void this.version
    return this.handle.activities().find((a) => a.id === id)
  }

  /** Sends a Failed or Unknown reply again; its delivery starts over at Sending. */
  resend(activityId: string): Promise<void> {
    return this.handle.resend(activityId)
  }

  addNote(body: string, mentions: string[]) {
    return this.handle.addNote(body, mentions)
  }

  destroy(): void {
    this.#off()
    this.handle.close()
  }
}
