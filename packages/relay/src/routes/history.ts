/** @module `GET /api/history/:phoneNumberId`: the audit history archived out of an inbox room. */
import type { HistoryEntry } from '@switchboard/core'
import { Hono } from 'hono'
import type { Access } from '../access.ts'
import { jsonError, requireMember, type Authenticate, type Vars } from '../http.ts'
import type { Metrics } from '../metrics.ts'
import type { RelayStorage } from '../storage/relay-storage.ts'

export interface HistoryDeps {
  storage: RelayStorage
  metrics: Metrics
  authenticate: Authenticate
  hasPhoneNumber: Access['hasPhoneNumber']
}

/** Mounted at `/api`. */
export function historyRoutes(deps: HistoryDeps): Hono<Vars> {
  const { storage, hasPhoneNumber } = deps
  const app = new Hono<Vars>()
  const member = requireMember(deps.authenticate, deps.metrics)
  // The audit history that left inbox rooms (archived past the horizon), for "who marked what"
  // and the team figures: `?conversationId=` narrows it to one conversation.
  app.get('/history/:phoneNumberId', member, async (c) => {
    const member = c.get('member')
    const phoneNumberId = c.req.param('phoneNumberId') ?? ''
    if (!hasPhoneNumber(member.id, phoneNumberId))
      throw jsonError(403, 'no access to this phone number')
    const conversationId = c.req.query('conversationId')
    const rows = await storage.readArchive(`inbox:${phoneNumberId}`, conversationId)
    const entries = rows.map((r) => JSON.parse(r.data) as HistoryEntry)
    entries.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0))
    return c.json({ entries })
  })
  return app
}
