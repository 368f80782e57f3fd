/**
 * @module `GET /api/relays`: the public base URLs of every relay of this deployment
 * (`RELAY_PUBLIC_URLS`), so the web app served by one relay can move to another when it fails.
 * Nothing secret, no sign-in: a page asks before it has a session. Empty: one relay.
 */
import { Hono } from 'hono'

export interface RelaysDeps {
  relayUrls: readonly string[]
}

/** Mounted at `/api`. */
export function relaysRoutes(deps: RelaysDeps): Hono {
  const app = new Hono()
  app.get('/relays', (c) => c.json({ relays: deps.relayUrls }))
  return app
}
