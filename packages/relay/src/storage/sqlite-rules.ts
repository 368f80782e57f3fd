/** @module The RuleStore on the SQLite store's main connection (see rule-store.ts). */
import type { TriageRule } from '@switchboard/core'
import type Database from 'better-sqlite3'
import type { RuleStore } from './rule-store.ts'

export interface RuleRow {
  id: string
  phone_number_id: string
  kind: TriageRule['kind']
  name: string
  field: 'sender' | 'text' | null
  pattern: string | null
  days: number | null
  created_by: string
  created_at: number
}

export const toRule = (r: RuleRow | undefined): TriageRule | null => {
  if (!r) return null
  const rule: TriageRule = {
    id: r.id,
    phoneNumberId: r.phone_number_id,
    kind: r.kind,
    name: r.name,
    createdBy: r.created_by,
    createdAt: r.created_at,
  }
  if (r.field !== null) rule.field = r.field
  if (r.pattern !== null) rule.pattern = r.pattern
  if (r.days !== null) rule.days = r.days
  return rule
}

export function createSqliteRules(db: Database.Database, ensureOpen: () => void): RuleStore {
  const q = {
    put: db.prepare(
      `INSERT OR REPLACE INTO triage_rules (id, phone_number_id, kind, name, field, pattern, days,
       created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    get: db.prepare<[string], RuleRow>('SELECT * FROM triage_rules WHERE id = ?'),
    ofNumber: db.prepare<[string], RuleRow>(
      'SELECT * FROM triage_rules WHERE phone_number_id = ? ORDER BY created_at, id',
    ),
    close: db.prepare<[], RuleRow>(
      "SELECT * FROM triage_rules WHERE kind = 'close' ORDER BY created_at, id",
    ),
    del: db.prepare('DELETE FROM triage_rules WHERE id = ?'),
  }
  let revision = 0
  return {
    putRule(r) {
      ensureOpen()
      q.put.run(
        r.id,
        r.phoneNumberId,
        r.kind,
        r.name,
        r.field ?? null,
        r.pattern ?? null,
        r.days ?? null,
        r.createdBy,
        r.createdAt,
      )
      revision++
    },
    getRule: (id) => toRule(q.get.get(id)),
    listRules: (phoneNumberId) => q.ofNumber.all(phoneNumberId).map((r) => toRule(r)!),
    listCloseRules: () => q.close.all().map((r) => toRule(r)!),
    deleteRule(id) {
      ensureOpen()
      const gone = q.del.run(id).changes > 0
      if (gone) revision++
      return gone
    },
    rulesRevision: () => revision,
  }
}
