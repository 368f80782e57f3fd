import { describe, expect, it } from 'vitest'
import { conversationName, formatPhoneNumber } from './phone-number.ts'

describe('naming a conversation for a person', () => {
  it('formats North American numbers, leaves the others as they are', () => {
    expect(formatPhoneNumber('+14155550142')).toBe('(415) 555-0142')
    expect(formatPhoneNumber('+442079460018')).toBe('+442079460018')
    expect(formatPhoneNumber('12345')).toBe('12345')
  })

  it('uses the contact name, else the formatted number', () => {
    expect(
      conversationName({ contactName: 'Katherine Johnson', participants: ['+14155550142'] }),
    ).toBe('Katherine Johnson')
    expect(conversationName({ contactName: null, participants: ['+14155550142'] })).toBe(
      '(415) 555-0142',
    )
    expect(conversationName({ contactName: '', participants: [] })).toBe('an unknown number')
  })
})
