/**
 * [M8] a client id and a device id are bound to their member once and for good: a writer's later
 * updates neither read nor write a binding again, every binding is in storage, and another
 * member is still refused under them (the verdicts of ownership.test.ts).
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { markConversation } from '@switchboard/core'
import { afterEach, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { CloseCode } from '@switchboard/protocol'
import type { RelayStorage } from './storage/relay-storage.ts'
import { createSqliteStorage } from './storage/sqlite.ts'
import {
  author,
  connectProvider,
  incoming,
  startTestRelay,
  trackAcks,
  type TestRelay,
  sendUpdateAs,
} from './test-helpers.ts'

const ROOM = 'inbox:pn-a'
const COUNTED = [
  'getClientOwner',
  'bindClient',
  'getDeviceOwner',
  'bindDevice',
  'transaction',
] as const
let relay: TestRelay | null = null

afterEach(async () => {
  await relay?.close()
  relay = null
})

/** Real SQLite storage whose ownership calls are recorded with their arguments. */
function countingStorage(path: string) {
  const storage = createSqliteStorage({ path })
  const calls: { name: string; args: unknown[] }[] = []
  for (const name of COUNTED) {
    const real = storage[name].bind(storage) as (...args: unknown[]) => unknown
    ;(storage as unknown as Record<string, unknown>)[name] = (...args: unknown[]) => {
      calls.push({ name, args })
      return real(...args)
    }
  }
  const count = (name: (typeof COUNTED)[number], arg?: unknown) =>
    calls.filter((c) => c.name === name && (arg === undefined || c.args.includes(arg))).length
  return { storage: storage as RelayStorage, calls, count }
}

describe('[M8] ownership is bound once, for good', () => {
  it('[M8] a writer of 40 marks binds its client id and device id once and never again; the bindings are stored and refuse another member', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'relay-owner-cache-')), 'relay.db')
    const counted = countingStorage(path)
    relay = await startTestRelay({ storage: counted.storage })
    expect((await relay.webhook(incoming('c-oc-1', 'pn-a'))).status).toBe(202)
    const alice = connectProvider(relay.wsUrl, ROOM, await relay.login('alice@example.com'), {
      ack: '1',
    })
    const acks = trackAcks(alice)
    await alice.synced
    const me = author('alice', 'dev-cache')
    const mark = async (i: number) => {
      markConversation(alice.doc, 'c-oc-1', i % 2 ? 'done' : 'open', me)
      await acks.acked() // one update per mark, each stored before the next
    }
    await mark(0)
    const A = alice.doc.clientID
    expect(counted.count('bindClient', A)).toBe(1)
    expect(counted.count('bindDevice', 'dev-cache')).toBe(1)
    const afterFirst = COUNTED.map((name) => counted.count(name))
    for (let i = 1; i < 40; i++) await mark(i)
    // The 39 updates after the first read and wrote no binding, and opened no transaction.
    expect(COUNTED.map((name) => counted.count(name))).toEqual(afterFirst)
    // The bindings are in storage, as before.
    expect(counted.storage.getClientOwner(ROOM, A)).toBe('alice')
    expect(counted.storage.getDeviceOwner('dev-cache')).toBe('alice')

    // Carol is refused under Alice's client id and under her device id, as before.
    const state = Y.encodeStateAsUpdate(alice.doc)
    const forge = (clientID: number, who: string, device: string) => {
      const doc = new Y.Doc()
      Y.applyUpdate(doc, state)
      doc.clientID = clientID
      const out: Uint8Array[] = []
      doc.on('update', (u: Uint8Array) => out.push(u))
      markConversation(doc, 'c-oc-1', 'unread', author(who, device))
      doc.destroy()
      return Y.mergeUpdates(out)
    }
    expect(await sendUpdateAs(relay, ROOM, 'carol', forge(A, 'carol', 'dev-carol'))).toBe(
      CloseCode.Rejected,
    )
    const fresh = (Math.random() * 2 ** 31) >>> 0
    expect(await sendUpdateAs(relay, ROOM, 'carol', forge(fresh, 'carol', 'dev-cache'))).toBe(
      CloseCode.Rejected,
    )
    alice.destroy()
  })
})
