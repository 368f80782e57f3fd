/**
 * @module Telling the other relays that the directory changed, and hearing them. A relay that
 * committed directory writes NOTIFYs which tables changed, at most once per interval (NOTIFY
 * takes a global lock at commit, so never once per write); the others LISTEN and read those
 * tables again. A listener that was disconnected lost what was sent meanwhile, so it reads
 * everything again each time its LISTEN is re-established.
 */
import type { Sql } from './postgres-connect.ts'
import { tables as allTables, type Table } from './postgres-directory-state.ts'

/** The channel every relay of a database announces directory changes on. */
export const DIRECTORY_CHANNEL = 'switchboard_directory'

/** What a notification carries: who wrote, which tables, which of them to read whole. */
export interface DirectoryNotice {
  from: string
  tables: Table[]
  whole: Table[]
}

export interface Announcer {
  /** Notes committed tables; they are announced now, or at the end of the current interval. */
  announce(tables: Iterable<Table>, whole: Iterable<Table>): void
  /** Announces what is noted at once (at close). */
  flush(): Promise<void>
  close(): void
}

export function createAnnouncer(sql: Sql, from: string, intervalMs: number): Announcer {
  const noted = new Set<Table>()
  const whole = new Set<Table>()
  let lastSent = -Infinity
  let timer: ReturnType<typeof setTimeout> | null = null
  let sending: Promise<void> = Promise.resolve()
  let closed = false

  const send = async () => {
    if (noted.size === 0) return
    const notice: DirectoryNotice = { from, tables: [...noted], whole: [...whole] }
    noted.clear()
    whole.clear()
    lastSent = Date.now()
    try {
      await sql.notify(DIRECTORY_CHANNEL, JSON.stringify(notice))
    } catch {
      // The store is unreachable: the listeners lost their connection too and read everything
      // again when it is back; keep the tables for the next interval all the same.
      for (const t of notice.tables) noted.add(t)
      for (const t of notice.whole) whole.add(t)
      schedule()
    }
  }
  const schedule = () => {
    if (timer || closed) return
    const wait = Math.max(0, lastSent + intervalMs - Date.now())
    timer = setTimeout(() => {
      timer = null
      sending = sending.then(send)
    }, wait)
  }

  return {
    announce(tables, wholeTables) {
      for (const t of tables) noted.add(t)
      for (const t of wholeTables) whole.add(t)
      if (noted.size === 0) return
      if (!timer && Date.now() - lastSent >= intervalMs) sending = sending.then(send)
      else schedule()
    },
    async flush() {
      if (timer) clearTimeout(timer)
      timer = null
      sending = sending.then(send)
      await sending
    },
    close() {
      closed = true
      if (timer) clearTimeout(timer)
      timer = null
    },
  }
}

/** Parses a notification; null for one that is not a directory notice (never trusted blindly). */
export function parseNotice(payload: string): DirectoryNotice | null {
  try {
    const value = JSON.parse(payload) as Partial<DirectoryNotice>
    const known = (list: unknown): Table[] =>
      Array.isArray(list) ? list.filter((t): t is Table => allTables.includes(t as Table)) : []
    if (typeof value.from !== 'string') return null
    return { from: value.from, tables: known(value.tables), whole: known(value.whole) }
  } catch {
    return null
  }
}

export interface Listening {
  unlisten(): Promise<void>
}

/**
 * Listens for other relays' notices (`heard`), and calls `reconnected` each time the LISTEN is
 * re-established after a lost connection (notices were lost meanwhile).
 */
export async function listenForChanges(
  sql: Sql,
  self: string,
  heard: (notice: DirectoryNotice) => void,
  reconnected: () => void,
): Promise<Listening> {
  let first = true
  const { unlisten } = await sql.listen(
    DIRECTORY_CHANNEL,
    (payload) => {
      const notice = parseNotice(payload)
      if (notice && notice.from !== self) heard(notice)
    },
    () => {
      if (first) first = false
      else reconnected()
    },
  )
  return { unlisten }
}
