/**
 * [W6][M8] Activities in, applied between the loop's turns a few at a time: a burst from new
 * contacts is each ingested once, and a conversation's first write is under the relay's client id.
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
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

const start = async (path = join(mkdtempSync(join(tmpdir(), 'relay-ingest-')), 'relay.db')) =>
  (relay = await startTestRelay({ storage: createSqliteStorage({ path }) }))

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

  it("[W6][M8] a new conversation's activity takes one commit: both rooms, its number, the relay's client id and the activity id, on disk once answered", async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'relay-ingest-commit-')), 'relay.db')
    const r = await start(path)
    const storage = r.relay.storage as ReturnType<typeof createSqliteStorage>
    await storage.whenWriterReady()
    // The inbox room loaded and its relay client bound by a first activity.
    expect((await r.webhook(incoming('commit-warm', 'pn-a'))).status).toBe(202)
    const activity = incoming('commit-new', 'pn-a')
    const before = storage.appendCommits
    expect((await r.webhook(activity)).status).toBe(202)
    expect(storage.appendCommits - before).toBe(1)
    const reader = new Database(path, { readonly: true })
    const count = (sql: string, arg: string) => (reader.prepare(sql).get(arg) as { n: number }).n
    expect(count('SELECT count(*) AS n FROM activities WHERE id = ?', activity.id)).toBe(1)
    expect(count('SELECT count(*) AS n FROM conversations WHERE id = ?', 'commit-new')).toBe(1)
    // The relay's client id in the new room, bound in the same commit [M8].
    expect(
      count('SELECT count(*) AS n FROM client_owners WHERE room = ?', 'conversation:commit-new'),
    ).toBe(1)
    reader.close()
    const inbox = await synced(r, 'inbox:pn-a')
    expect(readActivityLog(inbox).map((e) => e.id)).toContain(activity.id)
  })
})
