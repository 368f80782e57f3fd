/** @module The rows picked for a bulk action, as reactive state over `util/selection.ts`. */
import { extend, nothingPicked, pickedIn, toggle, type Picked } from '../util/selection.ts'

export class RowSelection {
  /** The tab it picks in: another tab starts a new selection. */
  readonly view: string
  picked = $state.raw<Picked>(nothingPicked)

  constructor(view: string) {
    this.view = view
  }

  get size(): number {
    return this.picked.ids.size
  }

  has(id: string): boolean {
    return this.picked.ids.has(id)
  }

  /**
   * A click that picks: 'toggle' (Ctrl/Cmd, the checkbox, `x`) flips one row; 'range' (Shift)
   * adds every row from the anchor (else the highlighted row) to `id`.
   */
  pick(
    id: string,
    mode: 'toggle' | 'range',
    order: readonly { id: string }[],
    highlighted: string | null,
  ): void {
    this.picked =
      mode === 'range' ? extend(this.picked, order, id, highlighted) : toggle(this.picked, id)
  }

  clear(): void {
    if (this.picked.ids.size > 0) this.picked = nothingPicked
  }

  /** The picked rows still in the list, in its order. */
  in<T extends { id: string }>(order: readonly T[]): T[] {
    return pickedIn(this.picked, order)
  }
}
