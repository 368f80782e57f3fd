import {
  createHlc,
  getConversation,
  history,
  markConversation,
  markKey,
  readMark,
  RESTORE_DEVICE,
  type Author,
  type Conversation,
} from '@switchboard/core'
import { afterEach, describe, expect, it } from 'vitest'
import type * as Y from 'yjs'
import { parseRestoreTime, restoreRoomName } from './restore.ts'
import {
  author,
  connectProvider,
  incoming,
  startTestRelay,
  until,
  type Client,
  type TestRelay,
} from './test-helpers.ts'

const MINUTE = 60_000
const N = 500
const ids = Array.from({ length: N }, (_, i) => `c${String(i).padStart(3, '0')}`)

let relay: TestRelay | null = null
const clients: Client[] = []
afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy()
  await relay?.close()
  relay = null
})

/** A member's device whose clock reads `offset` ms from now (marks made "a while ago"). */
function deviceAt(memberId: string, deviceId: string, offset: number): Author {
  return { memberId, deviceId, clock: createHlc(deviceId, () => Date.now() + offset) }
}

const shown = (c: Conversation | null) => c && { status: c.status, unread: c.unread }
const states = (doc: Y.Doc) => ids.map((id) => shown(getConversation(doc, id)))
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b)

async function post(on: TestRelay, token: string, body: unknown) {
  const res = await fetch(`${on.url}/api/admin/restore`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  })
  return { status: res.status, body: (await res.json()) as Record<string, unknown> }
}

describe('restore an inbox to a point in time (docs/restore.md)', () => {
  // Its own time-out: 500 conversation rooms on PostgreSQL took ~5 s on a busy 2-core machine.
  it('[T1][T4][T5] a member’s mass Done of 500 conversations is restored by the owner to the minute before, on every replica', async () => {
    const on = (relay = await startTestRelay())
    expect((await on.webhook(ids.map((id) => incoming(id, 'pn-a')))).status).toBe(202)
    const [aliceToken, carolToken] = [
      await on.login('alice@example.com'),
      await on.login('carol@example.com'),
    ]
    const alice = connectProvider(on.wsUrl, 'inbox:pn-a', aliceToken)
    const carol = connectProvider(on.wsUrl, 'inbox:pn-a', carolToken)
    clients.push(alice, carol)
    await Promise.all([alice.synced, carol.synced])
    await until(() => getConversation(carol.doc, ids.at(-1)!) !== null, 'carol has every SMS')

    // Ten minutes ago Carol triaged: a fifth Done, a fifth read, the rest still Open + Unread.
    const earlier = deviceAt('carol', 'carol-web', -10 * MINUTE)
    carol.doc.transact(() => {
      for (let i = 0; i < 100; i++) markConversation(carol.doc, ids[i]!, 'done', earlier)
      for (let i = 100; i < 200; i++) markConversation(carol.doc, ids[i]!, 'read', earlier)
    })
    await until(() => getConversation(alice.doc, ids[199]!)?.unread === false, 'alice sees triage')
    const atT = states(alice.doc)
    const to = Date.now() - 2 * MINUTE

    // After T: a new SMS on c000 (Done at T), seen by the member who then marks everything Done.
    expect((await on.webhook(incoming(ids[0]!, 'pn-a'))).status).toBe(202)
    await until(() => getConversation(carol.doc, ids[0]!)?.unread === true, 'carol sees the SMS')
    const mistake = deviceAt('carol', 'carol-phone', -MINUTE)
    carol.doc.transact(() => {
      for (const id of ids) markConversation(carol.doc, id, 'done', mistake)
    })
    await until(
      () => states(alice.doc).every((s) => s?.status === 'done' && !s.unread),
      'alice sees the mass Done',
    )
    // An SMS after the mass Done on c150 (Open and read at T).
    expect((await on.webhook(incoming(ids[150]!, 'pn-a'))).status).toBe(202)

    expect((await post(on, carolToken, { room: 'inbox:pn-a', at: to })).status).toBe(403)
    const restored = await post(on, aliceToken, {
      room: 'inbox:pn-a',
      at: new Date(to).toISOString(),
    })
    expect(restored.status).toBe(200)
    // c001–c099 were Done at T with the same seen: nothing to compensate there.
    expect(restored.body).toMatchObject({ room: 'inbox:pn-a', by: 'alice', conversations: 401 })

    const expected = atT.map((s, i) =>
      i === 0 || i === 150 ? { status: 'open', unread: true } : s,
    )
    for (const replica of [alice, carol])
      await until(() => same(states(replica.doc), expected), 'replica back to T')
    expect(states(carol.doc)).toEqual(expected)
    expect(expected.filter((s) => s?.status === 'open' && s.unread).length).toBe(302)

    // Audited in the history of every replica; Carol's own keys still hold what she wrote.
    for (const replica of [alice, carol]) {
      expect(history(replica.doc, ids[300]!).at(-1)).toMatchObject({
        memberId: 'alice',
        deviceId: RESTORE_DEVICE,
        restoredTo: to,
      })
      expect(readMark(replica.doc, markKey(ids[300]!, 'status', 'carol-phone'))).toMatchObject({
        kind: 'done',
        by: 'carol',
      })
    }
    const fresh = connectProvider(on.wsUrl, 'inbox:pn-a', aliceToken)
    clients.push(fresh)
    await fresh.synced
    await until(() => same(states(fresh.doc), expected), 'a new replica sees the restore')
  }, 20_000)

  it('[T2] a member writing under the restore device is refused with 4422', async () => {
    const on = (relay = await startTestRelay())
    expect((await on.webhook(incoming('c1', 'pn-a'))).status).toBe(202)
    const carol = connectProvider(on.wsUrl, 'inbox:pn-a', await on.login('carol@example.com'))
    clients.push(carol)
    await carol.synced
    await until(() => getConversation(carol.doc, 'c1') !== null, 'carol has c1')
    markConversation(carol.doc, 'c1', 'done', author('carol', RESTORE_DEVICE))
    await until(() => carol.closes.length > 0, 'the relay closes the socket')
    expect(carol.closes[0]?.code).toBe(4422)
    carol.provider.disconnect()
  })

  it('[T3][T6] restores from history the relay archived (epoch with a zero horizon); refuses bad input', async () => {
    const on = (relay = await startTestRelay({ historyHorizonMs: 0 }))
    const room = 'inbox:pn-a'
    for (const id of ['c1', 'c2']) await on.relay.ingest(incoming(id, 'pn-a'))
    const dev = deviceAt('carol', 'carol-web', -10 * MINUTE)
    await on.relay.writeRoom(room, (doc) => markConversation(doc, 'c1', 'done', dev))
    const to = Date.now() - 5 * MINUTE
    // The same device overwrites its own keys after T: the winner at T is only in the history.
    const later = deviceAt('carol', 'carol-web', -MINUTE)
    await on.relay.writeRoom(room, (doc) => {
      markConversation(doc, 'c1', 'unread', later)
      markConversation(doc, 'c2', 'done', later)
    })
    const epoch = await on.relay.startEpoch(room)
    expect(epoch.archived).toBe(3)

    const report = await on.relay.admin.restore(room, String(to), 'alice')
    expect(report).toMatchObject({ conversations: 2, archivedRead: 3 })
    let after: (ReturnType<typeof shown> | undefined)[] = []
    await on.relay.writeRoom(room, (doc) => {
      after = ['c1', 'c2'].map((id) => shown(getConversation(doc, id)))
    })
    expect(after).toEqual([
      { status: 'done', unread: false },
      { status: 'open', unread: true },
    ])

    const refused = async (room: string, at: unknown, by = 'alice') =>
      on.relay.admin.restore(room, at, by).then(
        () => null,
        (err: { field: string; message: string }) => `${err.field}: ${err.message}`,
      )
    expect(await refused(room, Date.now() - 31 * 1440 * MINUTE)).toMatch(/^at: .*retention/)
    expect(await refused(room, Date.now() + MINUTE)).toMatch(/^at: .*future/)
    expect(await refused(room, '2025-06-15 10:41')).toMatch(/^at: must be an ISO 8601/)
    expect(await refused('conversation:c1', to)).toMatch(/^room: must be an inbox room/)
    expect(await refused('inbox:pn-zzz', to)).toMatch(/^room: no such phone number/)
    expect(await refused(room, to, 'carol')).toBe('by: only an owner may restore')
  })

  it('reads a time as ISO 8601 with a zone or ms, a room as inbox:<id> or the bare id', () => {
    expect(parseRestoreTime('2025-06-15T10:41:00Z')).toBe(Date.UTC(2025, 5, 15, 10, 41))
    expect(parseRestoreTime('2025-06-15T12:41:00+02:00')).toBe(Date.UTC(2025, 5, 15, 10, 41))
    expect(parseRestoreTime('1750000000000')).toBe(1_750_000_000_000)
    expect(parseRestoreTime('2025-06-15T10:41')).toBeNaN()
    expect(parseRestoreTime('yesterday')).toBeNaN()
    expect(restoreRoomName('pn-a')).toBe('inbox:pn-a')
    expect(restoreRoomName('inbox:pn-a')).toBe('inbox:pn-a')
    expect(restoreRoomName('conversation:c1')).toBeNull()
    expect(restoreRoomName('inbox:bad id')).toBeNull()
  })
})
