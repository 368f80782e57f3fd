/**
 * @module What a member may write in a contact's notes text [C2]–[C4], for `admitUpdate`: text
 * inserted or deleted inside a `contactNotes␟<number>` root of the contacts room, and nothing
 * else there — no formatting, embeds, nested types, map entries — within the size caps.
 */
import * as Y from 'yjs'
import {
  CONTACT_NOTES_MAX_CHARS,
  CONTACT_NOTES_TOTAL_CHARS,
  contactNotesNumber,
} from './contact-notes.ts'
import { Reject, RejectCode, type UpdateContext } from './reject.ts'
import type { Target } from './write-rules.ts'

const PREFIX = 'contactNotes'

/** Whether `target` lies in a contact's notes text (its root named like one, valid or not). */
export function inContactNotes(target: Target, ctx: UpdateContext): boolean {
  return ctx.room.kind === 'contacts' && target.root.startsWith(PREFIX)
}

/** [C2] A notes root names a contact number and has no keys. */
export function checkNotesSlot(target: Target): void {
  if (contactNotesNumber(target.root) === null)
    throw new Reject(
      RejectCode.Forbidden,
      `${JSON.stringify(target.root)}: not the notes of a contact number`,
    )
  if (target.key !== null)
    throw new Reject(RejectCode.Schema, `${target.root}: a contact's notes text has no keys`)
}

/** Characters an update adds to and removes from each notes text, checked against the caps. */
export class NotesGrowth {
  readonly #added = new Map<string, number>()
  /** Removed ranges of live items, by item: a crafted delete set may list a range twice. */
  readonly #removed = new Map<Y.Item, { root: string; ranges: [number, number][] }>()

  /** [C4] Only text (or text deleted since) enters a notes text. */
  add(target: Target, item: Y.Item): void {
    const content = item.content
    if (content instanceof Y.ContentString)
      this.#added.set(target.root, (this.#added.get(target.root) ?? 0) + content.str.length)
    else if (!(content instanceof Y.ContentDeleted))
      throw new Reject(
        RejectCode.Schema,
        `${target.root}: a contact's notes hold text only (got ${content.constructor.name})`,
      )
  }

  /** A live item of a notes text the delete set removes, `len` of its characters from `clock`. */
  free(target: Target, item: Y.Item, clock: number, end: number): void {
    if (!item.countable || item.deleted) return
    const from = Math.max(clock, item.id.clock)
    const to = Math.min(end, item.id.clock + item.length)
    if (to <= from) return
    let entry = this.#removed.get(item)
    if (!entry) this.#removed.set(item, (entry = { root: target.root, ranges: [] }))
    entry.ranges.push([from, to])
  }

  /** Characters removed from each root, each character once. */
  #freed(): Map<string, number> {
    const out = new Map<string, number>()
    for (const { root, ranges } of this.#removed.values()) {
      ranges.sort((a, b) => a[0] - b[0])
      let count = 0
      let covered = -Infinity
      for (const [from, to] of ranges) {
        const start = Math.max(from, covered)
        if (to > start) count += to - start
        covered = Math.max(covered, to)
      }
      out.set(root, (out.get(root) ?? 0) + count)
    }
    return out
  }

  /** [C3] A text that grows stays within its cap, and all notes of the room within theirs. */
  check(doc: Y.Doc): void {
    const removed = this.#freed()
    let added = 0
    let freed = 0
    for (const [root, chars] of this.#added) {
      const gone = removed.get(root) ?? 0
      added += chars
      freed += gone
      const now = doc.share.get(root)?._length ?? 0
      if (chars > gone && now + chars - gone > CONTACT_NOTES_MAX_CHARS)
        throw new Reject(
          RejectCode.TooLarge,
          `${root}: a contact's notes hold at most ${CONTACT_NOTES_MAX_CHARS} characters`,
        )
    }
    for (const [root, gone] of removed) if (!this.#added.has(root)) freed += gone
    if (added <= freed) return
    let total = 0
    for (const [root, type] of doc.share)
      if (contactNotesNumber(root) !== null) total += type._length
    if (total + added - freed > CONTACT_NOTES_TOTAL_CHARS)
      throw new Reject(
        RejectCode.TooLarge,
        `contact notes would hold more than ${CONTACT_NOTES_TOTAL_CHARS} characters in this room`,
      )
  }
}
