/**
 * @module Which rows are picked for a bulk action, as pure steps over an immutable set: a click
 * with Ctrl/Cmd (or `x`, or a row's checkbox) toggles one row and makes it the anchor; a click
 * with Shift adds every row from the anchor to the clicked one, in the list's order.
 */

export interface Picked {
  readonly ids: ReadonlySet<string>
  /** The row a Shift+click extends from: the last row toggled. */
  readonly anchor: string | null
}

export const nothingPicked: Picked = { ids: new Set(), anchor: null }

/** Toggles one row; it becomes the anchor. */
export function toggle(picked: Picked, id: string): Picked {
  const ids = new Set(picked.ids)
  if (ids.has(id)) ids.delete(id)
  else ids.add(id)
  return { ids, anchor: id }
}

/**
 * Adds the rows from the anchor (else `fallback`, the highlighted row) to `id`, both included,
 * in `order`; with neither in the list, only `id`. The anchor stays, so a second Shift+click
 * re-extends from it.
 */
export function extend(
  picked: Picked,
  order: readonly { id: string }[],
  id: string,
  fallback: string | null = null,
): Picked {
  const to = order.findIndex((c) => c.id === id)
  if (to === -1) return picked
  const start = picked.anchor ?? fallback
  let from = start === null ? -1 : order.findIndex((c) => c.id === start)
  if (from === -1) from = to
  const ids = new Set(picked.ids)
  for (let i = Math.min(from, to); i <= Math.max(from, to); i++) ids.add(order[i]!.id)
  return { ids, anchor: order[from]!.id }
}

/** The picked rows still in the list, in its order (a row that left the view is not acted on). */
export function pickedIn<T extends { id: string }>(picked: Picked, order: readonly T[]): T[] {
  if (picked.ids.size === 0) return []
  return order.filter((c) => picked.ids.has(c.id))
}

/**
 * The index of row `id` in the list, or -1. Takes the id as a value: a `findIndex` whose callback
 * reads a reactive prop or state reads that signal once per row (~1 µs each: 100 ms at 100,000).
 */
export function indexOfId(order: readonly { id: string }[], id: string | null): number {
  if (id === null) return -1
  for (let i = 0; i < order.length; i++) if (order[i]!.id === id) return i
  return -1
}
