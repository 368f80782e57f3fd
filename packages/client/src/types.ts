/** @module The public shape of a Switchboard replica: what the web app, the CLI and bots use. */
import type {
  Activity,
  CallDetails,
  Contact,
  ContactPatch,
  Conversation,
  Delivery,
  HistoryEntry,
  ListOptions,
  MarkKind,
  Mention,
  Note,
  TextEdit,
  View,
} from '@switchboard/core'
import type * as Y from 'yjs'
import type { SwitchboardError } from './errors.ts'
import type { BulkChange, BulkResult, ConversationRef } from './bulk.ts'
import type { ClientStorage } from './storage/client-storage.ts'

export type ConnectionStatus = 'offline' | 'connecting' | 'online'

export interface Member {
  id: string
  email: string
  name: string
  role: 'owner' | 'admin' | 'member' | 'viewer'
}

export interface PhoneNumber {
  id: string
  name: string
  number: string
  /** The provider it is connected through; absent for a number fed by the generic webhook. */
  provider?: 'twilio' | 'telnyx' | 'quo'
  /** Set while the provider refuses the number's credentials: an admin must replace them. */
  providerStatus?: 'credentials-rejected'
  /** The longest reply the provider takes, in characters; absent: no limit known. */
  maxBodyLength?: number
}

export interface PhoneNumberWithUnread extends PhoneNumber {
  unread: number
  /**
   * False until the inbox's replica is loaded from local storage: `unread` is then 0 because
   * nothing is read yet, not because nothing is unread (show it as loading, not as "0").
   */
  loaded: boolean
}

export interface Viewer {
  memberId: string
  name: string
  deviceId: string
  replying: boolean
}

/** Options of a mark. */
export interface MarkOptions {
  /**
   * Whether the mark is a step undo can take back (default true). The read that opening a
   * conversation causes passes false; an explicit "Mark read" does not (packages/client/README.md).
   */
  undoable?: boolean
  /**
   * The user did not ask for this mark: the read that opening a conversation causes. It is not
   * counted in `pending` (which counts what the user did) and is not an undo step unless
   * `undoable` says so; `whenSynced` still waits for it.
   */
  implicit?: boolean
}

export interface Inbox {
  readonly phoneNumberId: string
  /** The inbox's Y.Doc, read-only by convention: for pure core reads such as `teamFigures`. */
  readonly doc: Y.Doc
  list(view: View | ListOptions): Conversation[]
  get(id: string): Conversation | null
  /** Marks `id` done, open, unread or read (SPEC's mark kinds); resolves once durable here. */
  mark(id: string, kind: MarkKind, options?: MarkOptions): Promise<void>
  markDone(id: string): Promise<void>
  markUnread(id: string): Promise<void>
  markOpen(id: string): Promise<void>
  markRead(id: string, options?: MarkOptions): Promise<void>
  pin(id: string): Promise<void>
  unpin(id: string): Promise<void>
  /** Snoozes `id` until a time (ms since the epoch) or until the customer replies [Z1]; an undo step. */
  snooze(id: string, until: number | 'reply'): Promise<void>
  /** Clears the snooze of `id` [Z1]; an undo step. */
  unsnooze(id: string): Promise<void>
  /** The earliest snooze wake time after `now` (ms) in this inbox, or null [Z5]. */
  nextWake(now: number): number | null
  /**
   * Calls `listener` whenever a snooze's wake time passes (a timer at the next wake time, moved as
   * the inbox changes), so views fed with `now` are derived again; returns unsubscribe.
   */
  onWake(listener: (now: number) => void): () => void
  /**
   * Assigns `id` to a member, or unassigns it with null. Rejects (`forbidden`, nothing written)
   * when the workspace says the member cannot answer this number's conversations [G1][G3].
   */
  assign(id: string, memberId: string | null): Promise<void>
  /** The members a conversation of this number may be assigned to [G1], by name. */
  assignableMembers(): Member[]
  /** True when the conversation's assignee lost access, was removed or made a viewer [G4]. */
  needsNewOwner(conversation: Conversation): boolean
  /**
   * Compensating mark that restores the state before this device's last undoable change to
   * `id`, taken from the replica's one undo stack; false when there is none.
   */
  undo(id: string): Promise<boolean>
  /** `Switchboard.bulk` for conversations of this number: one change to many, one undo step. */
  bulk(ids: readonly string[], change: BulkChange): Promise<BulkResult>
  /** The audit history still in the room ("who marked what"), in HLC order. */
  history(id: string): HistoryEntry[]
  /** The relay's archive of audit entries that left the room (`GET /api/history/:phoneNumberId`). Needs the relay. */
  archivedHistory(conversationId?: string): Promise<HistoryEntry[]>
  /**
   * The archive and the room merged, each entry once: the whole "who marked what" of `id`.
   * Offline, the room's own history (entries past the relay's horizon are then missing).
   */
  fullHistory(id: string): Promise<HistoryEntry[]>
  unreadCount(): number
  mentions(memberId: string): Mention[]
  clearMention(mentionId: string): Promise<void>
  /** Listener gets the ids whose derived state changed; returns unsubscribe. */
  onChange(listener: (ids: Set<string>) => void): () => void
  /** Any change to the inbox document, including mentions and history; returns unsubscribe. */
  onUpdate(listener: () => void): () => void
  /** Resolves once the inbox has been loaded from local storage (and is usable offline). */
  whenLoaded: Promise<void>
  /** Whether `whenLoaded` has resolved. */
  readonly loaded: boolean
}

export interface ConversationHandle {
  readonly id: string
  activities(): Activity[]
  /**
   * What became of an outgoing activity sent through a provider (Sending, Sent, Delivered,
   * Failed, Unknown), written by the relay; null for one that never went through a provider.
   * Changes are heard through `onChange`.
   */
  delivery(activityId: string): Delivery | null
  /**
   * A call's summary, next steps and transcript, which the provider sends after the call and the
   * relay writes beside it; null when none came. Changes are heard through `onChange`.
   */
  callDetails(activityId: string): CallDetails | null
  /**
   * Asks the relay to send a Failed or Unknown reply again (`POST /api/outgoing/:id/resend`);
   * the delivery then starts over at Sending as the next attempt. Needs the relay.
   */
  resend(activityId: string): Promise<void>
  /**
   * Sends a reply to the conversation's contact (`POST /api/outgoing`): through the number's
   * provider, via the relay's outbox, or as an outgoing activity for a number without one.
   * Needs the relay; resolves with the new activity's id and, through a provider, `'sending'`.
   */
  reply(body: string): Promise<{ activityId: string; delivery: Delivery['state'] | null }>
  notes(): Note[]
  addNote(body: string, mentions: string[]): Promise<Note>
  onChange(listener: () => void): () => void
  whenLoaded: Promise<void>
  /**
   * Whether this device has the conversation's content: its local storage had some, or the room
   * synced with the relay once. False for one never opened here while online: empty, then, means
   * not downloaded yet, not no messages. `onChange` tells when it turns true.
   */
  readonly downloaded: boolean
  close(): void
}

/** A teammate whose device is editing a contact's notes [C6]. */
export interface NotesEditor {
  memberId: string
  name: string
}

/** The team's contacts (room `contacts`): name, notes, tags, properties per outside number. */
export interface Contacts {
  list(): Contact[]
  get(number: string): Contact
  /** `notes` replaces a contact's shared notes text by the smallest edit [C1]. */
  update(number: string, patch: ContactPatch): Promise<void>
  /**
   * One edit of `number`'s notes as a text field made it on the text `basis` (what it showed):
   * moved past teammates' edits that arrived since, so it removes none of them [C1].
   */
  editNotes(number: string, edit: TextEdit, basis: string): Promise<void>
  /** Tells teammates this device edits `number`'s notes, or nothing (null) [C6]. */
  editing(number: string | null): void
  /** Teammates editing `number`'s notes now [C6]. */
  editors(number: string): NotesEditor[]
  /** Changes of the contacts, and of who is editing notes. */
  onChange(listener: () => void): () => void
  /** [C7] The name the team gave the contact `number`; null when none. One map look-up. */
  name(number: string): string | null
  /** [C7] Every contact the team named, number → name: live until the room is rebuilt. */
  names(): ReadonlyMap<string, string>
  /** [C7] Listener hears which numbers were renamed (by anyone, live); returns unsubscribe. */
  onNamesChange(listener: (numbers: ReadonlySet<string>) => void): () => void
  /**
   * Listener hears which contacts changed (fields or notes, by anyone, live); a rebuilt room
   * reports every contact of the old and the new document. Returns unsubscribe.
   */
  onContactsChange(listener: (numbers: ReadonlySet<string>) => void): () => void
  whenLoaded: Promise<void>
}

export interface Switchboard {
  readonly deviceId: string
  readonly member: Member | null
  readonly status: ConnectionStatus
  /** Local changes the relay has not yet acknowledged as stored. */
  readonly pending: number
  onStatus(listener: (status: ConnectionStatus, pending: number) => void): () => void
  phoneNumbers(): PhoneNumberWithUnread[]
  members(): Member[]
  onWorkspaceChange(listener: () => void): () => void
  inbox(phoneNumberId: string): Inbox
  /** Opens the contacts room on first use. */
  contacts(): Contacts
  openConversation(id: string, phoneNumberId: string): ConversationHandle
  setViewing(conversationId: string | null): void
  setReplying(replying: boolean): void
  viewers(conversationId: string): Viewer[]
  onPresence(listener: () => void): () => void
  /** Resolves when every open room has synced with the relay and `pending` is 0. */
  whenSynced(): Promise<void>
  /**
   * Undoes this device's last undoable change, in whichever inbox and conversation: a
   * compensating mark restoring the state before it (every conversation of a bulk step). False
   * when there is nothing to undo.
   */
  undo(): Promise<boolean>
  /**
   * Applies one change to many conversations, of one number or several, as ONE undo step: one
   * Yjs transaction per inbox (per 1,000 conversations). Conversations already as asked are left
   * alone; an assignment any of the numbers refuses rejects (`forbidden`) with nothing written.
   */
  bulk(targets: readonly ConversationRef[], change: BulkChange): Promise<BulkResult>
  /** The last error that stopped a room or the session (4401/4403/4422, storage). */
  readonly error: SwitchboardError | null
  onError(listener: (error: SwitchboardError) => void): () => void
  /** Refused changes and revoked rooms this session recovered from, oldest first (tell the user). */
  readonly notices: readonly SyncNotice[]
  /** Listener hears each new notice; returns unsubscribe. */
  onNotice(listener: (notice: SyncNotice) => void): () => void
  /** When status was last online with nothing pending (ms), in this session. */
  readonly lastSyncedAt: number | null
  /** The relay sockets and calls go to now (one of `urls`), an http(s) base URL. */
  readonly relay: string
  /** Resolves once the replica's own state (ledger, clock, workspace) is loaded from storage. */
  whenLoaded: Promise<void>
  /**
   * Install a new token (e.g. after logging in again, or one another tab refreshed); reconnects
   * use it. A refresh token given here replaces the one refreshes use.
   */
  setToken(token: string, expiresAt?: number, refreshToken?: string): void
  /** Exchange the refresh token for fresh tokens now (`POST /api/refresh`); it rotates. */
  refresh(): Promise<boolean>
  /**
   * Sign out: ends the session on the relay (`POST /api/logout`) and stops syncing; the local
   * replica stays (destroy it, or erase its storage, separately). Resolves false when the relay
   * could not be told (offline): the session then ends at its own expiry.
   */
  signOut(): Promise<boolean>
  /** Resolves when every storage write so far has completed. */
  flush(): Promise<void>
  connect(): void
  disconnect(): void
  destroy(): Promise<void>
}

/** A change this device made that the relay never stored, removed from the device (docs/recovery.md). */
export interface DroppedChange {
  /** The document root it was written in: `marks`, `history`, `mentions`, `notes`, `contacts`… */
  root: string
  /** Its map key; null for a list entry (history). */
  key: string | null
  /** The conversation it concerned, when it concerned one. */
  conversationId: string | null
  /** What it was, in the product's words ("mark done on c1"). */
  summary: string
  /**
   * Why it was dropped: `refused` (the relay refused it, or refused the room's changes twice),
   * `not-yours` (not this member's own entry), `unknown-conversation` (the room does not know
   * the conversation), `relay-only` (a root only the relay writes), `revoked` (access is gone),
   * `not-assignable` (an assignment to a member without access to the number [G3]).
   */
  why:
    'refused' | 'not-yours' | 'unknown-conversation' | 'relay-only' | 'revoked' | 'not-assignable'
}

/**
 * Something the user must be told about this replica: the relay refused a change (it was
 * removed and the room resynced), or access to a room was revoked (its local data was removed).
 */
export interface SyncNotice {
  kind: 'refused' | 'revoked'
  /** The room concerned (`inbox:<phoneNumberId>`, `conversation:<id>`, `contacts`). */
  room: string
  /** The relay's close code (4422, 4413, 4403) and its reason, as sent. */
  code: number
  reason: string
  /** The changes removed from this device. */
  dropped: DroppedChange[]
  /** Unsynced changes this device sent again after the refusal. */
  kept: number
  /** One sentence for the user. */
  message: string
  /** When it happened (ms). */
  at: number
}

/** Options of `createSwitchboard`. */
export interface SwitchboardOptions {
  /**
   * The relay's base URL, e.g. `https://relay.example.com`; sockets go to `<url>/sync/<room>`.
   * With `urls` too, the relay to start with (such as the last one `onRelay` named).
   */
  url?: string
  /**
   * Several relays sharing one store (docs/scale-out.md): sockets and calls go to one at a time;
   * when it fails (refused, reset, 502/503, close 1001/1006, no open within `connectTimeoutMs`)
   * the whole replica moves to the next. `url`, `urls` or both; each relay is used once.
   */
  urls?: readonly string[]
  /** Called with the relay that last answered, when it changes (store it to start there next time). */
  onRelay?: (url: string) => void
  /**
   * A socket not open after this long is closed and counts as a failed relay (default 10 s with
   * several relays; with one, never: y-websocket waits for the network as it always did).
   */
  connectTimeoutMs?: number
  /** Access token from `POST /api/login`; refreshed before it expires. */
  token: string
  /**
   * Refresh token from `POST /api/login`. Single-use: each refresh returns the next one (handed
   * to `onToken`). Without it the replica cannot refresh and must log in again at expiry.
   */
  refreshToken?: string
  /** `'indexeddb'` (browser), `'memory'`, or any `ClientStorage` (`fileStorage(dir)` in Node). */
  storage: 'indexeddb' | 'memory' | ClientStorage
  /** One per tab or process (P2); a fresh one is generated when omitted. */
  deviceId?: string
  /** The logged-in member (from login); fetched from `/api/me` when omitted. */
  member?: Member | null
  /** Token expiry in ms since the epoch; read from the JWT `exp` when omitted. */
  expiresAt?: number
  /** Connect to the relay (default true); false keeps the replica offline until `connect()`. */
  connect?: boolean
  /** WebSocket constructor; the global one by default (`ws` from `@switchboard/client/node`). */
  WebSocket?: unknown
  fetch?: typeof fetch
  /** Wall clock for the device's HLC (tests). */
  now?: () => number
  /** Called with every refreshed token and the refresh token that replaced the last, to store both. */
  onToken?: (token: string, expiresAt: number, refreshToken?: string) => void
}
