import type { Conversation } from '@switchboard/core'
import { describe, expect, it } from 'vitest'
import { phoneFormat } from './phone-format.svelte.ts'
import {
  arrange,
  compareConversations,
  displayName,
  haystackOf,
  hasName,
  inTab,
  matchesQuery,
  mergeSorted,
  parseViewTab,
  type TabContext,
} from './inbox-view.ts'

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
    snooze: null,
    ...patch,
  }
}

const anon: TabContext = { memberId: null, needsNewOwner: () => false }
const me: TabContext = { memberId: 'me', needsNewOwner: () => false }

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
    expect(inTab(openUnread, 'open', anon) && inTab(openUnread, 'unread', anon)).toBe(true)
    expect(inTab(done, 'open', anon)).toBe(false)
    expect(inTab(done, 'done', anon)).toBe(true)
    expect(inTab(c('3', { assignee: 'me' }), 'mine', me)).toBe(true)
    expect(inTab(c('4', { assignee: 'bob' }), 'mine', me)).toBe(false)
  })
})

describe('contact names [C7]', () => {
  // A North American workspace: its numbers read nationally.
  phoneFormat.region = '1'
  const bare = c('9', { participants: ['+14155550142'] })
  const called = c('9', { participants: ['+14155550142'], contactName: 'Kath J' })

  it('[C7] names a conversation by the team’s name, else the provider’s, else the formatted number', () => {
    expect(displayName(bare)).toBe('(415) 555-0142')
    expect(displayName(called)).toBe('Kath J')
    expect(displayName(called, 'Katherine Johnson')).toBe('Katherine Johnson')
    expect(displayName(bare, 'Katherine Johnson')).toBe('Katherine Johnson')
    expect(displayName(c('9', { participants: [] }))).toBe('Unknown number')
    expect([hasName(bare), hasName(bare, 'K'), hasName(called)]).toEqual([false, true, true])
  })

  it('[C7] the search box matches the name shown: the team’s name replaces the provider’s', () => {
    expect(matchesQuery(called, 'kath j')).toBe(true)
    expect(matchesQuery(called, 'katherine', 'Katherine Johnson')).toBe(true)
    expect(matchesQuery(called, 'kath j', 'Katherine Johnson')).toBe(false)
    expect(matchesQuery(bare, 'johnson', 'Katherine Johnson')).toBe(true)
    expect(matchesQuery(bare, 'johnson')).toBe(false)
    // A conversation object folded with one name is folded again for another (a rename).
    expect(haystackOf(bare, 'Ann').text).toContain('ann')
    expect(haystackOf(bare, 'Bo').text).not.toContain('ann')
    expect(haystackOf(bare).name).toBeNull()
  })
})

describe('assignment filters and All inboxes', () => {
  it('[G4] Unassigned lists open conversations with nobody assigned or needing a new owner', () => {
    const ctx: TabContext = { memberId: 'me', needsNewOwner: (x) => x.assignee === 'erin' }
    expect(inTab(c('1'), 'unassigned', ctx)).toBe(true)
    expect(inTab(c('2', { assignee: 'bob' }), 'unassigned', ctx)).toBe(false)
    expect(inTab(c('3', { assignee: 'erin' }), 'unassigned', ctx)).toBe(true)
    expect(inTab(c('4', { status: 'done' }), 'unassigned', ctx)).toBe(false)
  })

  it('a teammate tab lists the open conversations assigned to them', () => {
    expect(parseViewTab('member:bob')).toBe('member:bob')
    expect(parseViewTab('member:../x')).toBe('open')
    expect(inTab(c('1', { assignee: 'bob' }), 'member:bob', anon)).toBe(true)
    expect(inTab(c('2', { assignee: 'erin' }), 'member:bob', anon)).toBe(false)
    expect(inTab(c('3', { assignee: 'bob', status: 'done' }), 'member:bob', anon)).toBe(false)
  })

  it('mergeSorted merges sorted inboxes into one sorted list', () => {
    const a = [c('a1', { pinned: true }), c('a2', { createdAt: 5 }), c('a3', { createdAt: 1 })]
    const b = [c('b1', { createdAt: 9 }), c('b2', { createdAt: 3 })]
    const merged = mergeSorted([a, [], b])
    expect(merged.map((x) => x.id)).toEqual(['a1', 'b1', 'a2', 'b2', 'a3'])
    expect(merged).toEqual([...a, ...b].sort(compareConversations))
  })
})
