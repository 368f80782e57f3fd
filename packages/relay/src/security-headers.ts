/**
 * @module Security headers on every response of the relay, the API and the web app alike [A7]:
 * a Content-Security-Policy that runs only the app's own scripts (its one inline bootstrap
 * script allowed by hash, src/node/script-hashes.ts), no framing, no MIME sniffing, no referrer.
 */
import type { Context, MiddlewareHandler } from 'hono'

/**
 * The policy for one request. Styles may be inline: the app's markup has style attributes and a
 * style can run no code. Sockets are named with the request's own host, as older engines do not
 * let 'self' cover ws: and wss:.
 */
export function contentSecurityPolicy(scriptHashes: readonly string[], host?: string): string {
  const sockets = host && /^[A-Za-z0-9.:[\]-]+$/.test(host) ? ` ws://${host} wss://${host}` : ''
  return [
    `default-src 'self'`,
    `script-src 'self'${scriptHashes.map((h) => ` ${h}`).join('')}`,
    `style-src 'self' 'unsafe-inline'`,
    `img-src 'self' data: blob:`,
    `font-src 'self' data:`,
    `connect-src 'self'${sockets}`,
    `worker-src 'self'`,
    `manifest-src 'self'`,
    `object-src 'none'`,
    `base-uri 'self'`,
    `form-action 'self'`,
    `frame-ancestors 'none'`,
  ].join('; ')
}

/** Sets the security headers on every response that does not already carry its own CSP. */
export function securityHeaders(scriptHashes: () => readonly string[]): MiddlewareHandler {
  return async (c: Context, next) => {
    await next()
    const h = c.res.headers
    // A WebSocket upgrade's response is not sent by Hono and may be immutable.
    if (c.res.status === 101) return
    try {
      if (!h.has('content-security-policy'))
        h.set(
          'content-security-policy',
          contentSecurityPolicy(scriptHashes(), c.req.header('host')),
        )
      h.set('x-content-type-options', 'nosniff')
      h.set('x-frame-options', 'DENY')
      h.set('referrer-policy', 'no-referrer')
      h.set('cross-origin-opener-policy', 'same-origin')
    } catch {
      // Immutable headers (a fetched response passed through): leave them as they are.
    }
  }
}
