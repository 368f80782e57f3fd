import type { Conversation } from '@switchboard/core'
import { describe, expect, it } from 'vitest'
import { compareConversations, mergeSorted } from '../util/inbox-view.ts'
import { SortedView } from './sorted-view.ts'

function c(id: string, at: number, patch: Partial<Conversation> = {}): Conversation {
  return {
    id,
    phoneNumberId: 'pn1',
    participants: [],
    contactName: null,
    status: 'open',
    unread: false,
    pinned: false,
    assignee: null,
    lastActivity: null,
    decidedBy: null,
    statusBy: null,
    reopenedBy: null,
    createdAt: at,
    snooze: null,
    ...patch,
  }
}

describe('SortedView', () => {
  it('builds a tab once, then moves only the changed rows; a new key builds again', () => {
    const docs = new Map([
      ['a', c('a', 3)],
      ['b', c('b', 2, { phoneNumberId: 'pn2' })],
      ['d', c('d', 1)],
    ])
    let builds = 0
    const open = (x: Conversation) => x.status === 'open'
    const build = () => {
      builds++
      return mergeSorted([
        [...docs.values()]
          .filter((x) => open(x) && x.phoneNumberId === 'pn1')
          .sort(compareConversations),
        [...docs.values()]
          .filter((x) => open(x) && x.phoneNumberId === 'pn2')
          .sort(compareConversations),
      ])
    }
    const view = new SortedView()
    const get = (id: string) => docs.get(id) ?? null
    expect(view.list('open', get, open, build).map((x) => x.id)).toEqual(['a', 'b', 'd'])
    docs.set('d', c('d', 9))
    docs.set('a', c('a', 3, { status: 'done' }))
    view.changed(['d', 'a'])
    expect(view.list('open', get, open, build).map((x) => x.id)).toEqual(['d', 'b'])
    expect(builds).toBe(1)
    expect(view.list('other', get, open, build).map((x) => x.id)).toEqual(['d', 'b'])
    expect(builds).toBe(2)
    view.reset()
    view.list('other', get, open, build)
    expect(builds).toBe(3)
  })
})
