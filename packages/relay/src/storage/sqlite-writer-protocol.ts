/** @module The messages between the SQLite store and its writer thread (sqlite-writer.ts). */
import type { IndexRow } from './index-rows.ts'

export type ToWriter =
  | { kind: 'append'; rooms: string[]; datas: Uint8Array[]; rows: IndexRow[] }
  | { kind: 'compact'; id: number; room: string; snapshot: Uint8Array; upTo: number }
  | { kind: 'close' }

export type FromWriter =
  /** Its connection is open: the store commits on its own thread until then. */
  | { kind: 'ready' }
  | { kind: 'appended'; ids: number[] }
  | { kind: 'append-failed'; error: string }
  /** Compactions are answered by id: one written in parts answers after later ones. */
  | { kind: 'compacted'; id: number }
  | { kind: 'compact-failed'; id: number; error: string }
  | { kind: 'closed' }

/** What a thread of the store is started with (see programs.ts). */
export interface StoreThreadData {
  path: string
}

export const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e))
