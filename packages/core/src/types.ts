/** @module The inbox's vocabulary: conversations, activities, marks and the authors who make them. */
import type { Hlc } from './hlc.ts'

export const ConversationStatus = { Open: 'open', Done: 'done' } as const
export type ConversationStatus = (typeof ConversationStatus)[keyof typeof ConversationStatus]

/** What a person does to a conversation (DESIGN §1). */
export const MarkKind = { Done: 'done', Open: 'open', Unread: 'unread', Read: 'read' } as const
export type MarkKind = (typeof MarkKind)[keyof typeof MarkKind]
export const markKinds: readonly MarkKind[] = Object.values(MarkKind)

export type ActivityDirection = 'incoming' | 'outgoing'
export type ActivityKind = 'message' | 'call' | 'voicemail'

/** One SMS, call or voicemail, as a telephony provider reports it. */
export interface Activity {
  id: string
  conversationId: string
  phoneNumberId: string
  direction: ActivityDirection
  kind: ActivityKind
  /** E.164 number or member id of the sender. */
  from: string
  to: string
  body?: string
  /** Milliseconds since the epoch, as the provider saw it. */
  at: number
  /** Calls: seconds; 0 with `missed` for a missed call. */
  durationSeconds?: number
  missed?: boolean
  /** Voicemails: the transcript. */
  transcript?: string
  /** Display name of the outside contact when the provider knows it. */
  contactName?: string
  /** Outgoing activity sent by a member through the app: who sent it (team figures). */
  memberId?: string
}

/** The latest activity of a conversation, kept in the inbox document for the list. */
export interface ActivitySummary {
  id: string
  direction: ActivityDirection
  kind: ActivityKind
  preview: string
  at: number
}

/** Who makes a mark: a member on one device, with that device's hybrid logical clock. */
export interface Author {
  memberId: string
  deviceId: string
  clock: Hlc
}

/** Who decided a conversation's state, for "Done by Bob 10:02". */
export interface Decision {
  memberId: string
  deviceId: string
  kind: MarkKind
  /** Serialized HLC timestamp. */
  at: string
}

/** The derived state of one conversation: a pure function of the document (P1). */
export interface Conversation {
  id: string
  phoneNumberId: string
  participants: string[]
  contactName: string | null
  status: ConversationStatus
  unread: boolean
  pinned: boolean
  assignee: string | null
  lastActivity: ActivitySummary | null
  /** The latest winning mark (either lane): who decided the state as it stands. */
  decidedBy: Decision | null
  /** The winning Done/Open/Unread mark, for "Done by Bob 10:02 · reopened by new SMS 10:05". */
  statusBy: Decision | null
  /** The incoming activity that reopened the conversation after the deciding mark (P3). */
  reopenedBy: string | null
  createdAt: number
  /**
   * The snooze in effect or woken, not yet ended by a later Done/Open/Unread [Z2–Z4]; whether it
   * still hides the conversation depends on the time: `snoozeState(c, now)`.
   */
  snooze: Snooze | null
}

/** A snooze as derived from the snooze lane's winner [Z1]. Timeless: `snoozeState` adds `now`. */
export interface Snooze {
  /** Wake time (ms since the epoch); null: until the customer replies. */
  until: number | null
  memberId: string
  deviceId: string
  /** Serialized HLC timestamp of the snooze. */
  at: string
  /** The incoming activity its author had not seen, which woke it [Z4]; else null. */
  wokenBy: string | null
}

export type View = 'inbox' | 'unread' | 'done' | 'all' | 'snoozed'

export interface ListOptions {
  view: View
  assignee?: string
  query?: string
  /**
   * The time (ms) the views are derived at [Z5]: a snooze hides its conversation until then.
   * Without it no snooze by time hides anything and `snoozed` lists only snoozes until a reply.
   */
  now?: number
}

/** One entry of the audit history behind "who marked what". */
export interface HistoryEntry {
  conversationId: string
  kind: MarkKind | 'pin' | 'unpin' | 'assign' | 'snooze' | 'unsnooze'
  memberId: string
  deviceId: string
  at: string
  /** The assignee for 'assign' entries; the wake time or `reply` for 'snooze' ones. */
  value?: string | null
  /** The incoming-activity sequence the author's replica had seen [M4] (absent on older entries). */
  seen?: number
  /** A restore's compensating mark [T5]: the moment (ms) the conversation was restored to. */
  restoredTo?: number
  /** A rule's mark [F7]: the rule's name and id (only the relay's `relay-rules` writes these). */
  rule?: string
  ruleId?: string
}

export interface Note {
  id: string
  author: string
  body: string
  mentions: string[]
  at: number
}

export interface Mention {
  id: string
  memberId: string
  conversationId: string
  noteId: string
  by: string
  at: number
  cleared: boolean
}
