/**
 * @module Performance marks for the browser benchmark (bench/src/browser.ts) and the DevTools
 * performance panel, set once a frame has been painted; their startTime counts from navigation
 * start.
 */

/** The conversation list first shows rows after a page load (cached ones included). */
export const LIST_PAINTED = 'switchboard:list-painted'
/** The list first shows the loaded replica's own rows. */
export const INBOX_LOADED = 'switchboard:inbox-loaded'

/** Calls `fn` once the frame holding the current DOM changes has been painted. */
export function afterNextPaint(fn: () => void): void {
  // rAF runs just before the frame is rendered; a message posted from it is handled after.
  requestAnimationFrame(() => {
    const channel = new MessageChannel()
    channel.port1.onmessage = () => {
      channel.port1.close()
      fn()
    }
    channel.port2.postMessage(null)
  })
}

const marked = new Set<string>()

/** Sets the mark `name` after the next paint, once per page load. */
export function markAfterPaint(name: string): void {
  if (marked.has(name)) return
  marked.add(name)
  afterNextPaint(() => performance.mark(name))
}
