import * as Y from 'yjs'
import { describe, expect, it } from 'vitest'
import {
  compactInbox,
  SEP,
  decodeLogEntry,
  decodeMark,
  decodeRecord,
  encodeLogEntry,
  encodeMark,
  encodeRecord,
  markConversation,
  markKey,
  parseRoom,
  validateUpdate,
  getConversation,
  inboxRoots,
  ingestActivity,
  listConversations,
  readActivityLog,
  readRecord,
  teamFigures,
  type ActivityLogEntry,
  type ConversationRecord,
  type MarkEntry,
} from '../src/index.ts'
import { device } from './helpers.ts'

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

  it('format-1 objects are still read, and an epoch rewrites them into its base in format 2 with the same state', () => {
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
    // [E6] the epoch holds them in its base, not as items of their own.
    expect(inboxRoots.conversations(next).size).toBe(0)
    expect(inboxRoots.activityLog(next).length).toBe(0)
    const meta = inboxRoots.meta(next)
    expect(meta.get('base')).toBe(
      'c1' + SEP + encodeRecord(readRecord(doc, 'c1')!).slice(0, -1) + ',[]]',
    )
    expect(meta.get('baseLog')).toBe(readActivityLog(doc).map(encodeLogEntry).join('\n'))
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

  it('a lane entry survives encode → decode (the device comes from its key); junk decodes to null', () => {
    const done: MarkEntry = {
      kind: 'done',
      at: '001750000000000.000000.web',
      by: 'alice',
      device: 'web',
      seen: 3,
    }
    const assign: MarkEntry = { ...done, kind: 'assign', value: null }
    expect(decodeMark('web', encodeMark(done))).toEqual(done)
    expect(decodeMark('web', encodeMark(assign))).toEqual(assign)
    expect(decodeMark('web', done)).toBe(done)
    for (const junk of ['{', '"done"', '[1,2]', '[1,2,3,4,5,6]'])
      expect(decodeMark('web', junk)).toBeNull()
  })

  it('[M8] the relay validates a format-2 mark like an object: by, device, kind and clock are checked', () => {
    const { author } = device('alice', 'alice-web', 1_750_000_000_000)
    const replica = new Y.Doc()
    ingestActivity(replica, {
      id: 'a1',
      conversationId: 'c1',
      phoneNumberId: 'pn1',
      direction: 'incoming',
      kind: 'message',
      from: '+1555',
      to: '+1556',
      at: 1_750_000_000_000,
    })
    const room = parseRoom('inbox:pn1')!
    const context = { room, memberId: 'alice', now: 1_750_000_000_000, maxDrift: 60_000 }
    // The relay holds everything the replica had before each write.
    const relay = new Y.Doc()
    const write = (fn: () => void) => {
      Y.applyUpdate(relay, Y.encodeStateAsUpdate(replica))
      const before = Y.encodeStateVector(replica)
      fn()
      return Y.encodeStateAsUpdate(replica, before)
    }
    const ok = write(() => markConversation(replica, 'c1', 'done', author))
    expect(typeof inboxRoots.marks(replica).get(markKey('c1', 'status', 'alice-web'))).toBe(
      'string',
    )
    expect(validateUpdate(relay, ok, context)).toEqual({ ok: true })
    const forged = write(() =>
      inboxRoots.marks(replica).set(
        markKey('c1', 'flag', 'alice-web'),
        encodeMark({
          kind: 'done',
          at: '001750000000000.000001.alice-web',
          by: 'bob',
          device: 'alice-web',
          seen: 1,
        }),
      ),
    )
    expect(validateUpdate(relay, forged, context)).toMatchObject({
      ok: false,
      message: expect.stringMatching(/by must be the signed-in member/),
    })
    const junk = write(() =>
      inboxRoots.marks(replica).set(markKey('c1', 'pin', 'alice-web'), 'not json'),
    )
    expect(validateUpdate(relay, junk, context)).toMatchObject({
      ok: false,
      message: expect.stringMatching(/a mark must be a mark tuple or an object/),
    })
  })
})
