/**
 * @module An inbox (one phone number): thin wrappers over core with this device's author and
 * HLC. Every write resolves once it is durable in local storage; marks, pins and assignments
 * are undo steps on the replica's one stack (`undo.ts`) unless told otherwise.
 */
import {
  addMention,
  assignConversation,
  clearMention,
  conversationIds,
  getConversation,
  mergeHistory,
  history,
  listConversations,
  listMentions,
  markConversation,
  onConversationsChange,
  inboxNextWake,
  pinConversation,
  snoozeConversation,
  unpinConversation,
  unreadCount,
  unsnoozeConversation,
  type SnoozeUntil,
  roomName,
  type Conversation,
  type HistoryEntry,
  type ListOptions,
  type MarkKind,
  type Mention,
  type View,
} from '@switchboard/core'
import type * as Y from 'yjs'
import { ErrorCode, SwitchboardError } from './errors.ts'
import type { RoomReplica } from './room.ts'
import type { Internals } from './internals.ts'
import type { Inbox, MarkOptions, Member } from './types.ts'
import { changesNothing, chunks, writeChange, type BulkChange, type BulkResult } from './bulk.ts'
import { compensate, snapshot, type UndoChange, type UndoSnapshot } from './undo.ts'
import { createWakeTimer } from './wake-timer.ts'

export class InboxHandle implements Inbox {
  readonly phoneNumberId: string
  readonly whenLoaded: Promise<void>
  private readonly sb: Internals
  private readonly replica: RoomReplica

  constructor(sb: Internals, phoneNumberId: string) {
    this.sb = sb
    this.phoneNumberId = phoneNumberId
    this.replica = sb.room(roomName.inbox(phoneNumberId))
    this.whenLoaded = this.replica.loaded
  }

  get doc(): Y.Doc {
    return this.replica.doc
  }

  get loaded(): boolean {
    return this.replica.isLoaded
  }

  list(view: View | ListOptions): Conversation[] {
    return listConversations(this.doc, typeof view === 'string' ? { view } : view)
  }

  get(id: string): Conversation | null {
    return getConversation(this.doc, id)
  }

  mark(id: string, kind: MarkKind, options: MarkOptions = {}): Promise<void> {
    const implicit = options.implicit ?? false
    return this.write(id, options.undoable ?? !implicit, (author) => {
      const write = () => markConversation(this.doc, id, kind, author, this.sb.origin)
      return implicit ? this.sb.implicitly(write) : write()
    })
  }
  markDone(id: string) {
    return this.mark(id, 'done')
  }
  markUnread(id: string) {
    return this.mark(id, 'unread')
  }
  markOpen(id: string) {
    return this.mark(id, 'open')
  }
  markRead(id: string, options?: MarkOptions) {
    return this.mark(id, 'read', options)
  }
  pin(id: string) {
    return this.write(id, true, (author) => pinConversation(this.doc, id, author, this.sb.origin))
  }
  unpin(id: string) {
    return this.write(id, true, (author) => unpinConversation(this.doc, id, author, this.sb.origin))
  }
  /**
   * Snoozes `id` until a time (ms) or the customer's reply [Z1]; an unread conversation is read
   * first (it leaves the badge while put away). One undo step.
   */
  snooze(id: string, until: SnoozeUntil) {
    return this.write(id, true, (author) => {
      this.doc.transact(() => {
        if (this.get(id)?.unread) markConversation(this.doc, id, 'read', author, this.sb.origin)
        snoozeConversation(this.doc, id, until, author, this.sb.origin)
      }, this.sb.origin)
    })
  }
  unsnooze(id: string) {
    return this.write(id, true, (author) =>
      unsnoozeConversation(this.doc, id, author, this.sb.origin),
    )
  }

  nextWake(now: number): number | null {
    return inboxNextWake(this.doc, now)
  }

  onWake(listener: (now: number) => void): () => void {
    const timer = createWakeTimer({ nextWake: (now) => this.nextWake(now), onWake: listener })
    const off = this.onChange(() => timer.reschedule())
    return () => {
      off()
      timer.stop()
    }
  }

  assign(id: string, memberId: string | null) {
    // Refused here as the relay would refuse it [G2][G3]: the picker offers only the others.
    const refusal =
      memberId === null ? null : this.sb.assignees.refusal(this.phoneNumberId, memberId)
    if (refusal) return Promise.reject(new SwitchboardError(ErrorCode.Forbidden, refusal))
    return this.write(id, true, (author) =>
      assignConversation(this.doc, id, memberId, author, this.sb.origin),
    )
  }

  assignableMembers(): Member[] {
    return this.sb.assignees.assignable(this.phoneNumberId)
  }

  needsNewOwner(conversation: Conversation): boolean {
    return this.sb.assignees.needsNewOwner(this.phoneNumberId, conversation.assignee)
  }

  async undo(id: string): Promise<boolean> {
    await this.ready()
    const step = this.sb.undo.take({ phoneNumberId: this.phoneNumberId, conversationId: id })
    return step ? (await this.restoreMany(step.changes)) > 0 : false
  }

  /** Writes the compensating changes that bring `id` back to `before` (not an undo step). */
  async restore(id: string, before: UndoSnapshot): Promise<boolean> {
    const change = { phoneNumberId: this.phoneNumberId, conversationId: id, before }
    return (await this.restoreMany([change])) > 0
  }

  /**
   * Brings each conversation back to its `before` (an undo step's changes of this inbox), in one
   * transaction per `BULK_CHUNK`; returns how many still exist. Not itself an undo step.
   */
  async restoreMany(changes: readonly UndoChange[]): Promise<number> {
    await this.ready()
    const author = this.sb.author()
    let restored = 0
    for (const chunk of chunks(changes)) {
      this.doc.transact(() => {
        for (const { conversationId: id, before } of chunk) {
          const now = this.get(id)
          if (!now) continue
          // An assignee who lost access meanwhile is not restored: unassigned instead [G3].
          const assignee = before.assignee
          const back =
            assignee !== null && this.sb.assignees.refusal(this.phoneNumberId, assignee)
              ? { ...before, assignee: null }
              : before
          compensate(this.doc, id, back, snapshot(now), author, this.sb.origin)
          restored++
        }
      }, this.sb.origin)
    }
    await this.replica.lastLocalWrite
    return restored
  }

  async bulk(ids: readonly string[], change: BulkChange): Promise<BulkResult> {
    this.refuseBulk(change)
    const { count, changes } = await this.writeMany(ids, change)
    this.sb.undo.push({ changes })
    return { count, changed: changes.length }
  }

  /** Throws (nothing written) when the relay would refuse the change [G1][G3]. */
  refuseBulk(change: BulkChange): void {
    if (change.kind !== 'assign' || change.memberId === null) return
    const refusal = this.sb.assignees.refusal(this.phoneNumberId, change.memberId)
    if (refusal) throw new SwitchboardError(ErrorCode.Forbidden, refusal)
  }

  /**
   * Applies `change` to each of `ids` it changes, in one transaction per `BULK_CHUNK`; pushes no
   * undo step but returns the changes one should hold (the caller's step may span inboxes).
   */
  async writeMany(
    ids: readonly string[],
    change: BulkChange,
  ): Promise<{ count: number; changes: UndoChange[] }> {
    await this.ready()
    const author = this.sb.author()
    const targets: Conversation[] = []
    let count = 0
    for (const id of ids) {
      const c = this.get(id)
      if (!c) continue
      count++
      if (!changesNothing(c, change)) targets.push(c)
    }
    for (const chunk of chunks(targets))
      this.doc.transact(() => {
        for (const c of chunk) writeChange(this.doc, c.id, change, author, this.sb.origin)
      }, this.sb.origin)
    await this.replica.lastLocalWrite
    const { phoneNumberId } = this
    return {
      count,
      changes: targets.map((c) => ({ phoneNumberId, conversationId: c.id, before: snapshot(c) })),
    }
  }

  history(id: string): HistoryEntry[] {
    return history(this.doc, id)
  }

  async archivedHistory(conversationId?: string): Promise<HistoryEntry[]> {
    const query = conversationId ? `?conversationId=${encodeURIComponent(conversationId)}` : ''
    const { entries } = await this.sb.get<{ entries: HistoryEntry[] }>(
      `/api/history/${encodeURIComponent(this.phoneNumberId)}${query}`,
    )
    return entries
  }

  async fullHistory(id: string): Promise<HistoryEntry[]> {
    try {
      return mergeHistory(await this.archivedHistory(id), this.history(id))
    } catch (err) {
      // Offline: the room's own history is what this replica can show.
      if (err instanceof SwitchboardError && err.code === ErrorCode.Unavailable)
        return this.history(id)
      throw err
    }
  }

  unreadCount(): number {
    return unreadCount(this.doc)
  }

  mentions(memberId: string): Mention[] {
    return listMentions(this.doc, memberId)
  }

  async clearMention(mentionId: string): Promise<void> {
    await this.ready()
    if (clearMention(this.doc, mentionId, this.sb.origin)) await this.replica.lastLocalWrite
  }

  /** Records mentions of a note (called by the conversation handle). */
  async addMentions(conversationId: string, noteId: string, memberIds: string[], at: number) {
    await this.ready()
    const by = this.sb.author().memberId
    if (memberIds.length === 0) return
    this.doc.transact(() => {
      for (const memberId of memberIds)
        addMention(this.doc, { memberId, conversationId, noteId, by, at }, this.sb.origin)
    }, this.sb.origin)
    await this.replica.lastLocalWrite
  }

  onChange(listener: (ids: Set<string>) => void): () => void {
    let off = onConversationsChange(this.doc, listener)
    // A rebuilt doc (new epoch) replaces the old one: follow it, and report every conversation.
    const offSwap = this.replica.onDocSwap((next, old) => {
      off()
      off = onConversationsChange(next, listener)
      listener(new Set([...conversationIds(old), ...conversationIds(next)]))
    })
    return () => {
      off()
      offSwap()
    }
  }

  onUpdate(listener: () => void): () => void {
    const off = this.replica.onDocUpdate(listener)
    const offSwap = this.replica.onDocSwap(() => listener())
    return () => {
      off()
      offSwap()
    }
  }

  private async ready() {
    await this.sb.ready
    await this.replica.loaded
  }

  private async write(
    id: string,
    undoable: boolean,
    apply: (author: ReturnType<Internals['author']>) => unknown,
  ): Promise<void> {
    await this.ready()
    const before = this.get(id)
    if (!before)
      throw new SwitchboardError(
        ErrorCode.NotFound,
        `no conversation ${id} in ${this.phoneNumberId}`,
      )
    const author = this.sb.author()
    apply(author)
    if (undoable)
      this.sb.undo.push({
        changes: [
          { phoneNumberId: this.phoneNumberId, conversationId: id, before: snapshot(before) },
        ],
      })
    await this.replica.lastLocalWrite
  }
}
