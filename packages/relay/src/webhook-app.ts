/**
 * @module The webhooks alone, as a listener of their own serves them (node/webhook-thread.ts):
 * `/api/webhooks/*` with the main app's routes, security headers, body limits and counts, and
 * the main thread's work (ingestion, deliveries, Quo's calls, the generic webhook's store checks)
 * reached through `host`. Anything else is 404.
 */
import { Hono } from 'hono'
import { HTTPException } from 'hono/http-exception'
import { countWebhooks } from './api-middleware.ts'
import type { BodyReader } from './body-limits.ts'
import type { ProviderAccounts } from './providers/provider-account.ts'
import type { HeaderReader } from './request-headers.ts'
import { activityRoutes } from './routes/activities.ts'
import { providerWebhookRoutes } from './routes/provider-webhooks.ts'
import { securityHeaders } from './security-headers.ts'
import type { WebhookHost, WebhookSettings } from './webhook-host.ts'
import { answerUnavailable, WebhookUnavailable } from './webhook-errors.ts'

/** The host's calls this app makes (each may be a call to another thread). */
export type RemoteHost = Pick<
  WebhookHost,
  'ingest' | 'takeActivities' | 'reportDelivery' | 'quoFiled' | 'quoAttach' | 'log'
>

/** What the app counts, for the host's metrics. */
export interface WebhookCounter {
  webhook(provider: string, status: number): void
  webhookDuplicate(provider: string): void
  authFailure(reason: string): void
}

export interface WebhookAppDeps {
  settings: WebhookSettings
  accounts: ProviderAccounts
  host: RemoteHost
  metrics: WebhookCounter
  readBody?: BodyReader
  readHeader?: HeaderReader
  now?: () => number
}

export function webhookApp(deps: WebhookAppDeps): Hono {
  const { settings, host, metrics } = deps
  const app = new Hono()
  app.use(
    '*',
    securityHeaders(() => NO_SCRIPTS, settings.relayUrls, deps.readHeader),
  )
  app.onError((err, c) => {
    if (err instanceof HTTPException) return err.getResponse()
    if (err instanceof WebhookUnavailable) return answerUnavailable(c, err.reason, err, host.log)
    host.log({ level: 'error', msg: 'request failed', path: c.req.path, err: String(err) })
    return c.json({ error: 'internal error' }, 500)
  })
  app.use('/api/webhooks/*', countWebhooks(metrics))
  app.route(
    '/api',
    activityRoutes({
      metrics,
      take: host.takeActivities,
      webhookSecret: settings.webhookSecret,
      maxFrameBytes: settings.maxBodyBytes,
    }),
  )
  app.route(
    '/api/webhooks',
    providerWebhookRoutes({
      accounts: deps.accounts,
      ...(settings.publicUrl === undefined ? {} : { publicUrl: settings.publicUrl }),
      ingest: host.ingest,
      now: deps.now ?? Date.now,
      maxBodyBytes: settings.maxBodyBytes,
      readBody: deps.readBody,
      readHeader: deps.readHeader,
      onRefused: metrics.authFailure,
      onDuplicate: metrics.webhookDuplicate,
      reportDelivery: (account, report) => host.reportDelivery(account.phoneNumberId, report),
      quoCalls: {
        filed: (account, activity) => host.quoFiled(account.phoneNumberId, activity),
        attach: (account, callId, patch) => host.quoAttach(account.phoneNumberId, callId, patch),
      },
    }),
  )
  return app
}

/** This listener serves no page, so its policy allows no inline script. */
const NO_SCRIPTS: readonly string[] = []
