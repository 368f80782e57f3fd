import type { Conversation } from '@switchboard/core'
import { describe, expect, it } from 'vitest'
import { afterMark, leavesView, successorOf } from './after-mark.ts'
import type { TabContext } from './inbox-view.ts'

function c(id: string, patch: Partial<Conversation> = {}): Conversation {
  return {
    id,
    phoneNumberId: 'pn1',
    participants: ['+1555010' + id],
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

const ctx: TabContext = { memberId: 'me', needsNewOwner: () => false }

describe('where the selection and the pane go after a mark', () => {
  it('predicts the plain state machine of DESIGN §1', () => {
    const unreadDone = c('a', { status: 'done', unread: true })
    expect(afterMark(unreadDone, 'open')).toMatchObject({ status: 'open', unread: false })
    expect(afterMark(unreadDone, 'unread')).toMatchObject({ status: 'open', unread: true })
    expect(afterMark(c('a', { unread: true }), 'done')).toMatchObject({
      status: 'done',
      unread: false,
    })
    expect(afterMark(unreadDone, 'read')).toMatchObject({ status: 'done', unread: false })
  })

  it('E leaves the Open, Unread and assignee views; U and O leave Done; U stays in Open', () => {
    const open = c('a', { unread: true, assignee: 'me' })
    expect(leavesView(open, 'done', 'open', ctx)).toBe(true)
    expect(leavesView(open, 'done', 'unread', ctx)).toBe(true)
    expect(leavesView(open, 'done', 'mine', ctx)).toBe(true)
    expect(leavesView(open, 'unread', 'open', ctx)).toBe(false)
    expect(leavesView(open, 'open', 'unread', ctx)).toBe(true)
    const done = c('b', { status: 'done' })
    expect(leavesView(done, 'open', 'done', ctx)).toBe(true)
    expect(leavesView(done, 'unread', 'done', ctx)).toBe(true)
    expect(leavesView(done, 'done', 'done', ctx)).toBe(false)
    // Not in the view to begin with: nothing leaves.
    expect(leavesView(done, 'done', 'open', ctx)).toBe(false)
  })

  it('the row below takes its place, else the one above; none when it was alone', () => {
    const items = [c('a'), c('b'), c('c')]
    expect(successorOf(items, 'a')).toBe('b')
    expect(successorOf(items, 'b')).toBe('c')
    expect(successorOf(items, 'c')).toBe('b')
    expect(successorOf([c('a')], 'a')).toBeNull()
    expect(successorOf(items, 'z')).toBeUndefined()
  })
})
