/// <reference lib="dom" />
/**
 * @module Functions evaluated inside the page by workload 6 (bench/src/browser.ts). Each is
 * serialized by Playwright, so it may use nothing from its module scope.
 */

export interface IdbRead {
  records: number
  bytes: number
  ms: number
}

/** The floor: open one of the app's IndexedDB databases and read every stored update. */
export async function readIdb(name: string): Promise<IdbRead> {
  const t0 = performance.now()
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    const req = indexedDB.open(name)
    req.onsuccess = () => resolve(req.result)
    req.onerror = () => reject(req.error)
  })
  try {
    const values = await new Promise<unknown[]>((resolve, reject) => {
      const req = db.transaction(['updates'], 'readonly').objectStore('updates').getAll()
      req.onsuccess = () => resolve(req.result)
      req.onerror = () => reject(req.error)
    })
    let bytes = 0
    for (const v of values) bytes += (v as ArrayBuffer | Uint8Array).byteLength
    return { records: values.length, bytes, ms: performance.now() - t0 }
  } finally {
    db.close()
  }
}

/** Whether the app's IndexedDB database exists yet (opening a missing one would create it). */
export async function idbExists(name: string): Promise<boolean> {
  const dbs = await indexedDB.databases()
  return dbs.some((d) => d.name === name)
}

export interface KeyTiming {
  /** keydown → the frame showing the next conversation selected has been painted. */
  next: number | null
  /** keydown → the frame without the done row (the list re-derived) has been painted. */
  settle: number | null
}

/**
 * Instruments `E`: a capture listener takes the keydown's timestamp and the selected row, then a
 * MutationObserver on the list waits for the selection to move and the row to leave; the time is
 * read after the next paint (rAF, then a message, which runs once that frame is rendered).
 */
export function instrumentDone(): void {
  const w = window as unknown as { __doneTimings: KeyTiming[] }
  w.__doneTimings = []
  const afterPaint = (fn: () => void) =>
    requestAnimationFrame(() => {
      const ch = new MessageChannel()
      ch.port1.onmessage = () => fn()
      ch.port2.postMessage(null)
    })
  window.addEventListener(
    'keydown',
    (ev) => {
      if (ev.key !== 'e') return
      const list = document.getElementById('conversation-list')
      if (!list) return
      const t0 = ev.timeStamp
      const before = list.getAttribute('aria-activedescendant')
      const timing: KeyTiming = { next: null, settle: null }
      w.__doneTimings.push(timing)
      let sawNext = false
      let sawSettle = false
      const check = () => {
        const now = list.getAttribute('aria-activedescendant')
        if (
          !sawNext &&
          now &&
          now !== before &&
          document.getElementById(now)?.getAttribute('aria-selected') === 'true'
        ) {
          sawNext = true
          afterPaint(() => (timing.next = performance.now() - t0))
        }
        if (!sawSettle && before && !document.getElementById(before)) {
          sawSettle = true
          afterPaint(() => (timing.settle = performance.now() - t0))
        }
        if (sawNext && sawSettle) observer.disconnect()
      }
      const observer = new MutationObserver(check)
      observer.observe(list, { attributes: true, childList: true, subtree: true })
    },
    true,
  )
}

export function doneTimings(): KeyTiming[] {
  return (window as unknown as { __doneTimings: KeyTiming[] }).__doneTimings
}

/** startTime of a performance mark (ms since navigation start), or null before it is set. */
export function markTime(name: string): number | null {
  return performance.getEntriesByName(name, 'mark')[0]?.startTime ?? null
}
