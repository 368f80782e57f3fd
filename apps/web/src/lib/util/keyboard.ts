/** @module The inbox's keyboard shortcuts, as a pure mapping from a key press to a command. */

export const Command = {
  Next: 'next',
  Previous: 'previous',
  Open: 'open',
  Done: 'done',
  Unread: 'unread',
  Reopen: 'reopen',
  Snooze: 'snooze',
  Pick: 'pick',
  Search: 'search',
  Help: 'help',
  Undo: 'undo',
  Escape: 'escape',
  First: 'first',
  Last: 'last',
} as const
export type Command = (typeof Command)[keyof typeof Command]

export interface KeyPress {
  key: string
  ctrlKey?: boolean
  metaKey?: boolean
  altKey?: boolean
  /** True when focus is in a text field, where plain letters are typing, not commands. */
  editing?: boolean
}

/** The shortcut list shown by `?`, in display order. */
export const shortcuts: readonly { keys: string[]; label: string }[] = [
  { keys: ['↓', 'J'], label: 'Next conversation' },
  { keys: ['↑', 'K'], label: 'Previous conversation' },
  { keys: ['Enter'], label: 'Open the selected conversation' },
  { keys: ['E'], label: 'Mark as done (and select the next one)' },
  { keys: ['U'], label: 'Mark as unread' },
  { keys: ['O'], label: 'Reopen' },
  { keys: ['H'], label: 'Snooze (choose until when)' },
  { keys: ['X'], label: 'Select for a bulk action (Shift+click: a range)' },
  { keys: ['/'], label: 'Search' },
  { keys: ['Ctrl/⌘', 'Z'], label: 'Undo the last change' },
  { keys: ['?'], label: 'Show this help' },
  { keys: ['Esc'], label: 'Clear the selection, close, or leave the search box' },
]

/** Which command a key press means, or null when it is not a shortcut. */
export function commandForKey(press: KeyPress): Command | null {
  const { key, ctrlKey = false, metaKey = false, altKey = false, editing = false } = press
  if (key === 'Escape') return Command.Escape
  if ((ctrlKey || metaKey) && !altKey && (key === 'z' || key === 'Z')) {
    // In a text field Ctrl+Z undoes typing; Ctrl+Shift+Z is redo, not ours.
    return editing || key === 'Z' ? null : Command.Undo
  }
  if (editing || ctrlKey || metaKey || altKey) return null
  switch (key) {
    case 'ArrowDown':
    case 'j':
      return Command.Next
    case 'ArrowUp':
    case 'k':
      return Command.Previous
    case 'Home':
      return Command.First
    case 'End':
      return Command.Last
    case 'Enter':
      return Command.Open
    case 'e':
    case 'E':
      return Command.Done
    case 'u':
    case 'U':
      return Command.Unread
    case 'o':
    case 'O':
      return Command.Reopen
    case 'h':
    case 'H':
      return Command.Snooze
    case 'x':
    case 'X':
      return Command.Pick
    case '/':
      return Command.Search
    case '?':
      return Command.Help
    default:
      return null
  }
}

/** True for elements where typing letters must not trigger shortcuts. */
export function isEditable(target: EventTarget | null): boolean {
  if (!target || typeof (target as Element).closest !== 'function') return false
  const el = target as HTMLElement
  if (el.isContentEditable) return true
  const tag = el.tagName
  if (tag === 'TEXTAREA' || tag === 'SELECT') return true
  if (tag === 'INPUT') {
    const type = (el as HTMLInputElement).type
    return !['checkbox', 'radio', 'button', 'submit', 'reset'].includes(type)
  }
  return false
}

/** The index after moving `delta` rows from `index`, clamped to the list. */
export function moveIndex(index: number, delta: number, count: number): number {
  if (count === 0) return -1
  if (index < 0) return delta > 0 ? 0 : count - 1
  return Math.min(count - 1, Math.max(0, index + delta))
}
