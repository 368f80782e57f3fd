import { describe, expect, it } from 'vitest'
import { textEdit } from '@switchboard/core'
import { caretAfter, editingLine } from './shared-text.ts'

describe('[C1] the caret in a shared text field', () => {
  it("[C1] stays before a teammate's text typed after it and moves past text typed before it", () => {
    const mine = 'Call after 5'
    expect(caretAfter(4, textEdit(mine, mine + ' (VIP)')!)).toBe(4)
    expect(caretAfter(4, textEdit(mine, 'Bob: ' + mine)!)).toBe(9)
    expect(caretAfter(12, textEdit(mine, 'Call 5')!)).toBe(6)
    // Inside a removed range, it lands after what replaced it.
    expect(caretAfter(7, textEdit('Call after 5', 'Call at 5')!)).toBe(7)
  })
})

describe('[C6] who is editing', () => {
  it('[C6] names one, two or more teammates; nobody gives no line', () => {
    expect(editingLine([])).toBe('')
    expect(editingLine(['Bob'])).toBe('Bob is editing')
    expect(editingLine(['Bob', 'Carol'])).toBe('Bob and Carol are editing')
    expect(editingLine(['Bob', 'Carol', 'Dan'])).toBe('Bob, Carol and Dan are editing')
  })
})
