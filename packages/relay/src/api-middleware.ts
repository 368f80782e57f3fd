/**
 * @module What every `/api/*` request passes through before its route: CORS for the allowed
 * origins (not the webhooks), a bounded body [A5], and the webhook count by provider and answer.
 */
import type { Hono, MiddlewareHandler } from 'hono'
import { cors } from 'hono/cors'
import { BODY_LIMITS, limitBody } from './body-limits.ts'
import type { Vars } from './http.ts'
import type { Metrics } from './metrics.ts'

export function useApiMiddleware(
  app: Hono<Vars>,
  allowedOrigins: ReadonlySet<string>,
  metrics: Metrics,
): void {
  const apiCors = cors({
    origin: (origin) => (allowedOrigins.has(origin) ? origin : null),
    allowHeaders: ['content-type', 'authorization'],
    maxAge: 600,
  })
  // Providers post webhooks server to server: no browser asks for CORS there, and its headers,
  // set after the route answered, made each answer be built twice.
  app.use('/api/*', (c, next) =>
    c.req.path.startsWith('/api/webhooks/') ? next() : apiCors(c, next),
  )
  // [A5] Every JSON route's body is bounded before it is read; the webhook has its own limit.
  const loginBody = limitBody(BODY_LIMITS.login)
  const jsonBody = limitBody(BODY_LIMITS.json)
  app.use('/api/*', (c, next) => {
    if (c.req.path.startsWith('/api/webhooks/')) return next()
    return (c.req.path === '/api/login' ? loginBody : jsonBody)(c, next)
  })

  app.use('/api/webhooks/*', countWebhooks(metrics))
}

/** Middleware: every webhook post, by provider and answer class, refusals included. */
export function countWebhooks(metrics: Pick<Metrics, 'webhook'>): MiddlewareHandler {
  return async (c, next) => {
    await next()
    const segment = c.req.path.split('/')[3] ?? ''
    const provider = ['twilio', 'telnyx', 'quo'].includes(segment)
      ? segment
      : segment === 'activity'
        ? 'generic'
        : 'other'
    metrics.webhook(provider, c.res.status)
  }
}
