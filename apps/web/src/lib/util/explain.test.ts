import { formatTimestamp, type Conversation } from '@switchboard/core'
import { describe, expect, it } from 'vitest'
import { explainState, wasReopened } from './explain.ts'

const at = (h: number, m: number) => new Date(2026, 2, 12, h, m).getTime()

function conversation(patch: Partial<Conversation>): Conversation {
  return {
    id: 'c1',
    phoneNumberId: 'pn1',
    participants: ['+15550100'],
    contactName: 'Jane',
    status: 'open',
    unread: false,
    pinned: false,
    assignee: null,
    lastActivity: null,
    decidedBy: null,
    statusBy: null,
    reopenedBy: null,
    createdAt: at(9, 0),
    snooze: null,
    ...patch,
  }
}

const ctx = {
  nameOf: (id: string) => ({ bob: 'Bob', alice: 'you' })[id] ?? id,
  activity: (id: string) => (id === 'sms1' ? { kind: 'message' as const, at: at(10, 5) } : null),
  now: at(12, 0),
}

describe('merge explanation in the conversation header', () => {
  it('[P3] says who marked Done and which new SMS reopened it', () => {
    const c = conversation({
      unread: true,
      decidedBy: {
        memberId: 'bob',
        deviceId: 'd1',
        kind: 'done',
        at: formatTimestamp({ wall: at(10, 2), counter: 0, device: 'd1' }),
      },
      reopenedBy: 'sms1',
    })
    expect(explainState(c, ctx)).toBe('Done by Bob 10:02 · reopened by new SMS 10:05')
  })

  it('[P2] names the winning mark alone when nothing reopened it', () => {
    const c = conversation({
      unread: true,
      decidedBy: {
        memberId: 'alice',
        deviceId: 'd2',
        kind: 'unread',
        at: formatTimestamp({ wall: at(11, 30), counter: 3, device: 'd2' }),
      },
    })
    expect(explainState(c, ctx)).toBe('Marked unread by you 11:30')
  })

  it('falls back to the list summary for the reopening activity, then to a generic line', () => {
    const c = conversation({
      reopenedBy: 'call9',
      lastActivity: {
        id: 'call9',
        direction: 'incoming',
        kind: 'call',
        preview: 'Missed call',
        at: at(10, 7),
      },
    })
    expect(explainState(c, ctx)).toBe('reopened by new call 10:07')
    expect(explainState(conversation({ reopenedBy: 'x' }), ctx)).toBe('reopened by new message')
  })

  it('[P3] keeps "Done by … · reopened by …" after a teammate reads the reopened conversation', () => {
    const done = {
      memberId: 'bob',
      deviceId: 'd1',
      kind: 'done' as const,
      at: formatTimestamp({ wall: at(10, 2), counter: 0, device: 'd1' }),
    }
    const c = conversation({
      statusBy: done,
      decidedBy: {
        memberId: 'alice',
        deviceId: 'd2',
        kind: 'read',
        at: formatTimestamp({ wall: at(10, 6), counter: 0, device: 'd2' }),
      },
      lastActivity: {
        id: 'sms1',
        direction: 'incoming',
        kind: 'message',
        preview: 'hi',
        at: at(10, 5),
      },
    })
    expect(explainState(c, ctx)).toBe(
      'Done by Bob 10:02 · reopened by new SMS 10:05 · read by you 10:06',
    )
  })

  it('[P2] names the status mark the winner overrode when a teammate set another state first', () => {
    const mark = (memberId: string, kind: 'done' | 'unread' | 'read', h: number, m: number) => ({
      conversationId: 'c1',
      memberId,
      deviceId: memberId,
      kind,
      at: formatTimestamp({ wall: at(h, m), counter: 0, device: memberId }),
    })
    const unread = mark('bob', 'unread', 10, 4)
    const c = conversation({ unread: true, statusBy: unread, decidedBy: unread })
    const history = [mark('alice', 'done', 10, 2), unread]
    expect(explainState(c, { ...ctx, history })).toBe(
      'Marked unread by Bob 10:04 · over Done by you 10:02',
    )
    // A read is not a status mark, and the winner's own earlier marks are not "overridden".
    const own = [mark('alice', 'read', 10, 1), mark('bob', 'done', 10, 2), unread]
    expect(explainState(c, { ...ctx, history: own })).toBe('Marked unread by Bob 10:04')
  })

  it('[P3] says which incoming activity reopened a read conversation when a reply came after it', () => {
    const done = {
      memberId: 'bob',
      deviceId: 'd1',
      kind: 'done' as const,
      at: formatTimestamp({ wall: at(10, 2), counter: 0, device: 'd1' }),
    }
    const c = conversation({
      statusBy: done,
      decidedBy: {
        ...done,
        memberId: 'alice',
        deviceId: 'd2',
        kind: 'read',
        at: formatTimestamp({ wall: at(10, 6), counter: 0, device: 'd2' }),
      },
      lastActivity: {
        id: 'out1',
        direction: 'outgoing',
        kind: 'message',
        preview: 'ok',
        at: at(10, 8),
      },
    })
    expect(wasReopened(c)).toBe(true)
    const incomingAfter = (wall: number) =>
      wall <= at(10, 5) ? { kind: 'call' as const, at: at(10, 5) } : null
    expect(explainState(c, { ...ctx, incomingAfter })).toBe(
      'Done by Bob 10:02 · reopened by new call 10:05 · read by you 10:06',
    )
    expect(wasReopened(conversation({ statusBy: done, status: 'done' }))).toBe(false)
  })

  it('is empty for a conversation nobody has marked', () => {
    expect(explainState(conversation({}), ctx)).toBe('')
  })
})
