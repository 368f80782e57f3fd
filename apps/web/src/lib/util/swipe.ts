/** @module Touch swipes on a conversation row: left → Done, right → Unread (DESIGN §1). */

export type SwipeAction = 'done' | 'unread'

/** The action a horizontal drag reveals (shown under the finger), or null while too small. */
export function revealedAction(dx: number): SwipeAction | null {
  if (dx <= -8) return 'done'
  if (dx >= 8) return 'unread'
  return null
}

/**
 * The action a finished swipe commits: far enough (a third of the row, at most 96 px) and
 * clearly horizontal; null for taps, short drags and vertical scrolls.
 */
export function committedSwipe(dx: number, dy: number, width: number): SwipeAction | null {
  const threshold = Math.min(96, Math.max(40, width / 3))
  if (Math.abs(dx) < threshold || Math.abs(dx) < Math.abs(dy) * 1.5) return null
  return dx < 0 ? 'done' : 'unread'
}

/** Whether a drag so far is a horizontal swipe (true), a vertical scroll (false) or undecided. */
export function swipeAxis(dx: number, dy: number): boolean | null {
  if (Math.abs(dx) < 10 && Math.abs(dy) < 10) return null
  return Math.abs(dx) > Math.abs(dy)
}
