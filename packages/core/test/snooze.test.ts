/** The snooze lane and how it combines with status and flag [Z1–Z6], `now` given by hand. */
import * as Y from 'yjs'
import { describe, expect, it } from 'vitest'
import {
  compactInbox,
  encodeMark,
  formatTimestamp,
  getConversation,
  inboxNextWake,
  ingestActivity,
  listConversations,
  markConversation,
  markKey,
  parseRoom,
  snoozeConversation,
  snoozeState,
  unsnoozeConversation,
  validateUpdate,
  type Room,
  type UpdateContext,
} from '../src/index.ts'
import { craftUpdate } from '../src/testing/craft.ts'
import { activity, device, inboxWith, recordUpdates, sync, T0 } from './helpers.ts'

const HOUR = 3_600_000
const ids = (doc: Y.Doc, view: 'inbox' | 'snoozed' | 'done' | 'unread', now: number) =>
  listConversations(doc, { view, now }).map((c) => c.id)
const state = (doc: Y.Doc, now: number) => snoozeState(getConversation(doc, 'c1')!, now)

describe('[Z1] a snooze lane of its own', () => {
  it('[Z1][Z5] a snooze until a time hides the conversation until then, and wakes by itself', () => {
    const { doc } = inboxWith('c1')
    const alice = device('alice', 'alice-web')
    markConversation(doc, 'c1', 'read', alice.author)
    snoozeConversation(doc, 'c1', T0 + HOUR, alice.author)
    expect(ids(doc, 'inbox', T0)).toEqual([])
    expect(ids(doc, 'snoozed', T0)).toEqual(['c1'])
    expect(state(doc, T0)).toEqual({ snoozed: true, wakesAt: T0 + HOUR, woke: null })
    expect(inboxNextWake(doc, T0)).toBe(T0 + HOUR)
    // The same entries at a later `now`: awake, back in the inbox, and it says why.
    expect(ids(doc, 'inbox', T0 + HOUR)).toEqual(['c1'])
    expect(ids(doc, 'snoozed', T0 + HOUR)).toEqual([])
    expect(state(doc, T0 + HOUR)).toEqual({ snoozed: false, wakesAt: null, woke: 'time' })
    expect(inboxNextWake(doc, T0 + HOUR)).toBeNull()
  })

  it('[Z1] until a reply: hidden at any time; an unsnooze clears it', () => {
    const { doc } = inboxWith('c1')
    const alice = device('alice', 'alice-web')
    snoozeConversation(doc, 'c1', 'reply', alice.author)
    expect(ids(doc, 'snoozed', T0 + 1000 * HOUR)).toEqual(['c1'])
    expect(inboxNextWake(doc, T0)).toBeNull()
    alice.clock.now += 1000
    unsnoozeConversation(doc, 'c1', alice.author)
    expect(getConversation(doc, 'c1')!.snooze).toBeNull()
    expect(ids(doc, 'inbox', T0)).toEqual(['c1'])
  })

  it('[Z5] without `now`, only a snooze until a reply hides (callers unaware of time see the old views)', () => {
    const { doc } = inboxWith('c1')
    snoozeConversation(doc, 'c1', T0 + HOUR, device('alice', 'alice-web').author)
    expect(listConversations(doc, { view: 'inbox' }).map((c) => c.id)).toEqual(['c1'])
    expect(listConversations(doc, { view: 'snoozed' })).toEqual([])
  })
})

describe('[Z2][Z3] snooze and the status winner', () => {
  it('[Z2] a later Done ends the snooze; a Read (opening it) does not', () => {
    const { doc } = inboxWith('c1')
    const alice = device('alice', 'alice-web')
    snoozeConversation(doc, 'c1', 'reply', alice.author)
    markConversation(doc, 'c1', 'read', alice.author)
    expect(ids(doc, 'snoozed', T0)).toEqual(['c1'])
    markConversation(doc, 'c1', 'done', alice.author)
    expect(getConversation(doc, 'c1')).toMatchObject({ status: 'done', snooze: null })
    expect(ids(doc, 'done', T0)).toEqual(['c1'])
  })

  it('[Z2][M3] a Done made after seeing a snooze ends it even when its device clock runs behind', () => {
    const { doc } = inboxWith('c1')
    snoozeConversation(doc, 'c1', 'reply', device('alice', 'alice-web', T0 + 50_000).author)
    markConversation(doc, 'c1', 'done', device('bob', 'bob-phone', T0).author)
    expect(getConversation(doc, 'c1')).toMatchObject({ status: 'done', snooze: null })
  })

  it('[Z2][M2] concurrent: a snooze newer than an offline Done wins on both replicas', () => {
    const { doc: relay } = inboxWith('c1')
    const a = new Y.Doc()
    const b = new Y.Doc()
    sync(relay, a, b)
    markConversation(b, 'c1', 'done', device('bob', 'bob-phone', T0 + 1000).author)
    snoozeConversation(a, 'c1', T0 + HOUR, device('alice', 'alice-web', T0 + 2000).author)
    sync(relay, a, b)
    for (const doc of [relay, a, b]) {
      expect(getConversation(doc, 'c1')).toMatchObject({ status: 'open' })
      expect(ids(doc, 'snoozed', T0 + 5000)).toEqual(['c1'])
    }
  })

  it('[Z3] snoozing a Done conversation brings it back Open when it wakes', () => {
    const { doc } = inboxWith('c1')
    const alice = device('alice', 'alice-web')
    markConversation(doc, 'c1', 'done', alice.author)
    alice.clock.now += 1000
    snoozeConversation(doc, 'c1', T0 + HOUR, alice.author)
    expect(ids(doc, 'done', T0)).toEqual([])
    expect(ids(doc, 'inbox', T0)).toEqual([])
    expect(ids(doc, 'inbox', T0 + HOUR)).toEqual(['c1'])
  })
})

describe('[Z4] an unseen incoming activity wakes a snooze', () => {
  it('[Z4][M4] a new SMS wakes a snooze until a reply or a time: Open + Unread, woken by it', () => {
    for (const until of ['reply', T0 + HOUR] as const) {
      const { doc } = inboxWith('c1')
      const alice = device('alice', 'alice-web')
      markConversation(doc, 'c1', 'read', alice.author)
      snoozeConversation(doc, 'c1', until, alice.author)
      const sms = activity('c1')
      ingestActivity(doc, sms)
      expect(getConversation(doc, 'c1')).toMatchObject({ status: 'open', unread: true })
      expect(getConversation(doc, 'c1')!.snooze!.wokenBy).toBe(sms.id)
      expect(state(doc, T0)).toEqual({ snoozed: false, wakesAt: null, woke: 'incoming' })
      expect(ids(doc, 'inbox', T0)).toEqual(['c1'])
      expect(inboxNextWake(doc, T0)).toBeNull()
    }
  })

  it('[Z4] a message the snoozer had seen does not wake it', () => {
    const { doc } = inboxWith('c1')
    ingestActivity(doc, activity('c1'))
    snoozeConversation(doc, 'c1', 'reply', device('alice', 'alice-web').author)
    expect(ids(doc, 'snoozed', T0)).toEqual(['c1'])
  })
})

describe('[Z6] snoozes across epochs', () => {
  it('[Z6][E2] compaction keeps the snooze lane winner: same state at every `now`', () => {
    const { doc } = inboxWith('c1')
    snoozeConversation(doc, 'c1', T0 + HOUR, device('alice', 'alice-web').author)
    const { doc: next } = compactInbox(doc, { epoch: 'e1', historySince: T0, now: T0 })
    expect(getConversation(next, 'c1')).toEqual(getConversation(doc, 'c1'))
    expect(ids(next, 'snoozed', T0)).toEqual(['c1'])
    expect(inboxNextWake(next, T0)).toBe(T0 + HOUR)
  })
})

describe('[Z1][M8] who may write a snooze', () => {
  const inbox = parseRoom('inbox:pn1') as Room
  const ctx = (memberId: string): UpdateContext => ({
    room: inbox,
    memberId,
    now: T0,
    maxDrift: 60_000,
    deviceOwner: (d) => ({ 'alice-web': 'alice', 'bob-phone': 'bob' })[d] ?? null,
  })
  const key = markKey('c1', 'snooze', 'alice-web')

  /** The relay's room holding Alice's honest snooze (admitted as the relay would). */
  function snoozedByAlice() {
    const { doc: relay } = inboxWith('c1')
    const replica = new Y.Doc()
    sync(relay, replica)
    const updates = recordUpdates(replica)
    snoozeConversation(replica, 'c1', T0 + HOUR, device('alice', 'alice-web').author)
    const update = Y.mergeUpdates(updates.splice(0))
    expect(validateUpdate(relay, update, ctx('alice'))).toEqual({ ok: true })
    Y.applyUpdate(relay, update)
    return { relay, replica, updates }
  }

  it('[Z1][M8] honest snoozes and unsnoozes of one’s own are accepted', () => {
    const { relay, replica, updates } = snoozedByAlice()
    unsnoozeConversation(replica, 'c1', device('alice', 'alice-web', T0 + 1000).author)
    expect(validateUpdate(relay, Y.mergeUpdates(updates.splice(0)), ctx('alice'))).toEqual({
      ok: true,
    })
  })

  it("[Z1][M8] Bob's value written over Alice's snooze key by hand is refused", () => {
    const { relay } = snoozedByAlice()
    const bobs = encodeMark({
      kind: 'unsnooze',
      at: formatTimestamp({ wall: T0 + 10, counter: 0, device: 'alice-web' }),
      by: 'bob',
      device: 'alice-web',
      seen: 1,
    })
    const current = relay.getMap('marks')._map.get(key)!
    for (const struct of [
      { client: 424_242, clock: 0, origin: current.lastId },
      { client: 424_242, clock: 0, parent: 'marks', parentSub: key },
    ]) {
      const forged = craftUpdate([{ ...struct, content: { any: [bobs] } }])
      expect(validateUpdate(relay, forged, ctx('bob'))).toMatchObject({ ok: false })
      // Without device bindings the overwritten value itself is not Bob's to remove.
      const unbound = { ...ctx('bob'), deviceOwner: () => null }
      expect(validateUpdate(relay, forged, unbound)).toMatchObject({
        ok: false,
        code: 'forbidden',
      })
    }
    const deleted = craftUpdate([
      { client: 424_242, clock: 0, origin: current.lastId, content: { deleted: 1 } },
    ])
    expect(validateUpdate(relay, deleted, { ...ctx('bob'), deviceOwner: () => null }).ok).toBe(
      false,
    )
    expect(getConversation(relay, 'c1')!.snooze!.memberId).toBe('alice')
  })

  it('[Z1][M8] a snooze naming no wake time, or an unsnooze naming one, is refused (schema)', () => {
    const { relay } = snoozedByAlice()
    for (const [kind, value] of [
      ['snooze', 'soon'],
      ['snooze', '-5'],
      ['snooze', null],
      ['unsnooze', 'reply'],
    ] as const) {
      const mark = encodeMark({
        kind,
        at: formatTimestamp({ wall: T0 + 10, counter: 0, device: 'bob-phone' }),
        by: 'bob',
        device: 'bob-phone',
        seen: 1,
        value,
      })
      const update = craftUpdate([
        {
          client: 515_151,
          clock: 0,
          parent: 'marks',
          parentSub: markKey('c1', 'snooze', 'bob-phone'),
          content: { any: [mark] },
        },
      ])
      expect(validateUpdate(relay, update, ctx('bob'))).toMatchObject({
        ok: false,
        code: 'schema',
      })
    }
  })
})
