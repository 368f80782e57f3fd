/**
 * @module Recovery from a refused update: which changes of a room's doc the relay never stored,
 * and which of them this device may write again into a fresh doc synced from the relay.
 *
 * Yjs cannot take one change out of a doc, so a room whose update the relay refused (4422,
 * 4413) is rebuilt from the relay's state, and this device's unsynced changes are sorted: its
 * own entries that a local check of [M8] still admits are written again (a rebase, [R2]); the
 * rest is dropped and reported. If the relay refuses that rebase too, everything unsynced is
 * dropped ([R3]). Nothing here touches storage or sockets (docs/recovery.md).
 */
import * as Y from 'yjs'
import {
  contactNotesNumber,
  decodeMark,
  parseMarkKey,
  parseRoom,
  readRecord,
  SEP,
  type HistoryEntry,
  type Mention,
  type Note,
} from '@switchboard/core'
import type { DroppedChange } from './types.ts'

/** Why a room's doc is rebuilt from the relay's state. */
export type RebuildReason = 'epoch' | 'restored' | 'refused'

/** What the relay refused, from its close frame. */
export interface Refusal {
  code: number
  reason: string
}

/** The outcome of recovering from a refused update [R1]. */
export interface RecoveryReport extends Refusal {
  room: string
  /** Whether this device's admissible changes were written again ([R2]) or all dropped ([R3]). */
  rebased: boolean
  /** Unsynced changes written again into the rebuilt doc, counted as `summarize` lists them. */
  kept: number
  dropped: DroppedChange[]
}

/** A value of `doc` the relay does not hold: the current value of a map key, or a list entry. */
export interface UnsyncedChange {
  root: string
  /** The map key; null for a list entry. */
  key: string | null
  value: unknown
}

/** Who rebases: only this member's entries written under this device are written again. */
export interface RebaseAuthor {
  memberId: string
  deviceId: string
  /** Why a member cannot be assigned in this room (inboxes), or null [G1]; absent: not checked. */
  assignRefusal?: ((memberId: string) => string | null) | undefined
}

/**
 * The values of `doc` held in structs that `has` says the relay lacks: per map key, its current
 * value; per list, each live entry. Deleted values are not listed (nothing to write again).
 */
export function unsyncedChanges(
  doc: Y.Doc,
  has: (client: number, clock: number) => boolean,
): UnsyncedChange[] {
  const out: UnsyncedChange[] = []
  for (const [root, type] of doc.share) {
    for (const [key, item] of type._map) {
      if (item.deleted || has(item.id.client, item.id.clock)) continue
      const content = item.content.getContent()
      out.push({ root, key, value: content[content.length - 1] })
    }
    for (let item = type._start; item !== null; item = item.right) {
      if (item.deleted || !item.countable) continue
      const content = item.content.getContent()
      content.forEach((value, i) => {
        if (!has(item.id.client, item.id.clock + i)) out.push({ root, key: null, value })
      })
    }
  }
  return out
}

/** `has` for a doc synced from the relay: the relay holds every struct below its state. */
export function heldBy(relayDoc: Y.Doc): (client: number, clock: number) => boolean {
  return (client, clock) => clock < Y.getState(relayDoc.store, client)
}

type Why = DroppedChange['why']

/**
 * Why a rebase must not write `change` into `next` (a doc synced from the relay), or null when
 * this device may write it again: its own mark, history entry or mention of a conversation the
 * room knows; a note it authored; a contact field. Relay-only and unknown roots never.
 */
export function rebaseVerdict(
  room: string,
  change: UnsyncedChange,
  next: Y.Doc,
  author: RebaseAuthor,
): Why | null {
  const kind = parseRoom(room)?.kind
  const known = (conversationId: unknown) =>
    typeof conversationId === 'string' && readRecord(next, conversationId) !== undefined
  const value = change.value as Record<string, unknown> | null
  if (kind === 'inbox') {
    if (change.root === 'marks' && change.key !== null) {
      const parsed = parseMarkKey(change.key)
      const entry = parsed && decodeMark(parsed.deviceId, change.value as string)
      if (!parsed || !entry) return 'refused'
      if (parsed.deviceId !== author.deviceId || entry.by !== author.memberId) return 'not-yours'
      if (!known(parsed.conversationId)) return 'unknown-conversation'
      // The relay would refuse it again [G2]: an assignee who lost access is dropped, not re-sent.
      const assignee = parsed.lane === 'assign' ? entry.value : null
      return assignee && author.assignRefusal?.(assignee) ? 'not-assignable' : null
    }
    if (change.root === 'history' && change.key === null && value) {
      const e = value as Partial<HistoryEntry>
      if (e.memberId !== author.memberId || e.deviceId !== author.deviceId) return 'not-yours'
      return known(e.conversationId) ? null : 'unknown-conversation'
    }
    if (change.root === 'mentions' && change.key !== null && value) {
      const m = value as Partial<Mention>
      const mine = m.by === author.memberId || (m.memberId === author.memberId && m.cleared)
      if (!mine) return 'not-yours'
      return known(m.conversationId) ? null : 'unknown-conversation'
    }
    return 'relay-only'
  }
  if (kind === 'conversation') {
    if (change.root !== 'notes' || change.key === null || !value) return 'relay-only'
    return (value as Partial<Note>).author === author.memberId ? null : 'not-yours'
  }
  if (kind === 'contacts')
    return change.root === 'contacts' && change.key !== null ? null : 'refused'
  return 'relay-only'
}

/** Writes `changes` into `next` in one transaction with `origin`, as this device's own write. */
export function writeAgain(next: Y.Doc, changes: UnsyncedChange[], origin: unknown): void {
  if (changes.length === 0) return
  next.transact(() => {
    for (const c of changes) {
      if (c.key === null) next.getArray(c.root).push([c.value])
      else next.getMap(c.root).set(c.key, c.value)
    }
  }, origin)
}

/** A dropped change in the product's words ("mark done on c1"). */
export function describeChange(room: string, change: UnsyncedChange, why: Why): DroppedChange {
  return { root: change.root, key: change.key, ...changeSummary(room, change), why }
}

/**
 * What the user reads: each summary once, without the history entries that go with a mark
 * (a Done writes two lanes and one history line: one "mark done on c1").
 */
export function summarize(changes: readonly Pick<DroppedChange, 'root' | 'summary'>[]): string[] {
  const shown = changes.filter((c) => c.root !== 'history')
  return [...new Set((shown.length ? shown : changes).map((c) => c.summary))]
}

function changeSummary(
  room: string,
  change: UnsyncedChange,
): { conversationId: string | null; summary: string } {
  const { root, key } = change
  const value = change.value as Record<string, unknown> | null
  let conversationId: string | null = null
  let summary = key === null ? `an entry of ${root}` : `${root} ${key.split(SEP).join(' ')}`
  if (root === 'marks' && key !== null) {
    const parsed = parseMarkKey(key)
    const entry = parsed && decodeMark(parsed.deviceId, change.value as string)
    if (parsed) {
      conversationId = parsed.conversationId
      summary =
        parsed.lane === 'assign'
          ? `assign to ${entry?.value ?? 'nobody'} on ${parsed.conversationId}`
          : `mark ${entry?.kind ?? parsed.lane} on ${parsed.conversationId}`
    }
  } else if (root === 'history' && value && typeof value.conversationId === 'string') {
    conversationId = value.conversationId
    summary = `history entry ${String(value.kind)} on ${conversationId}`
  } else if (root === 'mentions' && value && typeof value.conversationId === 'string') {
    conversationId = value.conversationId
    summary = `mention on ${conversationId}`
  } else if (root === 'notes' && key !== null) {
    const parsedRoom = parseRoom(room)
    conversationId = parsedRoom?.kind === 'conversation' ? parsedRoom.id : null
    summary = `note ${key}${conversationId ? ` on ${conversationId}` : ''}`
  } else if (root === 'contacts' && key !== null) {
    const [number, ...field] = key.split(SEP)
    summary = `contact ${number} ${field.join(' ')}`
  } else if (contactNotesNumber(root) !== null) {
    // [C6] Text typed into a contact's notes: one line per contact, not per character.
    summary = `notes of ${contactNotesNumber(root)}`
  }
  return { conversationId, summary }
}

export interface RebaseResult {
  kept: UnsyncedChange[]
  /** What the kept changes are, in the product's words (`summarize`). */
  keptSummaries: string[]
  dropped: DroppedChange[]
}

/**
 * Sorts the changes of `old` that `next` (synced from the relay) lacks: with `rebase`, those
 * `rebaseVerdict` admits are kept; without, every one is dropped as refused.
 */
export function sortUnsynced(
  room: string,
  old: Y.Doc,
  next: Y.Doc,
  author: RebaseAuthor | null,
  rebase: boolean,
): RebaseResult {
  const kept: UnsyncedChange[] = []
  const dropped: DroppedChange[] = []
  for (const change of unsyncedChanges(old, heldBy(next))) {
    const why = rebase && author ? rebaseVerdict(room, change, next, author) : 'refused'
    if (why === null) kept.push(change)
    else dropped.push(describeChange(room, change, why))
  }
  const keptSummaries = summarize(kept.map((c) => ({ root: c.root, ...changeSummary(room, c) })))
  return { kept, keptSummaries, dropped }
}

/**
 * Writes into `next` again what this device may still write of `old`'s unsynced changes (none
 * after a second refusal in a row [R3]), as its own write that the provider sends, and reports.
 */
export function rebaseInto(
  room: string,
  old: Y.Doc,
  next: Y.Doc,
  refusal: Refusal & { rebase: boolean },
  author: RebaseAuthor | null,
  origin: unknown,
): { report: RecoveryReport; wroteAgain: boolean } {
  const { kept, keptSummaries, dropped } = sortUnsynced(room, old, next, author, refusal.rebase)
  writeAgain(next, kept, origin)
  const { code, reason, rebase: rebased } = refusal
  const report = { room, code, reason, rebased, kept: keptSummaries.length, dropped }
  return { report, wroteAgain: kept.length > 0 }
}
