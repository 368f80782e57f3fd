import * as Y from 'yjs'
import { describe, expect, it } from 'vitest'
import {
  compactInbox,
  decodeLogEntry,
  decodeRecord,
  encodeLogEntry,
  encodeRecord,
  getConversation,
  inboxRoots,
  ingestActivity,
  listConversations,
  readActivityLog,
  readRecord,
  teamFigures,
  type ActivityLogEntry,
  type ConversationRecord,
} from '../src/index.ts'

const record: ConversationRecord = {
  id: 'c1',
  phoneNumberId: 'pn-support',
  participants: ['+14155550100', '+14155550101'],
  contactName: 'Grace "Amazing" Hopper',
  createdAt: 1_750_000_000_000,
  last: {
    id: 'a3',
    direction: 'outgoing',
    kind: 'voicemail',
    preview: 'Voicemail: call me back ☎\u001f',
    at: 1_750_000_100_000,
  },
  incoming: { id: 'a2', seq: 2, at: 1_750_000_050_000 },
  recent: ['a1', 'a2', 'a3'],
}

const logEntries: ActivityLogEntry[] = [
  { conversationId: 'c1', id: 'a1', direction: 'incoming', kind: 'call', at: 1, seq: 1 },
  { conversationId: 'c1', id: 'a2', direction: 'outgoing', kind: 'message', at: 2 },
  {
    conversationId: 'c1',
    id: 'a3',
    direction: 'outgoing',
    kind: 'voicemail',
    at: 3,
    memberId: 'bob',
  },
]

describe('stored format of records and the activity log (format 2)', () => {
  it('a record and a log entry survive encode → decode exactly, odd characters included', () => {
    expect(decodeRecord('c1', encodeRecord(record))).toEqual(record)
    expect(decodeRecord('c1', encodeRecord({ ...record, last: null, incoming: null }))).toEqual({
      ...record,
      last: null,
      incoming: null,
    })
    for (const e of logEntries) expect(decodeLogEntry(encodeLogEntry(e))).toEqual(e)
  })

  it('format-1 objects are still read, and an epoch rewrites them in format 2 with the same state', () => {
    const doc = new Y.Doc()
    doc.transact(() => {
      inboxRoots.conversations(doc).set('c1', record)
      inboxRoots.activityLog(doc).push(logEntries)
    })
    ingestActivity(doc, {
      id: 'a4',
      conversationId: 'c1',
      phoneNumberId: 'pn-support',
      direction: 'incoming',
      kind: 'message',
      from: '+14155550100',
      to: '+14155559999',
      body: 'still there?',
      at: 1_750_000_200_000,
    })
    expect(readRecord(doc, 'c1')).toMatchObject({ incoming: { id: 'a4', seq: 3 } })
    expect(readActivityLog(doc).map((e) => e.id)).toEqual(['a1', 'a2', 'a3', 'a4'])
    const range = { from: 0, to: 2_000_000_000_000 }
    const { doc: next } = compactInbox(doc, { epoch: 'e1', historySince: 0, now: 0 })
    expect(typeof inboxRoots.conversations(next).get('c1')).toBe('string')
    expect(
      inboxRoots
        .activityLog(next)
        .toArray()
        .every((e) => typeof e === 'string'),
    ).toBe(true)
    expect(getConversation(next, 'c1')).toEqual(getConversation(doc, 'c1'))
    expect(listConversations(next, { view: 'all' })).toEqual(
      listConversations(doc, { view: 'all' }),
    )
    expect(teamFigures(next, range)).toEqual(teamFigures(doc, range))
  })

  it('format 2 takes fewer bytes than format 1 (no key names in every record)', () => {
    const bytes = (v: unknown) => {
      const doc = new Y.Doc()
      inboxRoots.conversations(doc).set('c1', v as ConversationRecord)
      return Y.encodeStateAsUpdate(doc).byteLength
    }
    expect(bytes(encodeRecord(record))).toBeLessThan(bytes(record) * 0.8)
  })
})
