import { describe, expect, it } from 'vitest'
import { Command, commandForKey, moveIndex } from './keyboard.ts'

describe('keyboard shortcuts (DESIGN §1)', () => {
  it('maps E, U and O to done, unread and reopen, in either case', () => {
    expect(commandForKey({ key: 'e' })).toBe(Command.Done)
    expect(commandForKey({ key: 'E' })).toBe(Command.Done)
    expect(commandForKey({ key: 'u' })).toBe(Command.Unread)
    expect(commandForKey({ key: 'O' })).toBe(Command.Reopen)
  })

  it('x picks the highlighted row for a bulk action, not while typing', () => {
    expect(commandForKey({ key: 'x' })).toBe(Command.Pick)
    expect(commandForKey({ key: 'X' })).toBe(Command.Pick)
    expect(commandForKey({ key: 'x', editing: true })).toBeNull()
    expect(commandForKey({ key: 'x', ctrlKey: true })).toBeNull()
  })

  it('moves with arrow keys and j/k, opens with Enter', () => {
    expect(commandForKey({ key: 'ArrowDown' })).toBe(Command.Next)
    expect(commandForKey({ key: 'j' })).toBe(Command.Next)
    expect(commandForKey({ key: 'ArrowUp' })).toBe(Command.Previous)
    expect(commandForKey({ key: 'k' })).toBe(Command.Previous)
    expect(commandForKey({ key: 'Enter' })).toBe(Command.Open)
  })

  it('focuses search with / and shows help with ?', () => {
    expect(commandForKey({ key: '/' })).toBe(Command.Search)
    expect(commandForKey({ key: '?' })).toBe(Command.Help)
  })

  it('undoes with Ctrl+Z or Cmd+Z, but not Ctrl+Shift+Z (redo)', () => {
    expect(commandForKey({ key: 'z', ctrlKey: true })).toBe(Command.Undo)
    expect(commandForKey({ key: 'z', metaKey: true })).toBe(Command.Undo)
    expect(commandForKey({ key: 'Z', ctrlKey: true })).toBeNull()
  })

  it('leaves letters, Enter and Ctrl+Z to the text field while typing', () => {
    for (const key of ['e', 'u', 'o', 'j', 'k', '/', '?', 'Enter', 'ArrowDown']) {
      expect(commandForKey({ key, editing: true })).toBeNull()
    }
    expect(commandForKey({ key: 'z', ctrlKey: true, editing: true })).toBeNull()
    expect(commandForKey({ key: 'Escape', editing: true })).toBe(Command.Escape)
  })

  it('ignores letters with modifiers so browser shortcuts keep working', () => {
    expect(commandForKey({ key: 'e', ctrlKey: true })).toBeNull()
    expect(commandForKey({ key: 'u', metaKey: true })).toBeNull()
    expect(commandForKey({ key: 'o', altKey: true })).toBeNull()
  })

  it('clamps movement to the list and starts from an edge when nothing is selected', () => {
    expect(moveIndex(0, -1, 5)).toBe(0)
    expect(moveIndex(4, 1, 5)).toBe(4)
    expect(moveIndex(2, 1, 5)).toBe(3)
    expect(moveIndex(-1, 1, 5)).toBe(0)
    expect(moveIndex(-1, -1, 5)).toBe(4)
    expect(moveIndex(0, 1, 0)).toBe(-1)
  })
})
