import parse from 'libphonenumber-js/min'
import { describe, expect, it } from 'vitest'
import { conversationName, formatPhoneNumber, workspaceRegion } from './phone-number.ts'

describe('formatting phone numbers for the workspace region', () => {
  it('reads numbers of the workspace region nationally, the others internationally', () => {
    const us = { region: '1', parse }
    expect(formatPhoneNumber('+14155550142', us)).toBe('(415) 555-0142')
    expect(formatPhoneNumber('+16045550199', us)).toBe('(604) 555-0199')
    expect(formatPhoneNumber('+442079460018', us)).toBe('+44 20 7946 0018')
    const uk = { region: '44', parse }
    expect(formatPhoneNumber('+442079460018', uk)).toBe('020 7946 0018')
    expect(formatPhoneNumber('+14155550142', uk)).toBe('+1 415 555 0142')
    const fr = { region: '33', parse }
    expect(formatPhoneNumber('+33142685300', fr)).toBe('01 42 68 53 00')
  })

  it('writes the calling code when asked (settings) or while the region is unknown', () => {
    expect(formatPhoneNumber('+14155550177', { style: 'international', region: '1', parse })).toBe(
      '+1 415 555 0177',
    )
    expect(formatPhoneNumber('+442079460018', { region: null, parse })).toBe('+44 20 7946 0018')
  })

  it('leaves what is not a possible number as it is (short codes, typos)', () => {
    expect(formatPhoneNumber('12345', { region: '1', parse })).toBe('12345')
    expect(formatPhoneNumber('+1415', { region: '1', parse })).toBe('+1415')
  })

  it('groups North American numbers by hand until the library has loaded', () => {
    expect(formatPhoneNumber('+14155550142', { region: '1', parse: null })).toBe('(415) 555-0142')
    expect(
      formatPhoneNumber('+14155550142', { region: '1', parse: null, style: 'international' }),
    ).toBe('+1 415 555 0142')
    expect(formatPhoneNumber('+442079460018', { region: '1', parse: null })).toBe('+442079460018')
  })

  it("takes the region from the calling code most of the workspace's numbers share", () => {
    expect(workspaceRegion(['+14155550142', '+14155550100', '+442079460018'], parse)).toBe('1')
    expect(workspaceRegion(['+442079460018', '+447700900123', '+14155550100'], parse)).toBe('44')
    expect(workspaceRegion(['+14155550142'], null)).toBe('1')
    expect(workspaceRegion([], parse)).toBeNull()
  })
})

describe('naming a conversation for a person', () => {
  it('uses the contact name, else the formatted number', () => {
    expect(
      conversationName({ contactName: 'Katherine Johnson', participants: ['+14155550142'] }),
    ).toBe('Katherine Johnson')
    expect(conversationName({ contactName: '', participants: [] })).toBe('an unknown number')
  })
})
