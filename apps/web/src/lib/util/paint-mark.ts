/**
 * @module Marks when the conversation list first shows rows after a page load, for the browser
 * benchmark (bench/src/browser.ts) and the DevTools performance panel: a `performance.mark`
 * whose startTime counts from navigation start.
 */

export const LIST_PAINTED = 'switchboard:list-painted'

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

let marked = false

/** Sets the list-painted mark after the next paint, once per page load. */
export function markListPainted(): void {
  if (marked) return
  marked = true
  afterNextPaint(() => performance.mark(LIST_PAINTED))
}
