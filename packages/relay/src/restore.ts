/**
 * @module Restoring an inbox room to a point in time, as the relay (docs/restore.md, SPEC [T1–T7]).
 *
 * The pure part (which compensating marks) is core's `planRestore`; this reads what it needs —
 * the room's document and the history the relay archived out of it — and writes the marks as the
 * relay's own peer, so they are stored before any replica sees them and reach every socket.
 */
import {
  applyRestore,
  checkRestoreTime,
  createHlc,
  DEFAULT_RESTORE_RETENTION_DAYS,
  epochOf,
  parseRoom,
  planRestore,
  RESTORE_DEVICE,
  type HistoryEntry,
  type Hlc,
} from '@switchboard/core'
import type * as Y from 'yjs'
import type { RelayStorage } from './storage/relay-storage.ts'

const DAY = 86_400_000

/** A restore the relay refuses, naming the field that was wrong. */
export class RestoreError extends Error {
  readonly field: string
  readonly status: 400 | 404
  constructor(status: 400 | 404, field: string, message: string) {
    super(message)
    this.name = 'RestoreError'
    this.status = status
    this.field = field
  }
}

/** What a restore did. */
export interface RestoreReport {
  room: string
  /** The moment restored to (ms) and as ISO 8601. */
  to: number
  toIso: string
  by: string
  /** Conversations whose state went back, and the compensating lane entries written. */
  conversations: number
  marks: number
  /** Audit entries the restore read from the relay's archive. */
  archivedRead: number
  ms: number
}

export interface RestoreDeps {
  storage: RelayStorage
  writeRoom(name: string, fn: (doc: Y.Doc) => void): Promise<void>
  /** The relay's pending move of a room's old history to the archive, if one is under way. */
  historyMove(name: string): Promise<void> | undefined
  now(): number
  retentionMs: number
  origin: unknown
  log(event: Record<string, unknown>): void
}

/** `--at` / `{at}`: ISO 8601 (e.g. `2025-06-15T10:41:00Z`) or milliseconds since the epoch. */
export function parseRestoreTime(input: unknown): number {
  return representable(readRestoreTime(input))
}

function readRestoreTime(input: unknown): number {
  if (typeof input === 'number') return Number.isSafeInteger(input) ? input : Number.NaN
  if (typeof input !== 'string' || !input.trim()) return Number.NaN
  const text = input.trim()
  if (/^\d+$/.test(text)) return Number(text)
  // A date without a zone would be read in the server's local time: require one.
  if (!/(Z|[+-]\d\d:?\d\d)$/i.test(text)) return Number.NaN
  return Date.parse(text)
}

/** A time a Date can hold (±8.64e15 ms), else NaN: the answer names it as a bad `at`. */
const representable = (t: number): number => (Math.abs(t) <= 8.64e15 ? t : Number.NaN)

/** `inbox:<phoneNumberId>` or the bare phone number id. */
export function restoreRoomName(input: unknown): string | null {
  if (typeof input !== 'string') return null
  // The other rooms by name, not a phone number called so.
  if (parseRoom(input)) return parseRoom(input)?.kind === 'inbox' ? input : null
  const room = parseRoom(input.includes(':') ? input : `inbox:${input}`)
  return room?.kind === 'inbox' ? room.name : null
}

class StaleRead extends Error {}

/** The relay's restore operation: one restore device clock for the relay's lifetime [T5]. */
export function createRestorer(deps: RestoreDeps) {
  const clock: Hlc = createHlc(RESTORE_DEVICE, deps.now)
  return async function restore(
    roomInput: unknown,
    atInput: unknown,
    by: string,
  ): Promise<RestoreReport> {
    const started = performance.now()
    const room = restoreRoomName(roomInput)
    if (!room) throw new RestoreError(400, 'room', 'must be an inbox room: inbox:<phoneNumberId>')
    if (!deps.storage.getPhoneNumber(room.slice('inbox:'.length)))
      throw new RestoreError(404, 'room', `no such phone number: ${room.slice('inbox:'.length)}`)
    const to = parseRestoreTime(atInput)
    const when = checkRestoreTime(to, deps.now(), deps.retentionMs)
    if (!when.ok)
      throw new RestoreError(
        400,
        'at',
        Number.isFinite(to)
          ? `${new Date(to).toISOString()} ${when.message}`
          : 'must be an ISO 8601 time with a zone (e.g. 2025-06-15T10:41:00Z) or ms since 1970',
      )
    // The archive is read before the room is written: an epoch or a history move in between
    // would take entries out of the room that the read missed, so the plan is made again.
    for (let attempt = 1; ; attempt++) {
      let epoch: string | null = null
      await deps.writeRoom(room, (doc) => void (epoch = epochOf(doc).id))
      const move = deps.historyMove(room)
      await move
      const archived = (await deps.storage.readArchive(room)).map(
        (e) => JSON.parse(e.data) as HistoryEntry,
      )
      let report: RestoreReport | null = null
      try {
        await deps.writeRoom(room, (doc) => {
          if (epochOf(doc).id !== epoch || deps.historyMove(room) !== move) throw new StaleRead()
          const plan = planRestore(doc, { to, by, clock, archived })
          applyRestore(doc, plan, deps.origin)
          report = {
            room,
            to,
            toIso: new Date(to).toISOString(),
            by,
            conversations: plan.conversations.length,
            marks: plan.marks.length,
            archivedRead: archived.length,
            ms: 0,
          }
        })
      } catch (err) {
        if (err instanceof StaleRead && attempt < 5) continue
        throw err
      }
      const done = report as unknown as RestoreReport
      done.ms = Math.round(performance.now() - started)
      deps.log({ level: 'info', msg: 'room restored', ...done })
      return done
    }
  }
}

/** `RESTORE_RETENTION_DAYS` as ms (default 30 days) [T6]. */
export function retentionMs(days: number | undefined): number {
  return (days ?? DEFAULT_RESTORE_RETENTION_DAYS) * DAY
}
