/**
 * @module How phone numbers and conversations are named to a person. A number in the workspace's
 * region (the calling code most of its numbers share) reads nationally, "(415) 555-0142" or
 * "020 7946 0018"; any other reads internationally, "+44 20 7946 0018" (libphonenumber-js's plan).
 * Until that library has loaded, North American numbers are grouped by hand and others shown as
 * they are stored.
 */
import type { Conversation } from '@switchboard/core'
import type { PhoneNumber } from 'libphonenumber-js/min'
import { phoneFormat } from './phone-format.svelte.ts'

/** libphonenumber-js's `parsePhoneNumberFromString` (its min build's default export). */
export type PhoneParser = (text: string) => PhoneNumber | undefined

export interface FormatOptions {
  /** 'international' always writes the calling code (settings, where a number is an identity). */
  style?: 'auto' | 'international'
  /** The workspace's calling code ("1", "44"); defaults to the live one. */
  region?: string | null
  /** The loaded parser; defaults to the live one (null until loaded). */
  parse?: PhoneParser | null
}

const NANP = /^\+1(\d{3})(\d{3})(\d{4})$/

/** The calling code most of the workspace's numbers share (ties: the first seen), else null. */
export function workspaceRegion(
  numbers: readonly string[],
  parse: PhoneParser | null = phoneFormat.parse,
): string | null {
  const counts = new Map<string, number>()
  for (const n of numbers) {
    const code = parse ? parse(n)?.countryCallingCode : NANP.test(n) ? '1' : undefined
    if (code) counts.set(code, (counts.get(code) ?? 0) + 1)
  }
  let best: string | null = null
  for (const [code, count] of counts) if (best === null || count > counts.get(best)!) best = code
  return best
}

/**
 * "+14155550142" → "(415) 555-0142" in a North American workspace, "+1 415 555 0142" elsewhere
 * (or before the region is known); anything that is not a possible number is left as it is.
 */
export function formatPhoneNumber(number: string, options: FormatOptions = {}): string {
  const style = options.style ?? 'auto'
  const region = options.region === undefined ? phoneFormat.region : options.region
  const parse = options.parse === undefined ? phoneFormat.parse : options.parse
  if (!parse) {
    const nanp = NANP.exec(number)
    if (!nanp) return number
    return style === 'auto' && region === '1'
      ? `(${nanp[1]}) ${nanp[2]}-${nanp[3]}`
      : `+1 ${nanp[1]} ${nanp[2]} ${nanp[3]}`
  }
  // Parsing costs ~0.1 ms: the list and the search results format the same numbers on every key.
  if (parse !== memoParser) {
    memo.clear()
    memoParser = parse
  }
  const key = `${style}\u0000${region ?? ''}\u0000${number}`
  let formatted = memo.get(key)
  if (formatted === undefined) {
    const parsed = parse(number)
    formatted = !parsed?.isPossible()
      ? number
      : style === 'auto' && parsed.countryCallingCode === region
        ? parsed.formatNational()
        : parsed.formatInternational()
    if (memo.size >= MEMO_MAX) memo.clear()
    memo.set(key, formatted)
  }
  return formatted
}

/** Formatted numbers of the parser they were formatted with, at most `MEMO_MAX`. */
const MEMO_MAX = 20_000
const memo = new Map<string, string>()
let memoParser: PhoneParser | null = null

/**
 * "Katherine Johnson", else "(415) 555-0142", for toasts and announcements: the team's name for
 * the contact (`teamName`) [C7], else the provider's, else the number.
 */
export function conversationName(
  c: Pick<Conversation, 'contactName' | 'participants'>,
  teamName: string | null = null,
): string {
  if (teamName) return teamName
  if (c.contactName) return c.contactName
  const number = c.participants[0]
  return number ? formatPhoneNumber(number) : 'an unknown number'
}
