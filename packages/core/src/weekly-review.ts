/**
 * @module The weekly review's lists: Done conversations that reopened on their own, and Open
 * conversations whose incoming activity has waited too long for a response (docs/team-figures.md).
 */
import type * as Y from 'yjs'
import { timestampWall } from './hlc.ts'
import { forEachIndexedRecord, inboxIndex, lanesOf } from './inbox-index.ts'
import { buildTimelines, docsOf } from './stats-timeline.ts'

/** A Done conversation that received incoming activity after it was marked Done. */
export interface ReopenedAfterDone {
  conversationId: string
  phoneNumberId: string
  contactName: string | null
  /** The Done mark: who, and its HLC wall time (ms). */
  doneBy: string
  doneAt: number
  /** The newest incoming activity, which the Done author had not seen. */
  incomingAt: number
}

/**
 * Weekly review: conversations whose winning status mark is Done, but whose newest incoming
 * activity came after that mark (its author had not seen it) — they reopened on their own [M4].
 * `since` keeps those whose new incoming arrived at or after it. Newest first.
 */
export function doneWithNewIncoming(
  docs: Y.Doc | readonly Y.Doc[],
  options: { since?: number } = {},
): ReopenedAfterDone[] {
  const out: ReopenedAfterDone[] = []
  for (const doc of docsOf(docs)) {
    const index = inboxIndex(doc)
    forEachIndexedRecord(index, (record, id) => {
      const l = lanesOf(index, id)
      if (!record.incoming) return
      let status = null
      for (const e of l.status.values()) if (!status || e.at > status.at) status = e
      if (status?.kind !== 'done' || status.seen >= record.incoming.seq) return
      if (options.since !== undefined && record.incoming.at < options.since) return
      out.push({
        conversationId: id,
        phoneNumberId: record.phoneNumberId,
        contactName: record.contactName,
        doneBy: status.by,
        doneAt: timestampWall(status.at),
        incomingAt: record.incoming.at,
      })
    })
  }
  return out.sort(
    (a, b) => b.incomingAt - a.incomingAt || a.conversationId.localeCompare(b.conversationId),
  )
}

/** An Open conversation whose incoming activity has waited for a response longer than asked. */
export interface WaitingConversation {
  conversationId: string
  phoneNumberId: string
  contactName: string | null
  /** When the unanswered wait began (the first incoming nobody responded to), ms. */
  waitingSince: number
  waitingMs: number
  unread: boolean
  assignee: string | null
}

/**
 * Weekly review: Open conversations with an incoming activity that has had no response (an
 * outgoing reply or a Done mark that saw it) for more than `olderThanMs` at `now`. Oldest first.
 */
export function openWithoutResponse(
  docs: Y.Doc | readonly Y.Doc[],
  olderThanMs: number,
  now: number,
): WaitingConversation[] {
  const out: WaitingConversation[] = []
  const list = docsOf(docs)
  const derived = new Map(list.flatMap((doc) => [...inboxIndex(doc).derived]))
  for (const tl of buildTimelines(list)) {
    const c = derived.get(tl.id)
    if (!c || c.status !== 'open') continue
    const last = tl.waits.at(-1)
    if (!last || (last.response && last.response.at < now)) continue
    if (now - last.start <= olderThanMs) continue
    out.push({
      conversationId: tl.id,
      phoneNumberId: tl.record.phoneNumberId,
      contactName: tl.record.contactName,
      waitingSince: last.start,
      waitingMs: now - last.start,
      unread: c.unread,
      assignee: c.assignee,
    })
  }
  return out.sort(
    (a, b) => a.waitingSince - b.waitingSince || a.conversationId.localeCompare(b.conversationId),
  )
}
