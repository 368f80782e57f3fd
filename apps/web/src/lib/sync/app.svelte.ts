/**
 * @module App-wide state: the replica of the signed-in member and the toast. Every action goes
 * through `act`; Ctrl/Cmd+Z and the toast's Undo take back the replica's last undo step (the
 * client keeps the one stack).
 */
import { ErrorCode, SwitchboardError, type Inbox } from '@switchboard/client'
import type { Conversation } from '@switchboard/core'
import { conversationName } from '../util/phone-number.ts'
import { actionMessage, applyAction, type Action } from './actions.ts'
import { bulkMessage, changeOf, refsOf, type BulkAction } from './bulk-actions.ts'
import { logout } from './api.ts'
import { eraseDrafts } from './drafts.ts'
import { Replica } from './replica.svelte.ts'
import { session } from './session.svelte.ts'

/** Shown on the sign-in screen when the relay ended the session (docs/protocol.md, 4410). */
export const SESSION_ENDED_NOTICE =
  'You were signed out: this session was ended (signed out elsewhere, or by an administrator). ' +
  'Changes made on this device are kept; sign in again to sync them.'

export type { Action } from './actions.ts'

export interface Toast {
  id: number
  message: string
  canUndo: boolean
}

class AppState {
  replica = $state.raw<Replica | null>(null)
  toast = $state<Toast | null>(null)
  #toastTimer: ReturnType<typeof setTimeout> | undefined
  #toastId = 0

  #creating: string | null = null

  constructor() {
    // Another tab refreshed: its refresh token replaced ours, which must not be used again.
    session.onStored((next) => {
      const replica = this.replica
      if (replica && next?.member.id === replica.memberId)
        replica.sb.setToken(next.token, next.expiresAt, next.refreshToken)
    })
  }

  /** Start the replica for the current session (once); `replica` is set when it is ready. */
  ensureReplica(): void {
    const s = session.current
    if (!s) return
    if (this.replica?.memberId === s.member.id || this.#creating === s.member.id) return
    const previous = this.replica
    this.replica = null
    this.#creating = s.member.id
    void (async () => {
      if (previous) await previous.destroy().catch(() => {})
      const replica = await Replica.create(
        s,
        (token, expiresAt, refreshToken) => session.updateToken(token, expiresAt, refreshToken),
        () => this.#renewDevice(s.member.id),
      )
      if (this.#creating !== s.member.id || session.current?.member.id !== s.member.id) {
        await replica.destroy()
        return
      }
      this.#creating = null
      this.replica = replica
      replica.sb.onError((e) => {
        if (e.code === ErrorCode.SessionEnded && this.replica === replica)
          void this.signOut(false, SESSION_ENDED_NOTICE)
      })
    })()
  }

  /** The relay refused this tab's device id (another member's [L1]): a new replica, a new id. */
  #renewDevice(memberId: string): void {
    const current = this.replica
    if (!current || current.memberId !== memberId) return
    this.replica = null
    void current
      .destroy()
      .catch(() => {})
      .then(() => this.ensureReplica())
  }

  /** Apply an action (an undo step) and say so, naming the conversation, in a toast with Undo. */
  async act(inbox: Inbox, conversationId: string, action: Action): Promise<void> {
    const c = inbox.get(conversationId)
    const name = c
      ? conversationName(c, this.replica?.contactNames.peek(c) ?? null)
      : 'the conversation'
    try {
      await applyAction(inbox, conversationId, action)
    } catch (e) {
      // Refused before anything was written (an assignee who just lost access [G3]): say why.
      if (e instanceof SwitchboardError && e.code === ErrorCode.Forbidden) {
        this.showToast(e.message, false)
        return
      }
      throw e
    }
    this.showToast(actionMessage(action, name), true)
  }

  /**
   * Apply one action to many conversations: ONE undo step for all (Ctrl/Cmd+Z and the toast's
   * Undo take every one back), and one toast naming the count. Resolves once durable here.
   */
  async actBulk(conversations: readonly Conversation[], action: BulkAction): Promise<void> {
    const sb = this.replica?.sb
    if (!sb || conversations.length === 0) return
    try {
      const { count, changed } = await sb.bulk(refsOf(conversations), changeOf(action))
      // Nothing changed is no undo step: the toast's Undo would take back an older one.
      this.showToast(bulkMessage(action, count), changed > 0)
    } catch (e) {
      if (e instanceof SwitchboardError && e.code === ErrorCode.Forbidden) {
        this.showToast(e.message, false)
        return
      }
      throw e
    }
  }

  /** Undo the replica's last undo step; false when there is nothing to undo. */
  async undo(): Promise<boolean> {
    const ok = (await this.replica?.sb.undo()) ?? false
    this.showToast(ok ? 'Undone' : 'Nothing to undo', false)
    return ok
  }

  showToast(message: string, canUndo: boolean): void {
    clearTimeout(this.#toastTimer)
    this.toast = { id: ++this.#toastId, message, canUndo }
    this.#toastTimer = setTimeout(() => (this.toast = null), canUndo ? 8000 : 3000)
  }

  dismissToast(): void {
    clearTimeout(this.#toastTimer)
    this.toast = null
  }

  /**
   * Sign out; with `erase`, delete this device's copy of the inbox (IndexedDB) too. The session
   * ends on the relay as well, unless it is the relay that ended it (`notice` says why).
   */
  async signOut(erase: boolean, notice: string | null = null): Promise<void> {
    const replica = this.replica
    const ending = session.current
    this.replica = null
    this.#creating = null
    session.signOut(notice)
    if (!notice) {
      if (replica) await replica.sb.signOut().catch(() => false)
      else if (ending) await logout(ending.token, ending.refreshToken)
    }
    if (replica) await replica.destroy().catch(() => {})
    if (erase) await eraseLocalData()
  }
}

/** Delete every IndexedDB database of this origin (the local replica) and the drafts. */
async function eraseLocalData(): Promise<void> {
  eraseDrafts()
  if (!('databases' in indexedDB)) return
  const dbs = await indexedDB.databases()
  await Promise.all(
    dbs.map(
      (db) =>
        new Promise<void>((resolve) => {
          if (!db.name) return resolve()
          const req = indexedDB.deleteDatabase(db.name)
          req.onsuccess = req.onerror = req.onblocked = () => resolve()
        }),
    ),
  )
}

export const app = new AppState()
