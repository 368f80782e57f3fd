/**
 * @module A text field showing a shared text [C1][C6]: where the caret goes when a teammate's
 * edit arrives, and the line that says who else is editing.
 */
import { indexAfter, type TextEdit } from '@switchboard/core'

/** The caret at `pos` after `edit`: text inserted or removed before it moves it along. */
export function caretAfter(pos: number, edit: TextEdit): number {
  return indexAfter(pos, edit)
}

/** "Bob is editing", "Bob and Carol are editing", "Bob, Carol and Dan are editing"; '' for none. */
export function editingLine(names: readonly string[]): string {
  if (names.length === 0) return ''
  if (names.length === 1) return `${names[0]} is editing`
  return `${names.slice(0, -1).join(', ')} and ${names.at(-1)} are editing`
}
