/** @module Operations: `GET /healthz` (store reachable) and `GET /metrics` (Prometheus) [A8]. */
import { Hono, type Context } from 'hono'
import { isLoopback, metricsAccess } from '../metrics-access.ts'
import type { Metrics } from '../metrics.ts'
import type { RelayStorage } from '../storage/relay-storage.ts'

export interface OpsDeps {
  storage: RelayStorage
  metrics: Metrics
  metricsToken: string | undefined
  clientIp: (c: Context) => string | undefined
  /** Rooms in memory and open sockets, for /healthz. */
  counts(): { rooms: number; connections: number }
}

export function opsRoutes(deps: OpsDeps): Hono {
  const { storage, metrics } = deps
  const app = new Hono()
  app.get('/healthz', (c) => {
    try {
      storage.check()
    } catch (err) {
      return c.json({ ok: false, error: String(err) }, 503)
    }
    return c.json({ ok: true, ...deps.counts() })
  })

  app.get('/metrics', (c) => {
    const verdict = metricsAccess(deps.metricsToken, c.req.header('authorization'), () =>
      isLoopback(deps.clientIp(c)),
    )
    if (verdict !== 'ok') {
      metrics.authFailure(`metrics-${verdict}`)
      if (verdict === 'token')
        return c.json({ error: 'metrics need Authorization: Bearer <METRICS_TOKEN>' }, 401, {
          'www-authenticate': 'Bearer',
        })
      return c.json(
        { error: 'metrics are served to loopback clients only (set METRICS_TOKEN)' },
        403,
      )
    }
    return c.text(metrics.render(), 200, { 'content-type': 'text/plain; version=0.0.4' })
  })
  return app
}
