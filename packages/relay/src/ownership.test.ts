/**
 * [M8] Writer ownership: a Yjs client id belongs to the member who first wrote structs under it
 * in a room (the relay's own ids to no member), and a device id to the member who first used it
 * in a mark key. Reproduces reliability finding 4 (client-id squatting) with raw sockets.
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { markConversation } from '@switchboard/core'
import { afterEach, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { CloseCode } from '@switchboard/protocol'
import { createSqliteStorage } from './storage/sqlite.ts'
import {
  author,
  connectProvider,
  incoming,
  startTestRelay,
  until,
  type TestRelay,
  sendUpdateAs,
} from './test-helpers.ts'

const ROOM = 'inbox:pn-a'
let relay: TestRelay | null = null
let path = ''

afterEach(async () => {
  await relay?.close()
  relay = null
})

async function start(fresh: boolean): Promise<TestRelay> {
  if (fresh) path = join(mkdtempSync(join(tmpdir(), 'relay-owner-')), 'relay.db')
  relay = await startTestRelay({ storage: createSqliteStorage({ path }) })
  if (fresh) expect((await relay.webhook(incoming('c-o-1', 'pn-a'))).status).toBe(202)
  return relay
}

/** The update a doc holding `state` makes when it writes `fn` under `clientID`. */
function forge(state: Uint8Array, clientID: number, fn: (doc: Y.Doc) => void): Uint8Array {
  const doc = new Y.Doc()
  Y.applyUpdate(doc, state)
  doc.clientID = clientID
  const updates: Uint8Array[] = []
  doc.on('update', (u: Uint8Array) => updates.push(u))
  fn(doc)
  doc.destroy()
  return Y.mergeUpdates(updates)
}

/** The room as a fresh replica of `who` sees it. */
async function roomState(r: TestRelay, who = 'alice'): Promise<Y.Doc> {
  const c = connectProvider(r.wsUrl, ROOM, await r.login(`${who}@example.com`))
  await c.synced
  const doc = new Y.Doc()
  Y.applyUpdate(doc, Y.encodeStateAsUpdate(c.doc))
  c.destroy()
  return doc
}

describe('[M8] writer ownership (reliability finding 4)', () => {
  it("a member cannot write under a teammate's client id; the owner still can, after a restart too", async () => {
    let r = await start(true)
    const alice = connectProvider(r.wsUrl, ROOM, await r.login('alice@example.com'))
    await alice.synced
    markConversation(alice.doc, 'c-o-1', 'done', author('alice'))
    const A = alice.doc.clientID
    let seen = await roomState(r)
    for (let i = 0; i < 200 && Y.getState(seen.store, A) === 0; i++) seen = await roomState(r)
    const stored = Y.getState(seen.store, A)
    expect(stored).toBe(Y.getState(alice.doc.store, A))

    // Alice goes offline and marks Unread; Carol writes her own mark under Alice's id first.
    alice.provider.disconnect()
    const before = Y.encodeStateAsUpdate(seen)
    markConversation(alice.doc, 'c-o-1', 'unread', author('alice'))
    const squat = forge(before, A, (d) => markConversation(d, 'c-o-1', 'done', author('carol')))
    expect(await sendUpdateAs(r, ROOM, 'carol', squat)).toBe(CloseCode.Rejected)
    seen = await roomState(r)
    expect(Y.getState(seen.store, A)).toBe(stored)

    // Alice reconnects: her real mark is stored and every replica converges on it.
    alice.provider.connect()
    await until(() => alice.provider.synced, 'alice resynced')
    let converged = false
    for (let i = 0; i < 200 && !converged; i++) {
      seen = await roomState(r, 'carol')
      converged = Y.getState(seen.store, A) === Y.getState(alice.doc.store, A)
    }
    expect(converged).toBe(true)
    expect(seen.getMap('marks').toJSON()).toEqual(alice.doc.getMap('marks').toJSON())
    const state = Y.encodeStateAsUpdate(alice.doc)
    const aliceClock = Y.getState(alice.doc.store, A)
    alice.destroy()

    // After a restart the binding holds: Carol is refused, Alice's own id is still hers.
    await r.close()
    r = await start(false)
    const again = forge(state, A, (d) => markConversation(d, 'c-o-1', 'open', author('carol')))
    expect(await sendUpdateAs(r, ROOM, 'carol', again)).toBe(CloseCode.Rejected)
    const own = forge(state, A, (d) => markConversation(d, 'c-o-1', 'open', author('alice')))
    expect(await sendUpdateAs(r, ROOM, 'alice', own)).toBeNull()
    seen = await roomState(r, 'carol')
    expect(Y.getState(seen.store, A)).toBeGreaterThan(aliceClock)
  })

  it("the relay's own client id is not writable by members", async () => {
    const r = await start(true)
    const seen = await roomState(r)
    // The webhook's structs are the relay's: the only client id in the room so far.
    const [relayId] = [...seen.store.clients.keys()]
    const update = forge(Y.encodeStateAsUpdate(seen), relayId!, (d) =>
      markConversation(d, 'c-o-1', 'done', author('alice')),
    )
    expect(await sendUpdateAs(r, ROOM, 'alice', update)).toBe(CloseCode.Rejected)
  })

  it("a member cannot write under a teammate's device id, nor squat it first; restart keeps it", async () => {
    let r = await start(true)
    const state = Y.encodeStateAsUpdate(await roomState(r))
    const mark = (who: string, device: string) =>
      forge(state, (Math.random() * 2 ** 31) >>> 0, (d) =>
        markConversation(d, 'c-o-1', 'done', author(who, device)),
      )
    expect(await sendUpdateAs(r, ROOM, 'alice', mark('alice', 'dev-alice'))).toBeNull()
    expect(await sendUpdateAs(r, ROOM, 'carol', mark('carol', 'dev-alice'))).toBe(
      CloseCode.Rejected,
    )
    // Carol takes a device id first: Alice can no longer use it.
    expect(await sendUpdateAs(r, ROOM, 'carol', mark('carol', 'dev-shared'))).toBeNull()
    expect(await sendUpdateAs(r, ROOM, 'alice', mark('alice', 'dev-shared'))).toBe(
      CloseCode.Rejected,
    )
    await r.close()
    r = await start(false)
    expect(await sendUpdateAs(r, ROOM, 'carol', mark('carol', 'dev-alice'))).toBe(
      CloseCode.Rejected,
    )
    expect(await sendUpdateAs(r, ROOM, 'alice', mark('alice', 'dev-shared'))).toBe(
      CloseCode.Rejected,
    )
    expect(await sendUpdateAs(r, ROOM, 'alice', mark('alice', 'dev-alice'))).toBeNull()
  })
})
