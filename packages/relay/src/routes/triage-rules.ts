/**
 * @module Mutes (any member who may triage the number) and rules (owner or admin) of a phone
 * number [F1]–[F8]: `/api/phone-numbers/:id/mutes` and `/api/admin/phone-numbers/:id/rules`.
 */
import { Hono } from 'hono'
import { readJson, requireAdmin, requireMember, type Authenticate, type Vars } from '../http.ts'
import type { Metrics } from '../metrics.ts'
import type { TriageRules } from '../triage-rules.ts'

export interface TriageRuleRoutesDeps {
  metrics: Metrics
  authenticate: Authenticate
  rules: TriageRules
}

/** Mounted at `/api`. */
export function triageRuleRoutes(deps: TriageRuleRoutesDeps): Hono<Vars> {
  const { rules } = deps
  const app = new Hono<Vars>()
  const member = requireMember(deps.authenticate, deps.metrics)
  const admin = requireAdmin(deps.metrics)
  app.post('/phone-numbers/:id/mutes', member, async (c) => {
    const { pattern } = await readJson(c)
    const mute = await rules.mute(c.req.param('id'), pattern, c.get('member'))
    return c.json({ mute }, 201)
  })
  app.delete('/phone-numbers/:id/mutes/:muteId', member, async (c) => {
    const mute = await rules.unmute(c.req.param('id'), c.req.param('muteId'), c.get('member'))
    return c.json({ mute })
  })
  app.get('/admin/phone-numbers/:id/rules', member, admin, (c) =>
    c.json({ rules: rules.list(c.req.param('id')) }),
  )
  app.post('/admin/phone-numbers/:id/rules', member, admin, async (c) => {
    const body = await readJson(c)
    const rule = await rules.addRule(c.req.param('id'), body, c.get('member'))
    return c.json({ rule }, 201)
  })
  app.delete('/admin/phone-numbers/:id/rules/:ruleId', member, admin, async (c) => {
    const rule = await rules.removeRule(c.req.param('id'), c.req.param('ruleId'))
    return c.json({ rule })
  })
  return app
}
