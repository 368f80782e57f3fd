/**
 * [M8][L7] Updates a hand-built client sends through an edge relay are judged by the room's owner
 * exactly as on a direct socket: another member's device or client id is refused (4422) and
 * nothing of it is stored.
 */
import { getConversation, markConversation } from '@switchboard/core'
import { CloseCode } from '@switchboard/protocol'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { createSqliteStorage } from '../storage/sqlite.ts'
import {
  author,
  connectProvider,
  incoming,
  sendUpdateAs,
  startTestRelay,
  type TestRelay,
} from '../test-helpers.ts'

const ROOM = 'inbox:pn-a'
const sqlite = () =>
  createSqliteStorage({ path: join(mkdtempSync(join(tmpdir(), 'relay-link-adm-')), 'relay.db') })

let owner: TestRelay
let edge: TestRelay
beforeAll(async () => {
  owner = await startTestRelay({ storage: sqlite(), relayId: 'owner' })
  edge = await startTestRelay({
    storage: sqlite(),
    relayId: 'edge',
    routeRoom: async (room) => (room === ROOM ? { relayId: 'owner', url: owner.url } : 'self'),
  })
})
afterAll(async () => {
  await edge.close()
  await owner.close()
})

/** The room as a replica synced through `r` sees it. */
async function roomState(r: TestRelay): Promise<Uint8Array> {
  const c = connectProvider(r.wsUrl, ROOM, await r.login('alice@example.com'))
  await c.synced
  const state = Y.encodeStateAsUpdate(c.doc)
  c.destroy()
  return state
}

/** An update made on a copy of `state` under `clientID`, as a hand-built client sends it. */
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

describe('[M8][L7] crafted updates through the relay link', () => {
  it('a teammate’s device id or client id sent through the edge is refused by the owner, and nothing is stored', async () => {
    expect((await owner.webhook(incoming('c-link-adm', 'pn-a'))).status).toBe(202)
    const state = await roomState(edge)
    const aliceClient = 1_234_567
    const mark = (
      who: string,
      device: string,
      kind: 'done' | 'unread',
      client: number,
      base = state,
    ) => forge(base, client, (d) => markConversation(d, 'c-link-adm', kind, author(who, device)))

    expect(
      await sendUpdateAs(edge, ROOM, 'alice', mark('alice', 'dev-alice-link', 'done', aliceClient)),
    ).toBeNull()
    // Carol, through the edge: Alice's device id in her own mark, then her own device under Alice's client id.
    expect(
      await sendUpdateAs(edge, ROOM, 'carol', mark('carol', 'dev-alice-link', 'unread', 7_654_321)),
    ).toBe(CloseCode.Rejected)
    expect(
      await sendUpdateAs(
        edge,
        ROOM,
        'carol',
        // New structs after Alice's own under her client id (the room's state includes them).
        mark('carol', 'dev-carol-link', 'unread', aliceClient, await roomState(edge)),
      ),
    ).toBe(CloseCode.Rejected)
    const stored = new Y.Doc()
    Y.applyUpdate(stored, await roomState(owner))
    expect(getConversation(stored, 'c-link-adm')?.status).toBe('done')
    expect(getConversation(stored, 'c-link-adm')?.unread).toBe(false)
    expect(edge.relay.loadedRooms()).not.toContain(ROOM)
  })
})
