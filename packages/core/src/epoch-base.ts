/**
 * @module The epoch base [E6]: an epoch's live state as two relay-written strings in `meta`.
 *
 * An epoch used to copy every record, winning lane entry and log entry into its own Yjs item, and
 * Yjs integrates each one on every load before a single conversation is read (figures in
 * docs/bounded-documents.md §7.2). The epoch never changes those values afterwards —
 * a later record or mark is written as a live item that overrides its base value — so the
 * relay writes them as one string per epoch: a load integrates two items and parses lines.
 *
 * `base`: one line per conversation, `<id>␟<format-2 record tuple + its lanes' winners>`
 * (`<id>␟[0, winners]` without a record), winners as `[lane, device, kind, at, by, seen(, value)]`. `baseLog`: the activity log, one
 * format-2 entry per line, parsed only when the team figures ask. Ids never hold `␟` or a
 * newline (`isValidId`), and JSON escapes both inside strings.
 */
import type * as Y from 'yjs'
import { noLanes, type ConversationLanes } from './derive.ts'
import {
  decodeLogEntry,
  decodeRecordTuple,
  encodeLogEntry,
  encodeRecord,
  inboxRoots,
  SEP,
  type ActivityLogEntry,
  type ConversationRecord,
  type Lane,
  type MarkEntry,
  type RecordTuple,
} from './schema.ts'

export interface BaseMark {
  lane: Lane
  entry: MarkEntry
}

/** One conversation of the base: its record and each lane's winner. Never mutated. */
export interface BaseConversation {
  record: ConversationRecord | undefined
  status: MarkEntry | undefined
  flag: MarkEntry | undefined
  pin: MarkEntry | undefined
  assign: MarkEntry | undefined
  snooze: MarkEntry | undefined
}

/** The base as read, shared by every reader of one document and by its index. */
export type EpochBase = ReadonlyMap<string, BaseConversation>

type MarkTuple = [Lane, string, MarkEntry['kind'], string, string, number, (string | null)?]

/** The `base` string of an epoch holding `records` and, per conversation, its lanes' winners. */
export function encodeBase(
  records: Iterable<[string, ConversationRecord]>,
  winners: ReadonlyMap<string, BaseMark[]>,
): string {
  const lines: string[] = []
  const marksOf = (id: string) =>
    JSON.stringify(
      (winners.get(id) ?? []).map(({ lane, entry: m }): MarkTuple => {
        const tuple: MarkTuple = [lane, m.device, m.kind, m.at, m.by, m.seen]
        if (m.value !== undefined) tuple.push(m.value)
        return tuple
      }),
    )
  const recorded = new Set<string>()
  for (const [id, record] of records) {
    recorded.add(id)
    lines.push(id + SEP + encodeRecord(record).slice(0, -1) + ',' + marksOf(id) + ']')
  }
  // Marks on a conversation whose record this replica has not received: kept, as live ones are.
  for (const id of winners.keys())
    if (!recorded.has(id)) lines.push(id + SEP + `[0,${marksOf(id)}]`)
  return lines.join('\n')
}

export function encodeBaseLog(log: readonly ActivityLogEntry[]): string {
  return log.map(encodeLogEntry).join('\n')
}

const none = noLanes.status

/** A lane holding one entry (a base lane: its winner), without a Map of its own. */
class OneEntry implements ReadonlyMap<string, MarkEntry> {
  readonly size = 1
  private readonly key: string
  private readonly value: MarkEntry
  constructor(value: MarkEntry) {
    this.key = value.device
    this.value = value
  }
  get(key: string) {
    return key === this.key ? this.value : undefined
  }
  has(key: string) {
    return key === this.key
  }
  forEach(fn: (value: MarkEntry, key: string, map: ReadonlyMap<string, MarkEntry>) => void) {
    fn(this.value, this.key, this)
  }
  *entries(): MapIterator<[string, MarkEntry]> {
    yield [this.key, this.value]
  }
  *keys(): MapIterator<string> {
    yield this.key
  }
  *values(): MapIterator<MarkEntry> {
    yield this.value
  }
  [Symbol.iterator]() {
    return this.entries()
  }
}

const laneOf = (entry: MarkEntry | undefined) => (entry ? new OneEntry(entry) : none)

/** A base conversation's lanes, for code that reads lanes (built on demand, not on load). */
export function baseLanes(c: BaseConversation): ConversationLanes {
  return {
    status: laneOf(c.status),
    flag: laneOf(c.flag),
    pin: laneOf(c.pin),
    assign: laneOf(c.assign),
    snooze: laneOf(c.snooze),
  }
}

/**
 * Parses a `base` string. A line that cannot be read is skipped, never half-kept. Two entries
 * on one lane (never written by `compactInbox`) keep the winner, the only one `derive` reads.
 */
export function decodeBase(text: string): EpochBase {
  const base = new Map<string, BaseConversation>()
  if (!text) return base
  for (const line of text.split('\n')) {
    const cut = line.indexOf(SEP)
    if (cut <= 0) continue
    const id = line.slice(0, cut)
    let tuple: (RecordTuple & { 8?: MarkTuple[] }) | [0, MarkTuple[]]
    try {
      tuple = JSON.parse(line.slice(cut + 1)) as typeof tuple
    } catch {
      continue
    }
    if (!Array.isArray(tuple)) continue
    const c: BaseConversation = {
      record: undefined,
      status: undefined,
      flag: undefined,
      pin: undefined,
      assign: undefined,
      snooze: undefined,
    }
    let winners: MarkTuple[] | undefined
    if (tuple[0] === 2) {
      c.record = decodeRecordTuple(id, tuple)
      winners = tuple[8]
    } else if (tuple[0] === 0) winners = tuple[1]
    else continue
    if (Array.isArray(winners))
      for (let i = 0; i < winners.length; i++) {
        const w = winners[i]!
        const lane = w[0]
        if (
          lane !== 'status' &&
          lane !== 'flag' &&
          lane !== 'pin' &&
          lane !== 'assign' &&
          lane !== 'snooze'
        )
          continue
        const entry: MarkEntry = { kind: w[2], at: w[3], by: w[4], device: w[1], seen: w[5] }
        if (w.length > 6) entry.value = w[6] ?? null
        const current = c[lane]
        if (!current || entry.at > current.at) c[lane] = entry
      }
    base.set(id, c)
  }
  return base
}

const bases = new WeakMap<Y.Doc, { text: string; base: EpochBase }>()
const logs = new WeakMap<Y.Doc, { text: string; log: ActivityLogEntry[] }>()

/** The document's epoch base, parsed once per `base` string; null before any epoch. */
export function baseOf(doc: Y.Doc): EpochBase | null {
  const text = inboxRoots.meta(doc).get('base')
  if (typeof text !== 'string') return null
  const cached = bases.get(doc)
  if (cached?.text === text) return cached.base
  const base = decodeBase(text)
  bases.set(doc, { text, base })
  return base
}

/** The activity log of the epoch base, oldest first; empty before any epoch. */
export function baseLogOf(doc: Y.Doc): readonly ActivityLogEntry[] {
  const text = inboxRoots.meta(doc).get('baseLog')
  if (typeof text !== 'string' || !text) return []
  const cached = logs.get(doc)
  if (cached?.text === text) return cached.log
  const log: ActivityLogEntry[] = []
  for (const line of text.split('\n')) {
    try {
      log.push(decodeLogEntry(line))
    } catch {
      // skipped like an unreadable base line
    }
  }
  logs.set(doc, { text, log })
  return log
}
