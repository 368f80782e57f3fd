/**
 * @module Security headers on every response of the relay, the API and the web app alike [A7]:
 * a Content-Security-Policy that runs only the app's own scripts (its one inline bootstrap
 * script allowed by hash, src/node/script-hashes.ts), no framing, no MIME sniffing, no referrer.
 * Pages may connect to their own relay and to the deployment's others (`RELAY_PUBLIC_URLS`).
 */
import type { Context, MiddlewareHandler } from 'hono'
import {
  carriesAnswerHeaders,
  requestHeader,
  setAnswerHeaders,
  type HeaderReader,
} from './request-headers.ts'

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
  readHeader?: HeaderReader,
): MiddlewareHandler {
  const relayOrigins = [...new Set(relayUrls.map((u) => new URL(u).origin))]
  const host = (c: Context) => requestHeader(c, 'host', readHeader)
  const policy = (c: Context) => contentSecurityPolicy(scriptHashes(), host(c), relayOrigins)
  // A webhook's headers by Host: one or two hosts in service; a stranger's many are not kept.
  const byHost = new Map<string, Readonly<Record<string, string>>>()
  let hashesOfCache: readonly string[] | null = null
  const webhookHeaders = (c: Context) => {
    if (scriptHashes() !== hashesOfCache) {
      byHost.clear()
      hashesOfCache = scriptHashes()
    }
    const name = host(c) ?? ''
    let headers = byHost.get(name)
    if (!headers) {
      headers = Object.fromEntries([
        [
          'content-security-policy',
          contentSecurityPolicy(scriptHashes(), name || undefined, relayOrigins),
        ],
        ...FIXED,
      ])
      if (byHost.size >= 64) byHost.clear()
      byHost.set(name, headers)
    }
    return headers
  }
  return async (c: Context, next) => {
    // Webhooks answer through request-headers.ts `reply`, which writes these into the answer as
    // it is made (set one by one, they made the Node server build Headers objects, and rebuild
    // the answer when set after it); any other answer there (an error, a 404) gets them after.
    const webhook = c.req.path.startsWith('/api/webhooks/')
    if (webhook) setAnswerHeaders(c, webhookHeaders(c))
    await next()
    if (webhook && carriesAnswerHeaders(c.res)) return
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
