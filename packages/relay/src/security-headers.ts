/**
 * @module Security headers on every response of the relay, the API and the web app alike [A7]:
 * a Content-Security-Policy that runs only the app's own scripts (its one inline bootstrap
 * script allowed by hash, src/node/script-hashes.ts), no framing, no MIME sniffing, no referrer.
 * Pages may connect to their own relay and to the deployment's others (`RELAY_PUBLIC_URLS`).
 */
import type { Context, MiddlewareHandler } from 'hono'

/**
 * The policy for one request. Styles may be inline: the app's markup has style attributes and a
 * style can run no code. Sockets are named with the request's own host, as older engines do not
 * let 'self' cover ws: and wss:.
 */
export function contentSecurityPolicy(
  scriptHashes: readonly string[],
  host?: string,
  relayOrigins: readonly string[] = [],
): string {
  const sockets = host && /^[A-Za-z0-9.:[\]-]+$/.test(host) ? ` ws://${host} wss://${host}` : ''
  // The deployment's other relays, which the app moves to when this one fails.
  const relays = relayOrigins.map((o) => ` ${o} ${o.replace(/^http/, 'ws')}`).join('')
  return [
    `default-src 'self'`,
    `script-src 'self'${scriptHashes.map((h) => ` ${h}`).join('')}`,
    `style-src 'self' 'unsafe-inline'`,
    `img-src 'self' data: blob:`,
    `font-src 'self' data:`,
    `connect-src 'self'${sockets}${relays}`,
    `worker-src 'self'`,
    `manifest-src 'self'`,
    `object-src 'none'`,
    `base-uri 'self'`,
    `form-action 'self'`,
    `frame-ancestors 'none'`,
  ].join('; ')
}

/** The headers every response carries besides its policy. */
const FIXED: readonly [string, string][] = [
  ['x-content-type-options', 'nosniff'],
  ['x-frame-options', 'DENY'],
  ['referrer-policy', 'no-referrer'],
  ['cross-origin-opener-policy', 'same-origin'],
]

/** Sets the security headers on every response that does not already carry its own CSP. */
export function securityHeaders(
  scriptHashes: () => readonly string[],
  relayUrls: readonly string[] = [],
): MiddlewareHandler {
  const relayOrigins = [...new Set(relayUrls.map((u) => new URL(u).origin))]
  const policy = (c: Context) =>
    contentSecurityPolicy(scriptHashes(), c.req.header('host'), relayOrigins)
  return async (c: Context, next) => {
    // Providers' webhooks answer with c.json and no policy of their own: set before the answer
    // is made, the headers ride it (set after, they made the server rebuild each answer). An
    // error's answer is made apart from the context, so it gets them after.
    const early = c.req.path.startsWith('/api/webhooks/')
    if (early) {
      c.header('content-security-policy', policy(c))
      for (const [name, value] of FIXED) c.header(name, value)
    }
    await next()
    if (early && !c.error) return
    const h = c.res.headers
    // A WebSocket upgrade's response is not sent by Hono and may be immutable.
    if (c.res.status === 101) return
    try {
      if (!h.has('content-security-policy')) h.set('content-security-policy', policy(c))
      for (const [name, value] of FIXED) h.set(name, value)
    } catch {
      // Immutable headers (a fetched response passed through): leave them as they are.
    }
  }
}
