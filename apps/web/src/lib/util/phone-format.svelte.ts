/**
 * @module The phone-number formatter's live state: libphonenumber-js (loaded after first paint,
 * its own chunk) and the workspace's region. Templates that format a number read it, so they
 * repaint once the library arrives or the region changes.
 */
import type { PhoneParser } from './phone-number.ts'

export const phoneFormat = $state<{ parse: PhoneParser | null; region: string | null }>({
  parse: null,
  region: null,
})

let loading: Promise<void> | null = null

/** Loads libphonenumber-js's min metadata once (≈33 kB gzip, kept off the first paint). */
export function loadPhoneFormatting(): Promise<void> {
  loading ??= import('libphonenumber-js/min').then(
    (lib) => {
      phoneFormat.parse = lib.default
    },
    () => {
      // Offline before the service worker had the chunk: keep the hand-written fallback.
      loading = null
    },
  )
  return loading
}
