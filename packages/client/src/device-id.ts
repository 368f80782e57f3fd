/**
 * @module Device ids for browser tabs. Each tab must write as its own device (P2: two tabs
 * sharing an id would be two writers of one key). Ids are pooled in localStorage and each
 * claimed with a Web Lock held for the tab's lifetime, so a reload reuses an id (the marks map
 * does not grow a key per page load) while two live tabs never share one.
 */
import { newDeviceId } from './ids.ts'

export interface DeviceClaim {
  deviceId: string
  /** Give the id back to the pool (the lock is also released when the tab closes). */
  release(): void
  /** Drop the id from the pool for good (the relay bound it to another member [L1]) and release it. */
  discard(): void
}

export interface ClaimOptions {
  /** Defaults to `navigator.locks`; without it every claim mints a fresh id. */
  locks?: Pick<LockManager, 'request'>
  /** Defaults to `localStorage`. */
  storage?: Pick<Storage, 'getItem' | 'setItem'>
  key?: string
  prefix?: string
}

const MAX_POOL = 16

export async function claimDeviceId(options: ClaimOptions = {}): Promise<DeviceClaim> {
  const nav = (globalThis as { navigator?: { locks?: LockManager } }).navigator
  const locks = options.locks ?? nav?.locks
  const storage =
    options.storage ?? (globalThis as { localStorage?: Storage }).localStorage ?? undefined
  const key = options.key ?? 'switchboard:device-ids'
  const prefix = options.prefix ?? 'web'
  if (!locks || !storage) return { deviceId: newDeviceId(prefix), release() {}, discard() {} }

  const readPool = (): string[] => {
    try {
      const value = JSON.parse(storage.getItem(key) ?? '[]') as unknown
      return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : []
    } catch {
      return []
    }
  }

  /** Holds the lock on `id` until released; false when another tab holds it. */
  const tryHold = (id: string): Promise<(() => void) | null> =>
    new Promise((resolve) => {
      void locks.request(`switchboard-device:${id}`, { ifAvailable: true }, (lock) => {
        if (!lock) {
          resolve(null)
          return undefined
        }
        return new Promise<void>((release) => resolve(release))
      })
    })

  const claim = (id: string, release: () => void): DeviceClaim => ({
    deviceId: id,
    release,
    discard() {
      storage.setItem(key, JSON.stringify(readPool().filter((p) => p !== id)))
      release()
    },
  })

  for (const id of readPool()) {
    const release = await tryHold(id)
    if (release) return claim(id, release)
  }
  const id = newDeviceId(prefix)
  const release = await tryHold(id)
  const pool = readPool()
  if (!pool.includes(id) && pool.length < MAX_POOL)
    storage.setItem(key, JSON.stringify([...pool, id]))
  return claim(id, release ?? (() => {}))
}
