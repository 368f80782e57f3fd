import * as Y from 'yjs'
import { describe, expect, it } from 'vitest'
import {
  compactInbox,
  doneWithNewIncoming,
  mergeHistory,
  getConversation,
  inboxRoots,
  ingestActivity,
  listConversations,
  markConversation,
  openWithoutResponse,
  readActivityLog,
  parseRoom,
  pinConversation,
  teamFigures,
  validateUpdate,
  type Activity,
  type MarkKind,
  type Room,
} from '../src/index.ts'
import { device, recordUpdates, sync } from './helpers.ts'

/** Monday 16 June 2025, 00:00 UTC. */
const D = Date.UTC(2025, 5, 16)
const MIN = 60_000
const HOUR = 60 * MIN

let n = 0
function act(conversationId: string, at: number, overrides: Partial<Activity> = {}): Activity {
  const direction = overrides.direction ?? 'incoming'
  return {
    id: `a${++n}`,
    conversationId,
    phoneNumberId: 'pn1',
    direction,
    kind: 'message',
    from: direction === 'incoming' ? '+15550100' : '+15559999',
    to: direction === 'incoming' ? '+15559999' : '+15550100',
    body: 'hi',
    at,
    ...overrides,
  }
}

/** A member's device whose wall clock the test sets before each mark. */
function member(memberId: string) {
  const d = device(memberId, `${memberId}-web`, D)
  return {
    mark(doc: Y.Doc, id: string, kind: MarkKind, at: number) {
      d.clock.now = at
      return markConversation(doc, id, kind, d.author)
    },
    pin(doc: Y.Doc, id: string, at: number) {
      d.clock.now = at
      pinConversation(doc, id, d.author)
    },
  }
}

const range = { from: D, to: D + 24 * HOUR }

describe('activity log (the input of the team figures)', () => {
  it('[M1] ingestActivity appends each activity once, with its incoming sequence and sending member', () => {
    const doc = new Y.Doc()
    ingestActivity(doc, act('c1', D))
    ingestActivity(doc, act('c1', D + MIN, { direction: 'outgoing', memberId: 'bob' }))
    ingestActivity(doc, act('c1', D + 2 * MIN, { direction: 'outgoing', from: 'carol' }))
    const again = act('c1', D + 3 * MIN)
    ingestActivity(doc, again)
    expect(ingestActivity(doc, again).duplicate).toBe(true)
    expect(readActivityLog(doc)).toEqual([
      { conversationId: 'c1', id: 'a1', direction: 'incoming', kind: 'message', at: D, seq: 1 },
      {
        conversationId: 'c1',
        id: 'a2',
        direction: 'outgoing',
        kind: 'message',
        at: D + MIN,
        memberId: 'bob',
      },
      {
        conversationId: 'c1',
        id: 'a3',
        direction: 'outgoing',
        kind: 'message',
        at: D + 2 * MIN,
        memberId: 'carol',
      },
      {
        conversationId: 'c1',
        id: 'a4',
        direction: 'incoming',
        kind: 'message',
        at: D + 3 * MIN,
        seq: 2,
      },
    ])
  })

  it('[M8] a member cannot write the activity log: only the ingesting peer does', () => {
    const relay = new Y.Doc()
    ingestActivity(relay, act('c1', D))
    const replica = new Y.Doc()
    sync(relay, replica)
    const updates = recordUpdates(replica)
    inboxRoots
      .activityLog(replica)
      .push([{ conversationId: 'c1', id: 'x', direction: 'outgoing', kind: 'message', at: D }])
    const check = validateUpdate(relay, Y.mergeUpdates(updates), {
      room: parseRoom('inbox:pn1') as Room,
      memberId: 'alice',
      now: D,
      maxDrift: 60_000,
    })
    expect(check).toMatchObject({ ok: false, code: 'forbidden' })
  })
})

describe('teamFigures: response time', () => {
  /** c1 answered by Bob's reply after 10 min, c2 by Alice's Done after 30 min (two SMS in the
   *  wait), c3 only read by Carol (still waiting), c4 answered from a desk phone after 2 min. */
  function history() {
    const doc = new Y.Doc()
    const alice = member('alice')
    const carol = member('carol')
    ingestActivity(doc, act('c1', D + HOUR))
    ingestActivity(doc, act('c1', D + HOUR + 10 * MIN, { direction: 'outgoing', from: 'bob' }))
    ingestActivity(doc, act('c2', D + HOUR))
    ingestActivity(doc, act('c2', D + HOUR + 5 * MIN))
    alice.mark(doc, 'c2', 'done', D + HOUR + 30 * MIN)
    ingestActivity(doc, act('c3', D + HOUR))
    carol.mark(doc, 'c3', 'read', D + HOUR + MIN)
    ingestActivity(doc, act('c4', D + 2 * HOUR))
    ingestActivity(doc, act('c4', D + 2 * HOUR + 2 * MIN, { direction: 'outgoing' }))
    return doc
  }

  it('median and p90 are nearest-rank over first responses; reading is not responding', () => {
    const f = teamFigures(history(), range)
    expect(f.responseTime).toEqual({ median: 10 * MIN, p90: 30 * MIN, count: 3, waiting: 1 })
    expect(f.responseByMember).toEqual([
      { memberId: 'alice', median: 30 * MIN, p90: 30 * MIN, count: 1, waiting: 0 },
      { memberId: 'bob', median: 10 * MIN, p90: 10 * MIN, count: 1, waiting: 0 },
      { memberId: null, median: 2 * MIN, p90: 2 * MIN, count: 1, waiting: 0 },
    ])
  })

  it('a member filter keeps the responses that member made', () => {
    const f = teamFigures(history(), { ...range, memberId: 'bob' })
    expect(f.responseTime).toMatchObject({ median: 10 * MIN, count: 1 })
  })

  it('waits are counted in the range they started in', () => {
    const f = teamFigures(history(), { from: D + 2 * HOUR, to: D + 3 * HOUR })
    expect(f.responseTime).toEqual({ median: 2 * MIN, p90: 2 * MIN, count: 1, waiting: 0 })
  })

  it('[M4] a Done whose author had not seen a later SMS answers the first wait only', () => {
    const relay = new Y.Doc()
    const alice = member('alice')
    ingestActivity(relay, act('c1', D + HOUR))
    const laptop = new Y.Doc()
    sync(relay, laptop)
    ingestActivity(relay, act('c1', D + HOUR + 5 * MIN))
    alice.mark(laptop, 'c1', 'done', D + HOUR + 20 * MIN)
    sync(relay, laptop)
    expect(getConversation(relay, 'c1')).toMatchObject({ status: 'open', unread: true })
    const f = teamFigures(relay, range)
    expect(f.responseTime).toEqual({ median: 20 * MIN, p90: 20 * MIN, count: 1, waiting: 1 })
    expect(f.completionRate.done).toBe(0)
    expect(openWithoutResponse(relay, HOUR, D + 3 * HOUR)).toMatchObject([
      { conversationId: 'c1', waitingSince: D + HOUR + 5 * MIN, unread: true },
    ])
  })
})

describe('teamFigures with the archived history (issue 10)', () => {
  it('[E1] an epoch that archived every mark gives the same figures once the archive is passed in', () => {
    const doc = new Y.Doc()
    const alice = member('alice')
    const bob = member('bob')
    ingestActivity(doc, act('c1', D + HOUR))
    alice.mark(doc, 'c1', 'done', D + HOUR + 20 * MIN)
    ingestActivity(doc, act('c2', D + HOUR))
    bob.mark(doc, 'c2', 'read', D + HOUR + 5 * MIN)
    bob.mark(doc, 'c2', 'done', D + 2 * HOUR)
    const before = teamFigures(doc, range)
    const epoch = compactInbox(doc, { epoch: 'e1', historySince: D + 3 * HOUR, now: D + 3 * HOUR })
    expect(epoch.archived).toHaveLength(3)
    const roomOnly = teamFigures(epoch.doc, range)
    expect(roomOnly.completionRate.done).toBe(0)
    expect(roomOnly.responseTime.count).toBe(0)
    expect(teamFigures(epoch.doc, { ...range, archivedHistory: epoch.archived })).toEqual(before)
  })

  it('an entry both archived and still in a room counts once', () => {
    const doc = new Y.Doc()
    const alice = member('alice')
    ingestActivity(doc, act('c1', D + HOUR))
    alice.mark(doc, 'c1', 'done', D + HOUR + 20 * MIN)
    alice.mark(doc, 'c1', 'open', D + HOUR + 30 * MIN)
    const all = inboxRoots.history(doc).toArray()
    const before = teamFigures(doc, range)
    expect(teamFigures(doc, { ...range, archivedHistory: all })).toEqual(before)
    expect(mergeHistory(all.slice().reverse(), all)).toEqual(all)
  })
})

describe('teamFigures: completion', () => {
  it('[B9] an undone Done does not count; Done, undo, Done counts once', () => {
    const doc = new Y.Doc()
    const alice = member('alice')
    for (const id of ['c1', 'c2', 'c3']) ingestActivity(doc, act(id, D + HOUR))
    alice.mark(doc, 'c1', 'done', D + 2 * HOUR)
    alice.mark(doc, 'c2', 'done', D + 2 * HOUR)
    alice.mark(doc, 'c2', 'open', D + 2 * HOUR + MIN)
    alice.mark(doc, 'c3', 'done', D + 2 * HOUR)
    alice.mark(doc, 'c3', 'open', D + 2 * HOUR + MIN)
    alice.mark(doc, 'c3', 'done', D + 2 * HOUR + 2 * MIN)
    const f = teamFigures(doc, range)
    expect(f.completionRate).toEqual({ done: 2, received: 3, doneOfReceived: 2, rate: 2 / 3 })
    expect(f.marksByMember).toEqual([
      {
        memberId: 'alice',
        done: 4,
        open: 2,
        unread: 0,
        read: 0,
        pin: 0,
        unpin: 0,
        assign: 0,
        completed: 2,
      },
    ])
  })

  it('[M2] a Done that lost the merge to a later concurrent Open does not count', () => {
    const relay = new Y.Doc()
    ingestActivity(relay, act('c1', D + HOUR))
    ingestActivity(relay, act('c2', D + HOUR))
    const a = new Y.Doc()
    const b = new Y.Doc()
    sync(relay, a, b)
    const alice = member('alice')
    const bob = member('bob')
    // c1: Alice Done at 10:02, Bob (offline) Open at 10:04 → Open wins.
    // c2: Bob Open at 10:02, Alice Done at 10:04 → Done wins, by Alice.
    alice.mark(a, 'c1', 'done', D + 10 * HOUR + 2 * MIN)
    bob.mark(b, 'c2', 'open', D + 10 * HOUR + 2 * MIN)
    bob.mark(b, 'c1', 'open', D + 10 * HOUR + 4 * MIN)
    alice.mark(a, 'c2', 'done', D + 10 * HOUR + 4 * MIN)
    sync(relay, a, b)
    expect(getConversation(relay, 'c1')?.status).toBe('open')
    expect(getConversation(relay, 'c2')?.status).toBe('done')
    const f = teamFigures(relay, range)
    expect(f.completionRate).toEqual({ done: 1, received: 2, doneOfReceived: 1, rate: 0.5 })
    expect(f.marksByMember.map((m) => [m.memberId, m.done, m.open, m.completed])).toEqual([
      ['alice', 2, 0, 1],
      ['bob', 0, 2, 0],
    ])
  })

  it('[M2] two concurrent Done marks complete the conversation once, credited to the later one', () => {
    const relay = new Y.Doc()
    ingestActivity(relay, act('c1', D + HOUR))
    const a = new Y.Doc()
    const b = new Y.Doc()
    sync(relay, a, b)
    member('alice').mark(a, 'c1', 'done', D + 3 * HOUR)
    member('bob').mark(b, 'c1', 'done', D + 3 * HOUR + MIN)
    sync(relay, a, b)
    const f = teamFigures(relay, range)
    expect(f.completionRate.done).toBe(1)
    expect(f.marksByMember.map((m) => [m.memberId, m.completed])).toEqual([
      ['alice', 0],
      ['bob', 1],
    ])
    expect(teamFigures(relay, { ...range, memberId: 'alice' }).completionRate.done).toBe(0)
  })

  it('counts the state at the end of the range, by a mark made within it', () => {
    const doc = new Y.Doc()
    const alice = member('alice')
    ingestActivity(doc, act('c1', D + HOUR))
    alice.mark(doc, 'c1', 'done', D + 2 * HOUR)
    alice.mark(doc, 'c1', 'open', D + 5 * HOUR)
    // Done during [0h, 3h): counted there, although undone later.
    expect(teamFigures(doc, { from: D, to: D + 3 * HOUR }).completionRate.done).toBe(1)
    // Done before [3h, 4h) began: not completed in that range.
    expect(teamFigures(doc, { from: D + 3 * HOUR, to: D + 4 * HOUR }).completionRate).toEqual({
      done: 0,
      received: 0,
      doneOfReceived: 0,
      rate: null,
    })
    // Undone by the end of the day.
    expect(teamFigures(doc, range).completionRate.done).toBe(0)
  })

  it('completions of older conversations count in done but not in the rate', () => {
    const doc = new Y.Doc()
    ingestActivity(doc, act('old', D - 3 * 24 * HOUR))
    ingestActivity(doc, act('new', D + HOUR))
    member('alice').mark(doc, 'old', 'done', D + 2 * HOUR)
    expect(teamFigures(doc, range).completionRate).toEqual({
      done: 1,
      received: 1,
      doneOfReceived: 0,
      rate: 0,
    })
  })
})

describe('teamFigures: backlog, volume and marks', () => {
  it('the backlog replays Open and Unread at each bucket end; volume buckets by hour and weekday', () => {
    const doc = new Y.Doc()
    const alice = member('alice')
    ingestActivity(doc, act('c1', D + 30 * MIN))
    ingestActivity(doc, act('c2', D + 90 * MIN))
    ingestActivity(doc, act('c2', D + 100 * MIN, { direction: 'outgoing' }))
    alice.mark(doc, 'c1', 'read', D + 70 * MIN)
    alice.mark(doc, 'c1', 'done', D + 150 * MIN)
    alice.pin(doc, 'c2', D + 151 * MIN)
    const f = teamFigures(doc, { from: D, to: D + 4 * HOUR })
    expect(f.backlog).toEqual([
      { at: D + HOUR, open: 1, unread: 1, incoming: 1, outgoing: 0 },
      { at: D + 2 * HOUR, open: 2, unread: 1, incoming: 1, outgoing: 1 },
      { at: D + 3 * HOUR, open: 1, unread: 1, incoming: 0, outgoing: 0 },
      { at: D + 4 * HOUR, open: 1, unread: 1, incoming: 0, outgoing: 0 },
    ])
    expect(f.volume).toEqual({ incoming: 2, outgoing: 1 })
    expect(f.volumeByHour.slice(0, 3)).toEqual([1, 1, 0])
    expect(f.volumeByHour.reduce((a, b) => a + b)).toBe(2)
    expect(f.volumeByWeekday).toEqual([2, 0, 0, 0, 0, 0, 0])
    expect(f.marksByMember[0]).toMatchObject({ memberId: 'alice', read: 1, done: 1, pin: 1 })
  })

  it("daily buckets end at the time zone's midnights, across a daylight-saving change", () => {
    // New York moves to summer time on 9 March 2025: that day has 23 hours.
    const from = Date.UTC(2025, 2, 8, 12)
    const to = Date.UTC(2025, 2, 11, 12)
    const f = teamFigures(new Y.Doc(), { from, to, timeZone: 'America/New_York' })
    expect(f.backlog.map((p) => p.at)).toEqual([
      Date.UTC(2025, 2, 9, 5),
      Date.UTC(2025, 2, 10, 4),
      Date.UTC(2025, 2, 11, 4),
      to,
    ])
    const kolkata = teamFigures(new Y.Doc(), { from, to, timeZone: 'Asia/Kolkata' })
    expect(kolkata.backlog[0]!.at).toBe(Date.UTC(2025, 2, 8, 18, 30))
    const utc = teamFigures(new Y.Doc(), { from, to })
    expect(utc.backlog.map((p) => p.at)).toEqual([
      Date.UTC(2025, 2, 9),
      Date.UTC(2025, 2, 10),
      Date.UTC(2025, 2, 11),
      to,
    ])
  })

  it('hour of day and weekday follow the time zone asked for', () => {
    const doc = new Y.Doc()
    ingestActivity(doc, act('c1', D + 2 * HOUR)) // Monday 02:00 UTC = Sunday 22:00 in New York
    const f = teamFigures(doc, { ...range, timeZone: 'America/New_York' })
    expect(f.volumeByHour[22]).toBe(1)
    expect(f.volumeByWeekday[6]).toBe(1)
  })

  it('[M7] the backlog at the end equals the derived state of every conversation', () => {
    const relay = new Y.Doc()
    const a = new Y.Doc()
    const b = new Y.Doc()
    const alice = member('alice')
    const bob = member('bob')
    const kinds: MarkKind[] = ['done', 'open', 'unread', 'read']
    for (let i = 0; i < 30; i++) {
      const id = `c${i % 7}`
      const at = D + i * 10 * MIN
      if (i % 3 === 0) ingestActivity(relay, act(id, at))
      if (i % 4 === 0) sync(relay, a)
      if (i % 5 === 0) sync(relay, b)
      if (getConversation(a, id)) alice.mark(a, id, kinds[i % 4]!, at + MIN)
      if (getConversation(b, id)) bob.mark(b, id, kinds[(i + 1) % 4]!, at + 2 * MIN)
    }
    sync(relay, a, b)
    const end = D + 6 * HOUR
    const last = teamFigures(relay, { from: D, to: end }).backlog.at(-1)!
    expect(last.at).toBe(end)
    expect(last.open).toBe(listConversations(relay, { view: 'inbox' }).length)
    expect(last.unread).toBe(listConversations(relay, { view: 'unread' }).length)
  })
})

describe('teamFigures on synced replicas', () => {
  it('[M7] two replicas that have synced report identical figures, whatever the delivery order', () => {
    const relay = new Y.Doc()
    const relayUpdates = recordUpdates(relay)
    const a = new Y.Doc()
    const b = new Y.Doc()
    const aUpdates = recordUpdates(a)
    const bUpdates = recordUpdates(b)
    const alice = member('alice')
    const bob = member('bob')
    for (let i = 0; i < 6; i++) ingestActivity(relay, act(`c${i}`, D + i * HOUR))
    sync(relay, a, b)
    alice.mark(a, 'c0', 'done', D + 7 * HOUR)
    bob.mark(b, 'c0', 'open', D + 7 * HOUR + MIN)
    bob.mark(b, 'c1', 'done', D + 7 * HOUR)
    alice.mark(a, 'c2', 'read', D + 8 * HOUR)
    ingestActivity(relay, act('c1', D + 7 * HOUR + 30 * MIN))
    ingestActivity(relay, act('c3', D + 8 * HOUR, { direction: 'outgoing', from: 'carol' }))
    // Replica X gets everything in one order, replica Y in the reverse, twice.
    const all = [...relayUpdates, ...aUpdates, ...bUpdates]
    const x = new Y.Doc()
    const y = new Y.Doc()
    for (const u of all) Y.applyUpdate(x, u)
    for (const u of [...all].reverse()) Y.applyUpdate(y, u)
    for (const u of all) Y.applyUpdate(y, u)
    const options = { ...range, timeZone: 'Europe/Paris' }
    const fx = teamFigures(x, options)
    expect(teamFigures(y, options)).toEqual(fx)
    sync(relay, a, b)
    expect(teamFigures(a, options)).toEqual(fx)
    expect(teamFigures(b, options)).toEqual(fx)
    expect(fx.completionRate.done).toBe(0)
    expect(fx.responseTime.count).toBe(3)
  })
})

describe('weekly review', () => {
  it('[M4] doneWithNewIncoming lists Done marks overtaken by an incoming their author had not seen', () => {
    const doc = new Y.Doc()
    const alice = member('alice')
    for (const id of ['c1', 'c2', 'c3']) ingestActivity(doc, act(id, D + HOUR))
    alice.mark(doc, 'c1', 'done', D + 2 * HOUR)
    alice.mark(doc, 'c2', 'done', D + 2 * HOUR)
    alice.mark(doc, 'c3', 'done', D + 2 * HOUR)
    ingestActivity(doc, act('c1', D + 3 * HOUR))
    ingestActivity(doc, act('c2', D + 4 * HOUR))
    alice.mark(doc, 'c2', 'done', D + 5 * HOUR) // closed again after reading it
    expect(doneWithNewIncoming(doc)).toEqual([
      {
        conversationId: 'c1',
        phoneNumberId: 'pn1',
        contactName: null,
        doneBy: 'alice',
        doneAt: D + 2 * HOUR,
        incomingAt: D + 3 * HOUR,
      },
    ])
    expect(doneWithNewIncoming(doc, { since: D + 4 * HOUR })).toEqual([])
  })

  it('openWithoutResponse lists Open conversations waiting longer than asked, oldest first', () => {
    const doc = new Y.Doc()
    const alice = member('alice')
    ingestActivity(doc, act('c1', D))
    ingestActivity(doc, act('c2', D + HOUR))
    ingestActivity(doc, act('c3', D + HOUR))
    ingestActivity(doc, act('c3', D + 2 * HOUR, { direction: 'outgoing' }))
    ingestActivity(doc, act('c4', D + HOUR))
    alice.mark(doc, 'c4', 'read', D + 2 * HOUR)
    ingestActivity(doc, act('c5', D + 5 * HOUR))
    expect(
      openWithoutResponse(doc, 3 * HOUR, D + 6 * HOUR).map((w) => [w.conversationId, w.waitingMs]),
    ).toEqual([
      ['c1', 6 * HOUR],
      ['c2', 5 * HOUR],
      ['c4', 5 * HOUR],
    ])
  })

  it('a record changed after the figures were first read is read anew (the index keeps records current)', () => {
    const doc = new Y.Doc()
    ingestActivity(doc, act('c1', D))
    expect(openWithoutResponse(doc, HOUR, D + 2 * HOUR)).toMatchObject([
      { conversationId: 'c1', contactName: null },
    ])
    ingestActivity(doc, act('c1', D + HOUR, { contactName: 'Ada Lovelace' }))
    ingestActivity(doc, act('c2', D + HOUR))
    expect(openWithoutResponse(doc, HOUR, D + 3 * HOUR)).toMatchObject([
      { conversationId: 'c1', contactName: 'Ada Lovelace' },
      { conversationId: 'c2', contactName: null },
    ])
  })
})
