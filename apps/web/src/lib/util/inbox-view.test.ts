import type { Conversation } from '@switchboard/core'
import { describe, expect, it } from 'vitest'
import { arrange, inTab, matchesQuery } from './inbox-view.ts'

function c(id: string, patch: Partial<Conversation> = {}): Conversation {
  return {
    id,
    phoneNumberId: 'pn1',
    participants: ['+1 555 010 ' + id],
    contactName: null,
    status: 'open',
    unread: false,
    pinned: false,
    assignee: null,
    lastActivity: null,
    decidedBy: null,
    statusBy: null,
    reopenedBy: null,
    createdAt: 0,
    ...patch,
  }
}

const act = (at: number, preview = '') => ({
  id: 'a' + at,
  direction: 'incoming' as const,
  kind: 'message' as const,
  preview,
  at,
})

describe('conversation list order and search', () => {
  it('lists pinned conversations first, then newest activity first', () => {
    const list = [
      c('1', { lastActivity: act(1) }),
      c('2', { lastActivity: act(3) }),
      c('3', { pinned: true, lastActivity: act(2) }),
    ]
    expect(arrange(list, '').map((x) => x.id)).toEqual(['3', '2', '1'])
  })

  it('searches name, number digits and the last message, ignoring case and accents', () => {
    const x = c('7', { contactName: 'Zoë Martin', lastActivity: act(1, 'Where is my ORDER?') })
    expect(matchesQuery(x, 'zoe')).toBe(true)
    expect(matchesQuery(x, 'order')).toBe(true)
    expect(matchesQuery(x, '5550107')).toBe(true)
    expect(matchesQuery(x, 'refund')).toBe(false)
  })

  it('puts Open + Unread in both the Open and Unread tabs, Done only under Done', () => {
    const openUnread = c('1', { unread: true })
    const done = c('2', { status: 'done' })
    expect(inTab(openUnread, 'open', null) && inTab(openUnread, 'unread', null)).toBe(true)
    expect(inTab(done, 'open', null)).toBe(false)
    expect(inTab(done, 'done', null)).toBe(true)
    expect(inTab(c('3', { assignee: 'me' }), 'mine', 'me')).toBe(true)
    expect(inTab(c('4', { assignee: 'bob' }), 'mine', 'me')).toBe(false)
  })
})
