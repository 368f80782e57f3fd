/** @module How a conversation is named to a person: its contact's name, else its formatted number. */
import type { Conversation } from '@switchboard/core'

/**
 * "+14155550142" → "(415) 555-0142" for North American numbers (the demo workspace's region).
 * Other numbers are returned as they are: grouping them needs each country's plan, which the
 * region-aware formatting of issue 24's accessibility part brings.
 */
export function formatPhoneNumber(number: string): string {
  const nanp = /^\+1(\d{3})(\d{3})(\d{4})$/.exec(number)
  if (nanp) return `(${nanp[1]}) ${nanp[2]}-${nanp[3]}`
  return number
}

/** "Katherine Johnson", else "(415) 555-0142", for toasts and announcements. */
export function conversationName(c: Pick<Conversation, 'contactName' | 'participants'>): string {
  if (c.contactName) return c.contactName
  const number = c.participants[0]
  return number ? formatPhoneNumber(number) : 'an unknown number'
}
