import { describe, expect, it } from 'vitest'
import { ago, fieldMessage } from './relative-time.ts'

describe('ago', () => {
  const now = Date.UTC(2026, 5, 1, 12)
  it('says how long ago in the largest whole unit', () => {
    expect(ago(null, now)).toBe('never')
    expect(ago(now - 10_000, now)).toBe('just now')
    expect(ago(now + 10_000, now)).toBe('just now')
    expect(ago(now - 5 * 60_000, now)).toBe('5 min ago')
    expect(ago(now - 3 * 3_600_000, now)).toBe('3 h ago')
    expect(ago(now - 2 * 86_400_000, now)).toBe('2 days ago')
    expect(ago(now - 40 * 86_400_000, now)).toBe(
      new Date(now - 40 * 86_400_000).toLocaleDateString(),
    )
  })
})

describe('fieldMessage', () => {
  it('prefixes the label of the field the relay named, and only a known one', () => {
    const r = { message: 'this email is already a member', field: 'email' }
    expect(fieldMessage(r, { email: 'Email' })).toBe('Email: this email is already a member')
    expect(fieldMessage(r)).toBe('this email is already a member')
    expect(fieldMessage({ message: 'invite expired' }, { email: 'Email' })).toBe('invite expired')
  })
})
