/**
 * @module An opened conversation: its own room (activities, internal notes), loaded lazily.
 * A note's @mentions are also written to the inbox document, where the mentioned member sees
 * them without opening the thread. Each reply sent through a provider has a delivery beside it,
 * and a call the provider summarised its details, which only the relay writes.
 */
import {
  addNote,
  callDetailsOf,
  deliveryOf,
  listActivities,
  listNotes,
  roomName,
  type Activity,
  type CallDetails,
  type Delivery,
  type Note,
} from '@switchboard/core'
import type { InboxHandle } from './inbox.ts'
import type { RoomReplica } from './room.ts'
import type { Internals } from './internals.ts'
import type { ConversationHandle } from './types.ts'

export class ConversationRoomHandle implements ConversationHandle {
  readonly id: string
  readonly whenLoaded: Promise<void>
  private readonly sb: Internals
  private readonly replica: RoomReplica
  private readonly inbox: InboxHandle
  private closed = false

  constructor(sb: Internals, id: string, inbox: InboxHandle) {
    this.sb = sb
    this.id = id
    this.inbox = inbox
    this.replica = sb.room(roomName.conversation(id))
    this.replica.refs++
    this.whenLoaded = this.replica.loaded
  }

  get downloaded(): boolean {
    return this.replica.downloaded
  }

  activities(): Activity[] {
    return listActivities(this.replica.doc)
  }

  delivery(activityId: string): Delivery | null {
    return deliveryOf(this.replica.doc, activityId)
  }

  callDetails(activityId: string): CallDetails | null {
    return callDetailsOf(this.replica.doc, activityId)
  }

  async resend(activityId: string): Promise<void> {
    const phoneNumberId = this.inbox.phoneNumberId
    await this.sb.post(`/api/outgoing/${encodeURIComponent(activityId)}/resend`, {
      conversationId: this.id,
      phoneNumberId,
    })
  }

  async reply(body: string): Promise<{ activityId: string; delivery: Delivery['state'] | null }> {
    const answer = await this.sb.post<{
      activity?: { id: string }
      activityId?: string
      delivery?: Delivery['state']
    }>('/api/outgoing', { conversationId: this.id, phoneNumberId: this.inbox.phoneNumberId, body })
    const activityId = answer.activityId ?? answer.activity?.id
    if (!activityId) throw new Error('the relay answered the reply without its activity id')
    return { activityId, delivery: answer.delivery ?? null }
  }

  notes(): Note[] {
    return listNotes(this.replica.doc)
  }

  async addNote(body: string, mentions: string[]): Promise<Note> {
    await this.sb.ready
    await this.replica.loaded
    const author = this.sb.author()
    const known = new Set(this.sb.members().map((m) => m.id))
    const mentioned = [...new Set(mentions)].filter((m) => known.size === 0 || known.has(m))
    const note = addNote(
      this.replica.doc,
      { author: author.memberId, body, mentions: mentioned },
      this.sb.origin,
    )
    await this.replica.lastLocalWrite
    await this.inbox.addMentions(this.id, note.id, mentioned, note.at)
    return note
  }

  onChange(listener: () => void): () => void {
    return this.replica.onDocUpdate(listener)
  }

  close(): void {
    if (this.closed) return
    this.closed = true
    this.sb.release(this.replica.name)
  }
}
