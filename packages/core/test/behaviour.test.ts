import * as Y from 'yjs'
import { describe, expect, it } from 'vitest'
import {
  assignConversation,
  compactHistory,
  getConversation,
  history,
  ingestActivity,
  listConversations,
  markConversation,
  onConversationsChange,
  pinConversation,
  unpinConversation,
  unreadCount,
} from '../src/index.ts'
import { activity, device, inboxWith, T0 } from './helpers.ts'

const alice = () => device('alice', 'alice-web')

describe('behaviour (DESIGN §1)', () => {
  it('[B1] an incoming message creates the conversation Open + Unread', () => {
    const { doc } = inboxWith('c1', 'incoming')
    expect(getConversation(doc, 'c1')).toMatchObject({ status: 'open', unread: true })
    expect(unreadCount(doc)).toBe(1)
  })

  it('[B1] an incoming call or voicemail creates it Open + Unread too', () => {
    const doc = new Y.Doc()
    ingestActivity(doc, activity('c1', { kind: 'call', durationSeconds: 0, missed: true }))
    ingestActivity(doc, activity('c2', { kind: 'voicemail', transcript: 'call me' }))
    expect(getConversation(doc, 'c1')).toMatchObject({ status: 'open', unread: true })
    expect(getConversation(doc, 'c1')?.lastActivity?.preview).toBe('Missed call')
    expect(getConversation(doc, 'c2')).toMatchObject({ status: 'open', unread: true })
    expect(getConversation(doc, 'c2')?.lastActivity?.preview).toBe('Voicemail: call me')
  })

  it('[B1] a conversation created by outgoing activity is Open and read', () => {
    const { doc } = inboxWith('c1', 'outgoing')
    expect(getConversation(doc, 'c1')).toMatchObject({ status: 'open', unread: false })
    expect(unreadCount(doc)).toBe(0)
  })

  it('[B2] marking Done sets Done, clears Unread, moves it to the done view and keeps history', () => {
    const { doc } = inboxWith()
    markConversation(doc, 'c1', 'done', alice().author)
    expect(getConversation(doc, 'c1')).toMatchObject({ status: 'done', unread: false })
    expect(listConversations(doc, { view: 'inbox' })).toEqual([])
    expect(listConversations(doc, { view: 'done' }).map((c) => c.id)).toEqual(['c1'])
    expect(getConversation(doc, 'c1')?.lastActivity).not.toBeNull()
    expect(history(doc, 'c1').map((h) => h.kind)).toEqual(['done'])
  })

  it('[B3] marking Open reopens a Done conversation and clears Unread', () => {
    const { doc } = inboxWith()
    const { author } = alice()
    markConversation(doc, 'c1', 'done', author)
    markConversation(doc, 'c1', 'open', author)
    expect(getConversation(doc, 'c1')).toMatchObject({ status: 'open', unread: false })
    markConversation(doc, 'c1', 'unread', author)
    markConversation(doc, 'c1', 'open', author)
    expect(getConversation(doc, 'c1')).toMatchObject({ status: 'open', unread: false })
  })

  it('[B4] marking Unread sets Unread and puts a Done conversation back in the inbox', () => {
    const { doc } = inboxWith()
    const { author } = alice()
    markConversation(doc, 'c1', 'done', author)
    markConversation(doc, 'c1', 'unread', author)
    expect(getConversation(doc, 'c1')).toMatchObject({ status: 'open', unread: true })
    expect(listConversations(doc, { view: 'inbox' }).map((c) => c.id)).toEqual(['c1'])
  })

  it('[B5] marking Read clears Unread and leaves the status alone', () => {
    const { doc } = inboxWith()
    const { author } = alice()
    markConversation(doc, 'c1', 'read', author)
    expect(getConversation(doc, 'c1')).toMatchObject({ status: 'open', unread: false })
    markConversation(doc, 'c1', 'done', author)
    markConversation(doc, 'c1', 'read', author)
    expect(getConversation(doc, 'c1')).toMatchObject({ status: 'done', unread: false })
  })

  it('[B6] a new incoming activity reopens a Done conversation as Open + Unread', () => {
    const { doc } = inboxWith()
    markConversation(doc, 'c1', 'done', alice().author)
    const result = ingestActivity(doc, activity('c1'))
    expect(result).toEqual({ created: false, duplicate: false, reopened: true })
    expect(getConversation(doc, 'c1')).toMatchObject({ status: 'open', unread: true })
  })

  it('[B6] outgoing activity never changes the state', () => {
    const { doc } = inboxWith()
    markConversation(doc, 'c1', 'done', alice().author)
    const result = ingestActivity(doc, activity('c1', { direction: 'outgoing' }))
    expect(result.reopened).toBe(false)
    expect(getConversation(doc, 'c1')).toMatchObject({ status: 'done', unread: false })
  })

  it('[B6] the same activity ingested twice changes nothing', () => {
    const { doc, first } = inboxWith()
    markConversation(doc, 'c1', 'done', alice().author)
    const before = getConversation(doc, 'c1')
    expect(ingestActivity(doc, first)).toEqual({ created: false, duplicate: true, reopened: false })
    expect(getConversation(doc, 'c1')).toEqual(before)
  })

  it('[B7] views: inbox = Open, done = Done, unread = Unread, all = every conversation', () => {
    const doc = new Y.Doc()
    const { author } = alice()
    for (const id of ['a', 'b', 'c']) ingestActivity(doc, activity(id))
    markConversation(doc, 'a', 'done', author)
    markConversation(doc, 'b', 'read', author)
    const ids = (view: 'inbox' | 'done' | 'unread' | 'all') =>
      listConversations(doc, { view })
        .map((c) => c.id)
        .sort()
    expect(ids('inbox')).toEqual(['b', 'c'])
    expect(ids('done')).toEqual(['a'])
    expect(ids('unread')).toEqual(['c'])
    expect(ids('all')).toEqual(['a', 'b', 'c'])
  })

  it('[B7] lists pinned first, then newest activity first, then by id', () => {
    const doc = new Y.Doc()
    ingestActivity(doc, activity('old', { at: T0 + 1 }))
    ingestActivity(doc, activity('new', { at: T0 + 50 }))
    ingestActivity(doc, activity('tie-b', { at: T0 + 10 }))
    ingestActivity(doc, activity('tie-a', { at: T0 + 10 }))
    pinConversation(doc, 'old', alice().author)
    expect(listConversations(doc, { view: 'all' }).map((c) => c.id)).toEqual([
      'old',
      'new',
      'tie-a',
      'tie-b',
    ])
  })

  it('[B7] query matches contact name, a participant number or the last preview; assignee filters', () => {
    const doc = new Y.Doc()
    ingestActivity(doc, activity('a', { contactName: 'Zoë Martin', from: '+33612345678' }))
    ingestActivity(doc, activity('b', { body: 'Invoice overdue', from: '+15559990000' }))
    assignConversation(doc, 'b', 'carol', alice().author)
    const q = (query: string) => listConversations(doc, { view: 'all', query }).map((c) => c.id)
    expect(q('zoë')).toEqual(['a'])
    expect(q('3361234')).toEqual(['a'])
    expect(q('INVOICE')).toEqual(['b'])
    expect(q('  ')).toHaveLength(2)
    expect(listConversations(doc, { view: 'all', assignee: 'carol' }).map((c) => c.id)).toEqual([
      'b',
    ])
  })

  it('[B8] pin is team-visible and unpin undoes it; one assignee at a time, or none', () => {
    const { doc } = inboxWith()
    const { author } = alice()
    pinConversation(doc, 'c1', author)
    expect(getConversation(doc, 'c1')?.pinned).toBe(true)
    unpinConversation(doc, 'c1', author)
    expect(getConversation(doc, 'c1')?.pinned).toBe(false)
    assignConversation(doc, 'c1', 'bob', author)
    assignConversation(doc, 'c1', 'carol', device('bob', 'bob-phone', T0 - 60_000).author)
    expect(getConversation(doc, 'c1')?.assignee).toBe('carol')
    assignConversation(doc, 'c1', null, author)
    expect(getConversation(doc, 'c1')?.assignee).toBeNull()
  })

  it('[B9] undo is a compensating mark: history keeps both the mark and its undo', () => {
    const { doc } = inboxWith()
    const { author } = alice()
    markConversation(doc, 'c1', 'done', author)
    markConversation(doc, 'c1', 'unread', author) // undo of Done restores Open + Unread
    expect(getConversation(doc, 'c1')).toMatchObject({ status: 'open', unread: true })
    expect(history(doc, 'c1').map((h) => h.kind)).toEqual(['done', 'unread'])
  })

  it('[B10] history lists marks, pins and assignments in HLC order with member, device and time', () => {
    const { doc } = inboxWith()
    const a = alice()
    const b = device('bob', 'bob-phone', T0 + 5_000)
    markConversation(doc, 'c1', 'done', b.author)
    // Alice's clock is 5 s behind and pin/assign are other lanes than Bob's Done [M3]: HLC
    // order, not insertion order, puts her entries first.
    pinConversation(doc, 'c1', a.author)
    assignConversation(doc, 'c1', 'dan', a.author)
    const entries = history(doc, 'c1')
    expect(entries.map((h) => [h.kind, h.memberId, h.deviceId])).toEqual([
      ['pin', 'alice', 'alice-web'],
      ['assign', 'alice', 'alice-web'],
      ['done', 'bob', 'bob-phone'],
    ])
    expect(entries[1]?.value).toBe('dan')
    expect([...entries].sort((x, y) => (x.at < y.at ? -1 : 1))).toEqual(entries)
  })

  it('[B10] compaction drops entries older than the horizon and keeps the rest', () => {
    const { doc } = inboxWith()
    const a = alice()
    markConversation(doc, 'c1', 'done', a.author)
    a.clock.now = T0 + 10_000
    markConversation(doc, 'c1', 'open', a.author)
    a.clock.now = T0 + 20_000
    markConversation(doc, 'c1', 'read', a.author)
    expect(compactHistory(doc, T0 + 15_000)).toBe(2)
    expect(history(doc, 'c1').map((h) => h.kind)).toEqual(['read'])
    expect(getConversation(doc, 'c1')).toMatchObject({ status: 'open', unread: false })
  })

  it('onConversationsChange hears the changed ids once per transaction and unsubscribes', () => {
    const { doc } = inboxWith()
    ingestActivity(doc, activity('c2'))
    const heard: string[][] = []
    const off = onConversationsChange(doc, (ids) => heard.push([...ids].sort()))
    doc.transact(() => {
      markConversation(doc, 'c1', 'done', alice().author)
      markConversation(doc, 'c2', 'done', alice().author)
    })
    markConversation(doc, 'c1', 'done', alice().author) // no visible change except decidedBy
    off()
    markConversation(doc, 'c2', 'open', alice().author)
    expect(heard[0]).toEqual(['c1', 'c2'])
    expect(heard).toHaveLength(2)
  })
})
