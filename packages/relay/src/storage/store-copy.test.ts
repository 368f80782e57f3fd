import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { seedDemo } from '../demo.ts'
import { createRelay, type Relay } from '../relay.ts'
import { createSqliteStorage, type SqliteStorage } from './sqlite.ts'
import { copyStore, verifyCopy } from './store-copy.ts'

const freshPath = () => join(mkdtempSync(join(tmpdir(), 'copy-')), 'relay.db')
const sqlite = (path = freshPath()) => createSqliteStorage({ path })

/** A relay over `storage` that only writes rooms (no sockets). */
const relayOn = (storage: SqliteStorage): Relay =>
  createRelay({
    storage,
    secret: 'copy-test-secret-0123456789',
    webhookSecret: 'copy-test-webhook',
    upgradeWebSocket: (() => {
      throw new Error('no sockets here')
    }) as never,
    log: () => {},
  })

/** A store with the demo workspace, an epoch and its archive, a device binding and an outbox row. */
async function filledStore(): Promise<SqliteStorage> {
  const path = freshPath()
  const storage = sqlite(path)
  const relay = relayOn(storage)
  const demo = await seedDemo(relay, {
    password: 'pw',
    conversations: 30,
    now: Date.UTC(2026, 11, 1),
  })
  const inbox = `inbox:${demo.phoneNumbers[0]!.id}`
  await relay.startEpoch(inbox)
  const entry = (key: string) => ({
    conversationId: demo.conversationIds[0]!,
    key,
    data: '{"kind":"done"}',
  })
  await storage.archive(inbox, [entry('laptop@1'), entry('laptop@2')])
  storage.bindDevice('laptop', demo.members[0]!.id)
  storage.enqueueOutgoing({
    activityId: 'out-1',
    attempt: 1,
    phoneNumberId: demo.phoneNumbers[0]!.id,
    conversationId: demo.conversationIds[0]!,
    memberId: demo.members[0]!.id,
    provider: 'twilio',
    from: demo.phoneNumbers[0]!.number,
    to: '+14155550199',
    body: 'On our way',
    createdAt: 1000,
  })
  storage.setMeta('copy-test', 'kept')
  await storage.whenDurable()
  // Closing the relay closes its store: the copy reads the file afresh, as the command does.
  await relay.close()
  return sqlite(path)
}

describe('copying a store (switchboard-relay migrate)', () => {
  const open: SqliteStorage[] = []
  afterEach(async () => {
    for (const s of open.splice(0)) await s.close().catch(() => {})
  })

  it('copies every room, epoch, archive and directory record, and the copy verifies', async () => {
    const source = await filledStore()
    const target = sqlite()
    open.push(source, target)
    const report = await copyStore(source, target)
    expect(report.rooms).toBeGreaterThan(30)
    expect(report.records.members).toBe(5)
    expect(report.records.outbox).toBe(1)
    expect(report.records.deviceOwners).toBeGreaterThan(0)
    expect(report.archived).toBeGreaterThan(0)
    expect(await verifyCopy(source, target)).toEqual([])
    const epochRooms = await Promise.all(
      (await source.listRooms()).map(async (r) => [r, (await target.loadRoom(r)).epoch] as const),
    )
    expect(epochRooms.filter(([, e]) => e !== undefined)).toHaveLength(1)
  })

  it('names the room whose copy differs', async () => {
    const source = await filledStore()
    const target = sqlite()
    open.push(source, target)
    await copyStore(source, target)
    const inbox = (await source.listRooms()).find((r) => r.startsWith('inbox:'))!
    const changed = new Y.Doc()
    changed.getMap('stray').set('x', 1)
    await target.appendUpdate(inbox, Y.encodeStateAsUpdate(changed))
    const problems = await verifyCopy(source, target)
    expect(problems).toContain(`${inbox}: the documents differ`)
  })

  it('refuses a target that holds anything, and changes nothing there', async () => {
    const source = await filledStore()
    const target = sqlite()
    open.push(source, target)
    target.setMeta('already', 'here')
    await expect(copyStore(source, target)).rejects.toThrow(
      /target store is not empty \(0 rooms, 1 meta\)/,
    )
    expect(await target.listRooms()).toEqual([])
    expect(target.getMember(source.listMembers()[0]!.id)).toBeNull()
  })
})
