/** @module Windowing for the conversation list: which rows to render for a scroll position. */

export interface WindowInput {
  scrollTop: number
  viewportHeight: number
  rowHeight: number
  count: number
  /** Rows rendered beyond each edge so fast scrolling shows no gaps. */
  overscan?: number
}

export interface WindowRange {
  /** First rendered row (inclusive). */
  start: number
  /** Last rendered row (exclusive). */
  end: number
  /** Pixels above the first rendered row. */
  offset: number
  /** Height of the whole list. */
  total: number
}

/** The rows of a fixed-row-height list that intersect the viewport, plus overscan. */
export function visibleWindow(input: WindowInput): WindowRange {
  const { rowHeight, count } = input
  const overscan = input.overscan ?? 6
  const total = count * rowHeight
  if (count === 0 || rowHeight <= 0) return { start: 0, end: 0, offset: 0, total: 0 }
  const top = Math.max(0, Math.min(input.scrollTop, Math.max(0, total - input.viewportHeight)))
  const first = Math.floor(top / rowHeight)
  const last = Math.ceil((top + Math.max(input.viewportHeight, rowHeight)) / rowHeight)
  const start = Math.max(0, first - overscan)
  const end = Math.min(count, last + overscan)
  return { start, end, offset: start * rowHeight, total }
}

/** The scrollTop that brings row `index` fully into view, or null when it already is. */
export function scrollToReveal(
  index: number,
  scrollTop: number,
  viewportHeight: number,
  rowHeight: number,
): number | null {
  const top = index * rowHeight
  const bottom = top + rowHeight
  if (top < scrollTop) return top
  if (bottom > scrollTop + viewportHeight) return bottom - viewportHeight
  return null
}
