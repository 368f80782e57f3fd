import * as Y from 'yjs'
import { describe, expect, it } from 'vitest'
import {
  assignConversation,
  checkRestoreTime,
  compactHistory,
  compactInbox,
  createHlc,
  getConversation,
  history,
  ingestActivity,
  inboxRoots,
  markConversation,
  markKey,
  pinConversation,
  planRestore,
  readMark,
  restoreInbox,
  RESTORE_DEVICE,
  type Conversation,
  type HistoryEntry,
} from '../src/index.ts'
import { activity, device, sync, T0 } from './helpers.ts'

const MINUTE = 60_000

/** The relay's restore clock, reading `wall`. */
function restoreClock(wall = { now: T0 + 60 * MINUTE }) {
  return createHlc(RESTORE_DEVICE, () => wall.now)
}

/** What a teammate sees of a conversation, without who decided it. */
function shown(c: Conversation | null) {
  return c && { status: c.status, unread: c.unread, pinned: c.pinned, assignee: c.assignee }
}

function states(doc: Y.Doc, ids: string[]) {
  return ids.map((id) => shown(getConversation(doc, id)))
}

/** An inbox of `n` conversations with one incoming SMS each, a few triaged before T. */
function triagedInbox(n: number) {
  const doc = new Y.Doc()
  const ids: string[] = []
  for (let i = 0; i < n; i++) {
    const id = `c${i}`
    ids.push(id)
    ingestActivity(doc, activity(id, { at: T0 - MINUTE }))
  }
  const alice = device('alice', 'alice-web', T0)
  for (let i = 0; i < n; i += 3) markConversation(doc, ids[i]!, 'done', alice.author)
  for (let i = 1; i < n; i += 3) markConversation(doc, ids[i]!, 'read', alice.author)
  return { doc, ids, alice }
}

describe('restore', () => {
  it('[T1] a mass Done is restored by compensating marks under the restore device; members’ keys stay as written', () => {
    const { doc, ids } = triagedInbox(60)
    const before = states(doc, ids)
    const to = T0 + MINUTE
    const mallory = device('mallory', 'mallory-laptop', T0 + 2 * MINUTE)
    for (const id of ids) markConversation(doc, id, 'done', mallory.author)
    expect(states(doc, ids).every((s) => s?.status === 'done' && !s.unread)).toBe(true)
    const malloryKeys = ids.map((id) => readMark(doc, markKey(id, 'status', 'mallory-laptop')))

    const plan = restoreInbox(doc, { to, by: 'olivia', clock: restoreClock() })
    expect(states(doc, ids)).toEqual(before)
    // Only conversations Mallory changed: the third already Done at T is left alone.
    expect(plan.conversations).toEqual(ids.filter((_, i) => i % 3 !== 0).sort())
    expect(ids.map((id) => readMark(doc, markKey(id, 'status', 'mallory-laptop')))).toEqual(
      malloryKeys,
    )
    for (const { entry } of plan.marks)
      expect(entry).toMatchObject({ by: 'olivia', device: RESTORE_DEVICE })
    expect(getConversation(doc, 'c1')?.decidedBy).toMatchObject({
      memberId: 'olivia',
      deviceId: RESTORE_DEVICE,
    })
  })

  it('[T1] conversation records and the activity log are not touched', () => {
    const { doc, ids } = triagedInbox(6)
    for (const id of ids)
      markConversation(doc, id, 'done', device('m', 'm-1', T0 + 2 * MINUTE).author)
    const records = JSON.stringify(inboxRoots.conversations(doc).toJSON())
    const log = JSON.stringify(inboxRoots.activityLog(doc).toJSON())
    restoreInbox(doc, { to: T0 + MINUTE, by: 'olivia', clock: restoreClock() })
    expect(JSON.stringify(inboxRoots.conversations(doc).toJSON())).toBe(records)
    expect(JSON.stringify(inboxRoots.activityLog(doc).toJSON())).toBe(log)
  })

  it('[T4] an SMS that arrived after T leaves its conversation Open + Unread, even one Done at T', () => {
    const doc = new Y.Doc()
    ingestActivity(doc, activity('done-at-t'))
    ingestActivity(doc, activity('open-at-t'))
    const alice = device('alice', 'alice-web', T0)
    markConversation(doc, 'done-at-t', 'done', alice.author)
    markConversation(doc, 'open-at-t', 'read', alice.author)
    const to = T0 + MINUTE
    // After T: new SMS on both, then a mass Done by someone who had seen them.
    ingestActivity(doc, activity('done-at-t'))
    ingestActivity(doc, activity('open-at-t'))
    const mallory = device('mallory', 'mallory-laptop', T0 + 2 * MINUTE)
    markConversation(doc, 'done-at-t', 'done', mallory.author)
    markConversation(doc, 'open-at-t', 'done', mallory.author)
    expect(getConversation(doc, 'done-at-t')?.status).toBe('done')

    const plan = restoreInbox(doc, { to, by: 'olivia', clock: restoreClock() })
    for (const id of ['done-at-t', 'open-at-t'])
      expect(shown(getConversation(doc, id))).toMatchObject({ status: 'open', unread: true })
    // The compensating Done carries the seen of T (1), not Mallory's (2).
    const done = plan.marks.find((m) => m.conversationId === 'done-at-t' && m.lane === 'status')
    expect(done?.entry).toMatchObject({ kind: 'done', seen: 1 })
    expect(getConversation(doc, 'done-at-t')?.reopenedBy).not.toBeNull()
  })

  it('[T4] a conversation an unseen SMS had reopened at T stays reopened', () => {
    const doc = new Y.Doc()
    ingestActivity(doc, activity('c1'))
    const alice = device('alice', 'alice-web', T0)
    markConversation(doc, 'c1', 'done', alice.author)
    ingestActivity(doc, activity('c1', { at: T0 + 30_000 }))
    const to = T0 + MINUTE
    expect(shown(getConversation(doc, 'c1'))).toMatchObject({ status: 'open', unread: true })
    markConversation(doc, 'c1', 'done', device('m', 'm-1', T0 + 2 * MINUTE).author)
    restoreInbox(doc, { to, by: 'olivia', clock: restoreClock() })
    expect(shown(getConversation(doc, 'c1'))).toMatchObject({ status: 'open', unread: true })
  })

  it('[T3] a lane nobody had marked at T goes back to what no entry shows: Open, unpinned, unassigned', () => {
    const doc = new Y.Doc()
    ingestActivity(doc, activity('old'))
    ingestActivity(doc, activity('quiet', { direction: 'outgoing' }))
    const to = T0 + MINUTE
    const m = device('m', 'm-1', T0 + 2 * MINUTE)
    ingestActivity(doc, activity('new'))
    for (const id of ['old', 'quiet', 'new']) {
      markConversation(doc, id, 'done', m.author)
      pinConversation(doc, id, m.author)
      assignConversation(doc, id, 'm', m.author)
    }
    restoreInbox(doc, { to, by: 'olivia', clock: restoreClock() })
    const expected = { status: 'open', pinned: false, assignee: null }
    expect(shown(getConversation(doc, 'old'))).toEqual({ ...expected, unread: true })
    expect(shown(getConversation(doc, 'new'))).toEqual({ ...expected, unread: true })
    expect(shown(getConversation(doc, 'quiet'))).toEqual({ ...expected, unread: false })
  })

  it('[T3] pins, assignments and a Read after Done come back as they stood at T', () => {
    const doc = new Y.Doc()
    ingestActivity(doc, activity('c1'))
    const alice = device('alice', 'alice-web', T0)
    pinConversation(doc, 'c1', alice.author)
    assignConversation(doc, 'c1', 'bob', alice.author)
    markConversation(doc, 'c1', 'unread', alice.author)
    markConversation(doc, 'c1', 'read', alice.author)
    const atT = shown(getConversation(doc, 'c1'))
    const to = T0 + MINUTE
    // The same device goes on after T: its own keys no longer hold what they held at T.
    alice.clock.now = T0 + 2 * MINUTE
    markConversation(doc, 'c1', 'done', alice.author)
    pinConversation(doc, 'c1', alice.author)
    assignConversation(doc, 'c1', null, alice.author)
    expect(shown(getConversation(doc, 'c1'))).not.toEqual(atT)
    restoreInbox(doc, { to, by: 'olivia', clock: restoreClock() })
    expect(shown(getConversation(doc, 'c1'))).toEqual(atT)
    expect(shown(getConversation(doc, 'c1'))).toEqual({
      status: 'open',
      unread: false,
      pinned: true,
      assignee: 'bob',
    })
  })

  it('[T3] winners whose entries left the room for the archive (epoch, history horizon) are read from it', () => {
    const doc = new Y.Doc()
    const ids = ['c1', 'c2', 'c3']
    for (const id of ids) ingestActivity(doc, activity(id))
    const alice = device('alice', 'alice-web', T0)
    markConversation(doc, 'c1', 'done', alice.author)
    markConversation(doc, 'c2', 'read', alice.author)
    const before = states(doc, ids)
    const to = T0 + MINUTE
    // Alice's own device overwrites its keys after T: its marks of T live only in the history.
    alice.clock.now = T0 + 2 * MINUTE
    for (const id of ids) markConversation(doc, id, 'unread', alice.author)
    const epoch = compactInbox(doc, { epoch: 'e1', historySince: T0 + 3 * MINUTE, now: T0 })
    const archived: HistoryEntry[] = [...epoch.archived]
    expect(inboxRoots.history(epoch.doc).length).toBe(0)

    const without = planRestore(epoch.doc, { to, by: 'olivia', clock: restoreClock() })
    expect(without.conversations).toEqual(ids) // every lane looks unmarked at T
    restoreInbox(epoch.doc, { to, by: 'olivia', clock: restoreClock(), archived })
    expect(states(epoch.doc, ids)).toEqual(before)

    // The relay's own horizon walk (compactHistory after archiving) reads the same way.
    const live = new Y.Doc()
    Y.applyUpdate(live, Y.encodeStateAsUpdate(doc))
    const old = inboxRoots.history(live).toArray()
    expect(compactHistory(live, T0 + 3 * MINUTE)).toBe(old.length)
    restoreInbox(live, { to, by: 'olivia', clock: restoreClock(), archived: old })
    expect(states(live, ids)).toEqual(before)
  })

  it('[T3] a mark made offline before T and delivered after counts as made before T', () => {
    const relay = new Y.Doc()
    ingestActivity(relay, activity('c1'))
    const bob = new Y.Doc()
    sync(relay, bob)
    markConversation(bob, 'c1', 'done', device('bob', 'bob-phone', T0 + 30_000).author)
    const to = T0 + MINUTE
    markConversation(relay, 'c1', 'unread', device('m', 'm-1', T0 + 2 * MINUTE).author)
    sync(relay, bob) // Bob comes back online after T
    restoreInbox(relay, { to, by: 'olivia', clock: restoreClock() })
    expect(shown(getConversation(relay, 'c1'))).toMatchObject({ status: 'done', unread: false })
  })

  it('[T3] history entries without seen (older documents) take it from the activity log', () => {
    const doc = new Y.Doc()
    ingestActivity(doc, activity('c1', { at: T0 - 1_000 }))
    const alice = device('alice', 'alice-web', T0)
    markConversation(doc, 'c1', 'done', alice.author)
    ingestActivity(doc, activity('c1', { at: T0 + 2 * MINUTE }))
    alice.clock.now = T0 + 3 * MINUTE
    markConversation(doc, 'c1', 'done', alice.author)
    const archived = inboxRoots
      .history(doc)
      .toArray()
      .map(({ seen: _seen, ...e }) => e)
    const epoch = compactInbox(doc, { epoch: 'e1', historySince: T0 + 10 * MINUTE, now: T0 })
    const plan = restoreInbox(epoch.doc, {
      to: T0 + MINUTE,
      by: 'olivia',
      clock: restoreClock(),
      archived,
    })
    expect(plan.marks.find((m) => m.lane === 'status')?.entry.seen).toBe(1)
    expect(shown(getConversation(epoch.doc, 'c1'))).toMatchObject({ status: 'open', unread: true })
  })

  it('[T5] compensating marks sort after the current winners even when the relay’s clock runs behind', () => {
    const { doc, ids } = triagedInbox(9)
    const before = states(doc, ids)
    for (const id of ids)
      markConversation(doc, id, 'unread', device('m', 'm-1', T0 + 2 * MINUTE).author)
    const plan = restoreInbox(doc, {
      to: T0 + MINUTE,
      by: 'olivia',
      clock: restoreClock({ now: T0 - 24 * 60 * MINUTE }),
    })
    expect(states(doc, ids)).toEqual(before)
    for (const { conversationId, entry } of plan.marks)
      expect(entry.at > readMark(doc, markKey(conversationId, 'status', 'm-1'))!.at).toBe(true)
  })

  it('[T5] every compensating mark is in the history, by the owner, naming the time restored to', () => {
    const { doc, ids } = triagedInbox(6)
    for (const id of ids)
      markConversation(doc, id, 'done', device('m', 'm-1', T0 + 2 * MINUTE).author)
    const to = T0 + MINUTE
    const plan = restoreInbox(doc, { to, by: 'olivia', clock: restoreClock() })
    for (const id of plan.conversations) {
      const last = history(doc, id).at(-1)
      expect(last).toMatchObject({ memberId: 'olivia', deviceId: RESTORE_DEVICE, restoredTo: to })
      expect(last?.kind).toBe(getConversation(doc, id)?.decidedBy?.kind)
    }
    expect(plan.history.length).toBeGreaterThanOrEqual(plan.conversations.length)
  })

  it('[T7] a second restore to the same moment writes nothing; every replica converges', () => {
    const { doc: relay, ids } = triagedInbox(30)
    const alice = new Y.Doc()
    const bob = new Y.Doc()
    sync(relay, alice, bob)
    const before = states(relay, ids)
    const to = T0 + MINUTE
    for (const id of ids)
      markConversation(bob, id, 'done', device('bob', 'bob-1', T0 + 2 * MINUTE).author)
    sync(relay, alice, bob)
    const clock = restoreClock()
    expect(restoreInbox(relay, { to, by: 'olivia', clock }).marks.length).toBeGreaterThan(0)
    expect(restoreInbox(relay, { to, by: 'olivia', clock }).marks).toEqual([])
    sync(relay, alice, bob)
    for (const doc of [relay, alice, bob]) expect(states(doc, ids)).toEqual(before)
    for (const id of ids) expect(getConversation(alice, id)).toEqual(getConversation(relay, id))
  })

  it('[T7] a later restore can undo an earlier one (restore to a moment after it)', () => {
    const { doc, ids } = triagedInbox(9)
    const m = device('m', 'm-1', T0 + 2 * MINUTE)
    for (const id of ids) markConversation(doc, id, 'done', m.author)
    const allDone = states(doc, ids)
    const clock = createHlc(RESTORE_DEVICE, () => T0 + 5 * MINUTE)
    restoreInbox(doc, { to: T0 + MINUTE, by: 'olivia', clock })
    expect(states(doc, ids)).not.toEqual(allDone)
    const back = createHlc(RESTORE_DEVICE, () => T0 + 10 * MINUTE)
    restoreInbox(doc, { to: T0 + 3 * MINUTE, by: 'olivia', clock: back })
    expect(states(doc, ids)).toEqual(allDone)
  })

  it('[T6] a restore reaches back at most the retention, never into the future', () => {
    const day = 86_400_000
    const now = T0
    expect(checkRestoreTime(now - 29 * day, now, 30 * day)).toEqual({ ok: true })
    expect(checkRestoreTime(now - 31 * day, now, 30 * day)).toMatchObject({
      ok: false,
      message: expect.stringContaining('retention (30 days)'),
    })
    expect(checkRestoreTime(now + 1, now, 30 * day)).toMatchObject({ ok: false })
    expect(checkRestoreTime(Number.NaN, now, 30 * day)).toMatchObject({ ok: false })
  })
})
