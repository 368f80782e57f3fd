import { describe, expect, it } from 'vitest'
import { enterSends, replyPlaceholder } from './enter-key.ts'

describe('Enter in the composer', () => {
  const press = { key: 'Enter', shiftKey: false, isComposing: false, phone: false }

  it('sends on a desktop; Shift+Enter and an input method composing add to the text', () => {
    expect(enterSends(press)).toBe(true)
    expect(enterSends({ ...press, shiftKey: true })).toBe(false)
    expect(enterSends({ ...press, isComposing: true })).toBe(false)
    expect(enterSends({ ...press, key: 'a' })).toBe(false)
  })

  it('adds a line on a phone, where the Send button sends', () => {
    expect(enterSends({ ...press, phone: true })).toBe(false)
    expect(replyPlaceholder(true)).not.toMatch(/Enter/)
    expect(replyPlaceholder(false)).toMatch(/Enter to send/)
  })
})
