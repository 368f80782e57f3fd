import type { Member } from '@switchboard/client'
import { describe, expect, it } from 'vitest'
import { assignableToAll, bulkMessage, changeOf } from './bulk-actions.ts'

const m = (id: string): Member => ({ id, email: `${id}@example.com`, name: id, role: 'member' })

describe('bulk actions', () => {
  it('the toast names the count', () => {
    expect(bulkMessage({ kind: 'done' }, 20)).toBe('Marked 20 conversations as done')
    expect(bulkMessage({ kind: 'read' }, 1)).toBe('Marked 1 conversation as read')
    expect(bulkMessage({ kind: 'snooze', until: 'reply', label: 'Until they reply' }, 3)).toBe(
      'Snoozed 3 conversations · Until they reply',
    )
    expect(changeOf({ kind: 'snooze', until: 5, label: 'x' })).toEqual({ kind: 'snooze', until: 5 })
    expect(bulkMessage({ kind: 'unread' }, 3)).toBe('Marked 3 conversations as unread')
    expect(bulkMessage({ kind: 'assign', memberId: 'bob', name: 'Bob' }, 2)).toBe(
      'Assigned 2 conversations to Bob',
    )
    expect(bulkMessage({ kind: 'assign', memberId: null }, 2)).toBe('Unassigned 2 conversations')
  })

  it('an assignment carries no name to the client', () => {
    expect(changeOf({ kind: 'assign', memberId: 'bob', name: 'Bob' })).toEqual({
      kind: 'assign',
      memberId: 'bob',
    })
  })

  it('[G1] the picker lists only members who can answer every selected number', () => {
    const support = [m('alice'), m('bob'), m('carol')]
    const sales = [m('carol'), m('alice')]
    expect(assignableToAll([support, sales]).map((x) => x.id)).toEqual(['alice', 'carol'])
    expect(assignableToAll([support]).map((x) => x.id)).toEqual(['alice', 'bob', 'carol'])
    expect(assignableToAll([])).toEqual([])
  })
})
