/**
 * [W6][M8] Activities in, applied between the loop's turns a few at a time: a burst from new
 * contacts is each ingested once, and a conversation's first write is under the relay's client id.
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { addNote, listActivities, readActivityLog } from '@switchboard/core'
import { CloseCode } from '@switchboard/protocol'
import { afterEach, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { createSqliteStorage } from './storage/sqlite.ts'
import {
  connectProvider,
  incoming,
  sendUpdateAs,
  startTestRelay,
  type TestRelay,
} from './test-helpers.ts'

let relay: TestRelay | null = null
afterEach(async () => {
  await relay?.close()
  relay = null
})

const start = async () =>
  (relay = await startTestRelay({
    storage: createSqliteStorage({
      path: join(mkdtempSync(join(tmpdir(), 'relay-ingest-')), 'relay.db'),
    }),
  }))

async function synced(r: TestRelay, room: string): Promise<Y.Doc> {
  const c = connectProvider(r.wsUrl, room, await r.login('alice@example.com'))
  await c.synced
  const doc = new Y.Doc()
  Y.applyUpdate(doc, Y.encodeStateAsUpdate(c.doc))
  c.destroy()
  return doc
}

describe('[W6] activities in, a few at a time', () => {
  it('a burst of 40 posts (30 activities of 10 new contacts, 10 of them again) ingests each once, every room served whole', async () => {
    const r = await start()
    const activities = Array.from({ length: 30 }, (_, i) =>
      incoming(`burst-${i % 10}`, 'pn-a', {
        from: `+1555555${1000 + (i % 10)}`,
        at: Date.now() + i,
      }),
    )
    const answers = await Promise.all(
      [...activities, ...activities.slice(0, 10)].map((a) => r.webhook(a)),
    )
    expect(answers.map((a) => a.status)).toEqual(answers.map(() => 202))

    const inbox = await synced(r, 'inbox:pn-a')
    const logged = readActivityLog(inbox).map((e) => e.id)
    expect(logged.sort()).toEqual(activities.map((a) => a.id).sort())
    for (let c = 0; c < 10; c++) {
      const conversation = await synced(r, `conversation:burst-${c}`)
      expect(listActivities(conversation).map((a) => a.id)).toEqual(
        activities.filter((a) => a.conversationId === `burst-${c}`).map((a) => a.id),
      )
    }
  }, 30_000)

  it("[M8] a new conversation's first write is under the relay's client id: a member cannot write under it", async () => {
    const r = await start()
    expect((await r.webhook(incoming('first-write', 'pn-a'))).status).toBe(202)
    const seen = await synced(r, 'conversation:first-write')
    const [relayId] = [...seen.store.clients.keys()]
    const doc = new Y.Doc()
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(seen))
    doc.clientID = relayId!
    const updates: Uint8Array[] = []
    doc.on('update', (u: Uint8Array) => updates.push(u))
    addNote(doc, { author: 'carol', body: 'forged as the relay', mentions: [] })
    const code = await sendUpdateAs(r, 'conversation:first-write', 'carol', Y.mergeUpdates(updates))
    expect(code).toBe(CloseCode.Rejected)
  })
})
