/**
 * @module Reference models with no Yjs: the plain state machine of DESIGN §1 (P5, [B1]–[B8])
 * and an oracle that computes, from the set of marks made and activities ingested, what every
 * replica must show after a concurrent run ([M2]–[M5]). Written from SPEC.md, not from derive.ts.
 */
import { summarize } from '../activity.ts'
import type { Activity, Conversation, MarkKind } from '../types.ts'

// ---------------------------------------------------------------- sequential state machine (P5)

export interface ModelState {
  status: 'open' | 'done'
  unread: boolean
  pinned: boolean
  assignee: string | null
}

export type ModelEvent =
  | { type: 'incoming' }
  | { type: 'outgoing' }
  | { type: 'mark'; kind: MarkKind }
  | { type: 'pin' }
  | { type: 'unpin' }
  | { type: 'assign'; memberId: string | null }

/** One step of DESIGN §1; `null` is a conversation that does not exist yet. */
export function modelStep(state: ModelState | null, event: ModelEvent): ModelState | null {
  if (state === null) {
    // [B1] only activity creates a conversation.
    if (event.type === 'incoming')
      return { status: 'open', unread: true, pinned: false, assignee: null }
    if (event.type === 'outgoing')
      return { status: 'open', unread: false, pinned: false, assignee: null }
    return null
  }
  switch (event.type) {
    case 'incoming': // [B6]
      return { ...state, status: 'open', unread: true }
    case 'outgoing': // [B6]
      return state
    case 'mark':
      if (event.kind === 'done') return { ...state, status: 'done', unread: false } // [B2]
      if (event.kind === 'open') return { ...state, status: 'open', unread: false } // [B3]
      if (event.kind === 'unread') return { ...state, status: 'open', unread: true } // [B4]
      return { ...state, unread: false } // [B5]
    case 'pin':
      return { ...state, pinned: true } // [B8]
    case 'unpin':
      return { ...state, pinned: false }
    case 'assign':
      return { ...state, assignee: event.memberId }
  }
}

// ---------------------------------------------------------------- oracle for concurrent runs

export type OracleLane = 'status' | 'flag' | 'pin' | 'assign' | 'snooze'

/** One mark as its author made it: what a device wrote on one lane. */
export interface OracleMark {
  conversationId: string
  lane: OracleLane
  kind: MarkKind | 'pin' | 'unpin' | 'assign' | 'snooze' | 'unsnooze'
  /** Serialized HLC timestamp. */
  at: string
  device: string
  member: string
  /** Incoming activities the author's replica had for this conversation. */
  seen: number
  value?: string | null
}

function parseAt(at: string): [number, number, string] {
  const [wall, counter, ...device] = at.split('.')
  return [Number(wall), parseInt(counter ?? '', 36), device.join('.')]
}

/** [M2]: wall, then counter, then device id. */
export function compareAt(a: string, b: string): number {
  const [aw, ac, ad] = parseAt(a)
  const [bw, bc, bd] = parseAt(b)
  if (aw !== bw) return aw - bw
  if (ac !== bc) return ac - bc
  return ad < bd ? -1 : ad > bd ? 1 : 0
}

interface OracleRecord {
  phoneNumberId: string
  participants: string[]
  contactName: string | null
  createdAt: number
  last: Activity | null
  incoming: Activity[]
}

/**
 * The state every replica must derive. `marks` in the order each device made them (a later mark
 * by the same device on the same lane replaces its earlier one [M1]); `activities` in the order
 * the relay ingested them, duplicates included ([B6]: they change nothing).
 */
export function oracleConversations(
  marks: readonly OracleMark[],
  activities: readonly Activity[],
): Map<string, Conversation> {
  const records = new Map<string, OracleRecord>()
  const ingested = new Set<string>()
  for (const a of activities) {
    if (ingested.has(a.id)) continue
    ingested.add(a.id)
    const outside = a.direction === 'incoming' ? a.from : a.to
    let r = records.get(a.conversationId)
    if (!r) {
      r = {
        phoneNumberId: a.phoneNumberId,
        participants: [],
        contactName: null,
        createdAt: a.at,
        last: null,
        incoming: [],
      }
      records.set(a.conversationId, r)
    }
    r.phoneNumberId = a.phoneNumberId
    if (!r.participants.includes(outside)) r.participants.push(outside)
    if (a.contactName !== undefined) r.contactName = a.contactName
    if (!r.last || a.at >= r.last.at) r.last = a
    if (a.direction === 'incoming') r.incoming.push(a)
  }

  // [M1] one entry per (conversation, lane, device): the device's latest write.
  const entries = new Map<string, OracleMark>()
  for (const m of marks) entries.set(`${m.conversationId}/${m.lane}/${m.device}`, m)
  const winners = new Map<string, OracleMark>()
  for (const m of entries.values()) {
    const key = `${m.conversationId}/${m.lane}`
    const best = winners.get(key)
    if (!best || compareAt(m.at, best.at) > 0) winners.set(key, m)
  }

  const out = new Map<string, Conversation>()
  for (const [id, r] of records) {
    const status = winners.get(`${id}/status`)
    const flag = winners.get(`${id}/flag`)
    const pin = winners.get(`${id}/pin`)
    const assign = winners.get(`${id}/assign`)
    const snoozeWinner = winners.get(`${id}/snooze`)
    const latest = r.incoming.length
    // [Z2] a snooze counts while no Done/Open/Unread is newer; [Z4] an unseen incoming wakes it.
    const snoozed =
      snoozeWinner?.kind === 'snooze' && (!status || compareAt(snoozeWinner.at, status.at) > 0)
        ? snoozeWinner
        : null
    // [M4] a lane whose winner had not seen the latest incoming activity is overridden.
    const statusOverridden = latest > 0 && !!status && status.seen < latest
    const flagOverridden = latest > 0 && (!flag || flag.seen < latest)
    const unread = flagOverridden || flag?.kind === 'unread'
    // P3: an unseen incoming activity leaves the conversation Open + Unread.
    // [Z3] a snooze newer than the status winner leaves it Open.
    const done = !statusOverridden && !flagOverridden && status?.kind === 'done' && !snoozed
    const decider =
      status && flag ? (compareAt(flag.at, status.at) > 0 ? flag : status) : (status ?? flag)
    const newest = r.incoming[latest - 1]
    out.set(id, {
      id,
      phoneNumberId: r.phoneNumberId,
      participants: r.participants,
      contactName: r.contactName,
      status: done ? 'done' : 'open',
      unread,
      pinned: pin?.kind === 'pin',
      assignee: assign?.value ?? null,
      lastActivity: r.last ? summarize(r.last) : null,
      decidedBy: decider
        ? {
            memberId: decider.member,
            deviceId: decider.device,
            kind: decider.kind as MarkKind,
            at: decider.at,
          }
        : null,
      statusBy: status
        ? {
            memberId: status.member,
            deviceId: status.device,
            kind: status.kind as MarkKind,
            at: status.at,
          }
        : null,
      reopenedBy: decider && newest && decider.seen < latest ? newest.id : null,
      createdAt: r.createdAt,
      snooze: snoozed
        ? {
            until: snoozed.value === 'reply' ? null : Number(snoozed.value),
            memberId: snoozed.member,
            deviceId: snoozed.device,
            at: snoozed.at,
            wokenBy: newest && snoozed.seen < latest ? newest.id : null,
          }
        : null,
    })
  }
  return out
}

/**
 * The ids a view lists at `now`, sorted [B7, Z5]: a snooze not woken by an unseen incoming
 * activity hides its conversation from inbox and unread until its time (a snooze until a reply,
 * for good), and only those are in `snoozed`.
 */
export function oracleView(
  conversations: ReadonlyMap<string, Conversation>,
  view: 'inbox' | 'unread' | 'done' | 'snoozed',
  now: number,
): string[] {
  const out: string[] = []
  for (const [id, c] of conversations) {
    const s = c.snooze
    const hidden = !!s && s.wokenBy === null && (s.until === null || now < s.until)
    const listed =
      view === 'snoozed'
        ? hidden
        : view === 'done'
          ? c.status === 'done'
          : view === 'unread'
            ? c.unread && !hidden
            : c.status === 'open' && !hidden
    if (listed) out.push(id)
  }
  return out.sort()
}

/** The earliest wake time after `now` of a snooze still hiding its conversation [Z5]. */
export function oracleNextWake(
  conversations: ReadonlyMap<string, Conversation>,
  now: number,
): number | null {
  const times = [...conversations.values()]
    .map((c) => c.snooze)
    .filter((s) => s !== null && s.wokenBy === null && s.until !== null && s.until > now)
    .map((s) => s!.until!)
  return times.length ? Math.min(...times) : null
}
