/**
 * @module The relays the CLI talks to: one URL or several, comma-separated (`login <url,url…>`
 * or `SWITCHBOARD_RELAY_URLS`), kept in the session with the one that last answered. A call
 * tries that one first and moves on while a relay is down (docs/scale-out.md).
 */
import { CliError, type Session } from './session.ts'

/** Comma-separated relay URLs, each an http(s) base URL (trailing slash dropped), each once. */
export function parseRelayUrls(raw: string, source: string): string[] {
  const urls = raw
    .split(',')
    .map((u) => u.trim())
    .filter(Boolean)
  if (urls.length === 0) throw new CliError(`${source}: no relay URL given`, 2)
  for (const u of urls)
    if (!/^https?:\/\/[^/,\s]+/.test(u)) throw new CliError(`not a relay URL: ${u}`, 2)
  return [...new Set(urls.map((u) => u.replace(/\/+$/, '')))]
}

/**
 * The relays of a session, the last one that answered first. `SWITCHBOARD_RELAY_URLS`, when
 * set, replaces the list saved at login (a relay added to the deployment since).
 */
export function sessionRelays(session: Session, env: NodeJS.ProcessEnv): string[] {
  const listed = env.SWITCHBOARD_RELAY_URLS
    ? parseRelayUrls(env.SWITCHBOARD_RELAY_URLS, 'SWITCHBOARD_RELAY_URLS')
    : (session.urls ?? [])
  return [...new Set([session.url, ...listed])]
}

/** A relay answered this: down (a proxy's 502, or 503 while it shuts down), nothing was done. */
const down = (status: number) => status === 502 || status === 503

/**
 * Sends `init` to the relays in order until one answers; a relay down or unreachable is skipped.
 * A POST goes on to the next relay only when the last surely did not handle it (refused
 * connection, 502/503). The answer and the relay that gave it; a CliError when none did.
 */
export async function fetchRelays(
  urls: readonly string[],
  path: string,
  init: RequestInit = {},
): Promise<{ res: Response; url: string }> {
  const tried: string[] = []
  for (const url of urls) {
    tried.push(url)
    let res: Response
    try {
      res = await fetch(url + path, init)
    } catch (err) {
      const code = (err as { cause?: { code?: unknown } }).cause?.code
      const refused = code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EHOSTUNREACH'
      if ((init.method ?? 'GET') === 'GET' || refused) continue
      break
    }
    if (!down(res.status) || url === urls[urls.length - 1]) return { res, url }
  }
  throw new CliError(`relay unreachable at ${tried.join(', ')}`)
}
