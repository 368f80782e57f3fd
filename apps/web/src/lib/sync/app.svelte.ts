/**
 * @module App-wide state: the replica of the signed-in member, the undo stack and its toast.
 * Every mark goes through `act` so it can be undone with Ctrl/Cmd+Z or the toast.
 */
import { ErrorCode, type Inbox } from '@switchboard/client'
import { logout } from './api.ts'
import { Replica } from './replica.svelte.ts'
import { session } from './session.svelte.ts'

/** Shown on the sign-in screen when the relay ended the session (docs/protocol.md, 4410). */
export const SESSION_ENDED_NOTICE =
  'You were signed out: this session was ended (signed out elsewhere, or by an administrator). ' +
  'Changes made on this device are kept; sign in again to sync them.'

export type Action =
  | { kind: 'done' | 'unread' | 'open' | 'pin' | 'unpin' }
  | { kind: 'assign'; memberId: string | null; name?: string }

interface UndoEntry {
  inbox: Inbox
  conversationId: string
}

export interface Toast {
  id: number
  message: string
  canUndo: boolean
}

const labels: Record<Action['kind'], string> = {
  done: 'Marked as done',
  unread: 'Marked as unread',
  open: 'Reopened',
  pin: 'Pinned',
  unpin: 'Unpinned',
  assign: 'Assigned',
}

class AppState {
  replica = $state.raw<Replica | null>(null)
  toast = $state<Toast | null>(null)
  #undo: UndoEntry[] = []
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
    this.#undo = []
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

  /** Apply a mark and remember it for undo. */
  async act(inbox: Inbox, conversationId: string, action: Action): Promise<void> {
    switch (action.kind) {
      case 'done':
        await inbox.markDone(conversationId)
        break
      case 'unread':
        await inbox.markUnread(conversationId)
        break
      case 'open':
        await inbox.markOpen(conversationId)
        break
      case 'pin':
        await inbox.pin(conversationId)
        break
      case 'unpin':
        await inbox.unpin(conversationId)
        break
      case 'assign':
        await inbox.assign(conversationId, action.memberId)
        break
    }
    this.#undo.push({ inbox, conversationId })
    if (this.#undo.length > 50) this.#undo.shift()
    let message = labels[action.kind]
    if (action.kind === 'assign') {
      message = action.memberId ? `Assigned to ${action.name ?? 'teammate'}` : 'Unassigned'
    }
    this.showToast(message, true)
  }

  /** Undo this device's last change; false when there is nothing to undo. */
  async undo(): Promise<boolean> {
    const entry = this.#undo.pop()
    if (!entry) {
      this.showToast('Nothing to undo', false)
      return false
    }
    const ok = await entry.inbox.undo(entry.conversationId)
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
    this.#undo = []
    session.signOut(notice)
    if (!notice) {
      if (replica) await replica.sb.signOut().catch(() => false)
      else if (ending) await logout(ending.token, ending.refreshToken)
    }
    if (replica) await replica.destroy().catch(() => {})
    if (erase) await eraseLocalData()
  }
}

/** Delete every IndexedDB database of this origin (the local replica). */
async function eraseLocalData(): Promise<void> {
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
