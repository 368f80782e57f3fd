/**
 * @module Moving an inbox room's audit history past the horizon to the archive, where
 * `GET /api/history/:phoneNumberId` and restores read it (SPEC: only the relay compacts history).
 */
import { compactHistory, timestampWall, type HistoryEntry } from '@switchboard/core'
import { RELAY_ORIGIN, type Room } from './room.ts'
import type { ArchivedEntry, RelayStorage } from './storage/relay-storage.ts'

/** The least time between two walks of a room's history for entries past the horizon. */
const HISTORY_SCAN_EVERY_MS = 3_600_000

/** An audit entry as the archive keeps it; its key makes archiving it twice harmless. */
export const archived = (e: HistoryEntry): ArchivedEntry => ({
  conversationId: e.conversationId,
  key: `${e.deviceId} ${e.at}`,
  data: JSON.stringify(e),
})

export interface HistoryArchiveDeps {
  storage: RelayStorage
  log: (event: Record<string, unknown>) => void
  now: () => number
  historyHorizonMs: number
}

export interface HistoryArchive {
  /** Before a room compacts: moves its entries past the horizon to the archive. */
  beforeCompact(room: Room): void
  /** The room's latest move to the archive, which a restore waits for [T6]. */
  moveOf(name: string): Promise<void> | undefined
}

export function createHistoryArchive(deps: HistoryArchiveDeps): HistoryArchive {
  const { storage, log, now, historyHorizonMs } = deps
  const scannedAt = new Map<string, number>()
  const moves = new Map<string, Promise<void>>()
  return {
    moveOf: (name) => moves.get(name),
    beforeCompact(room) {
      if (!room.name.startsWith('inbox:')) return
      // The walk reads the whole history array on the event loop: at most once per scan period
      // per room, so an entry stays at most that long past the horizon.
      const scanned = scannedAt.get(room.name)
      if (
        scanned !== undefined &&
        now() - scanned < Math.min(historyHorizonMs, HISTORY_SCAN_EVERY_MS)
      )
        return
      scannedAt.set(room.name, now())
      const cutoff = now() - historyHorizonMs
      const old = room.doc
        .getArray<HistoryEntry>('history')
        .toArray()
        .filter((e) => timestampWall(e.at) < cutoff)
      if (old.length === 0) return
      // Archived first (an entry in both places is shown once: archive keys are idempotent).
      const move = storage.archive(room.name, old.map(archived)).then(
        () => {
          if (room.sealed || room.failed) return
          const removed = compactHistory(room.doc, cutoff, RELAY_ORIGIN)
          if (removed > 0) log({ level: 'info', msg: 'history archived', room: room.name, removed })
        },
        (err: unknown) =>
          log({ level: 'warn', msg: 'history archive failed', room: room.name, err: String(err) }),
      )
      moves.set(room.name, move)
    },
  }
}
