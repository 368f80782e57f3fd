/**
 * @module The deployment's relays for this page's replica: this page's own origin first, then the
 * others the relay lists (`GET /api/relays`, docs/scale-out.md), so the replica moves to another
 * relay when this one fails. The list is kept in localStorage: a page started from the service
 * worker while its relay is down still knows where to go.
 */

const KEY = 'switchboard:relays'

/** The part of localStorage this module uses (a Map in tests). */
export type RelayStorage = Pick<Storage, 'getItem' | 'setItem'>

/** The http(s) URLs of a JSON value, others dropped. */
function urlsOf(value: unknown): string[] {
  if (!Array.isArray(value)) return []
  return value.filter((u): u is string => typeof u === 'string' && /^https?:\/\/[^/\s]+/.test(u))
}

function saved(storage: RelayStorage): string[] {
  try {
    return urlsOf(JSON.parse(storage.getItem(KEY) ?? '[]'))
  } catch {
    return []
  }
}

/** Asks the relay for the list and saves it; false when it could not be had. */
async function refresh(storage: RelayStorage, fetchImpl: typeof fetch): Promise<boolean> {
  try {
    const res = await fetchImpl('/api/relays', { signal: AbortSignal.timeout(3_000) })
    if (!res.ok) return false
    storage.setItem(
      KEY,
      JSON.stringify(urlsOf(((await res.json()) as { relays?: unknown }).relays)),
    )
    return true
  } catch {
    return false
  }
}

/**
 * The relays for `createSwitchboard({ urls })`: `origin` first, then the saved list. A saved list
 * is used at once and refreshed for the next load; without one, the relay is asked first.
 */
export async function relayUrls(
  origin: string,
  storage: RelayStorage = localStorage,
  fetchImpl: typeof fetch = fetch,
): Promise<string[]> {
  const known = storage.getItem(KEY) !== null
  const asking = refresh(storage, fetchImpl)
  if (!known) await asking
  const others = saved(storage).map((u) => u.replace(/\/+$/, ''))
  return [...new Set([origin, ...others])]
}
