/**
 * @module Coalescing bursts of document events into one re-render: the changes of a whole sync
 * frame (or a bulk action) move the UI once.
 */

/** Re-run a callback at most once per `ms`, however many events arrive. */
export function coalesce(fn: () => void, ms = 16): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined
  return () => {
    if (timer !== undefined) return
    timer = setTimeout(() => {
      timer = undefined
      fn()
    }, ms)
  }
}

export interface FrameScheduler {
  requestFrame(fn: () => void): void
  visible(): boolean
  setTimeout(fn: () => void, ms: number): unknown
  clearTimeout(handle: unknown): void
}

const browserScheduler = (): FrameScheduler => ({
  requestFrame: (fn) => requestAnimationFrame(fn),
  visible: () => document.visibilityState === 'visible',
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
})

/**
 * Re-run a callback once, just before the next frame is painted, however many events arrive: a
 * teammate's change shows in the frame after it arrives instead of waiting a timer first. A
 * hidden page paints no frames, so there (or if no frame comes within `fallbackMs`) a timer runs
 * it, and what depends on the state (unread counts, the title) still moves.
 */
export function coalesceToFrame(
  fn: () => void,
  fallbackMs = 100,
  scheduler: FrameScheduler = browserScheduler(),
): () => void {
  let pending = false
  let timer: unknown
  const run = () => {
    if (!pending) return
    pending = false
    scheduler.clearTimeout(timer)
    fn()
  }
  return () => {
    if (pending) return
    pending = true
    if (scheduler.visible()) scheduler.requestFrame(run)
    timer = scheduler.setTimeout(run, scheduler.visible() ? fallbackMs : 16)
  }
}
