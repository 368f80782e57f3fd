/** @module The in-memory RuleStore (see rule-store.ts). */
import type { TriageRule } from '@switchboard/core'
import type { RuleStore } from './rule-store.ts'

const byAge = (a: TriageRule, b: TriageRule) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1)

export function createMemoryRules(open: () => void): RuleStore {
  const rules = new Map<string, TriageRule>()
  let revision = 0
  return {
    putRule(rule) {
      open()
      rules.set(rule.id, { ...rule })
      revision++
    },
    getRule(id) {
      const r = rules.get(id)
      return r ? { ...r } : null
    },
    listRules: (phoneNumberId) =>
      [...rules.values()]
        .filter((r) => r.phoneNumberId === phoneNumberId)
        .sort(byAge)
        .map((r) => ({ ...r })),
    listCloseRules: () =>
      [...rules.values()]
        .filter((r) => r.kind === 'close')
        .sort(byAge)
        .map((r) => ({ ...r })),
    deleteRule(id) {
      open()
      const gone = rules.delete(id)
      if (gone) revision++
      return gone
    },
    rulesRevision: () => revision,
  }
}
