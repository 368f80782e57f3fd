import { cpSync } from 'node:fs'
import { epochOf, conversationIds } from '@switchboard/core'
import { afterEach, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { claimDeviceId } from './device-id.ts'
import { memoryStorage } from './storage/client-storage.ts'
import { createSwitchboard } from './switchboard.ts'
import type { Member, Switchboard } from './types.ts'
import {
  incoming,
  login,
  openClient,
  startRelay,
  tempDir,
  until,
  type TestRelay,
} from '../test/harness.ts'

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

const tick = () => new Promise((resolve) => setTimeout(resolve, 3))

async function relayWith(...ids: string[]): Promise<TestRelay> {
  const relay = await startRelay()
  cleanups.push(() => relay.stop())
  for (const id of ids) await relay.ingest(incoming(id, `hello from ${id}`))
  return relay
}

async function client(
  relay: TestRelay,
  email: string,
  opts: Parameters<typeof openClient>[2] = {},
) {
  const sb = await openClient(relay, email, opts)
  let destroyed = false
  cleanups.push(() => (destroyed ? undefined : sb.destroy()))
  return {
    sb,
    async destroy() {
      destroyed = true
      await sb.destroy()
    },
  }
}

async function startEpoch(relay: TestRelay): Promise<{ epoch: string }> {
  const { token } = await login(relay.url, 'alice@example.com')
  const res = await fetch(`${relay.url}/api/admin/rooms/inbox:pn1/epoch`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
  })
  expect(res.status).toBe(200)
  return (await res.json()) as { epoch: string }
}

const view = (sb: Switchboard) => {
  const inbox = sb.inbox('pn1')
  return Object.fromEntries(conversationIds(inbox.doc).map((id) => [id, inbox.get(id)]))
}

describe('[E3] a replica across epoch changes', () => {
  it('[E3, P1] a client offline across two epoch changes with unsynced marks reconnects, adopts the newest and nothing is lost', async () => {
    const relay = await relayWith('c1', 'c2', 'c3', 'c4')
    const laptopDir = tempDir()
    cleanups.push(() => laptopDir.remove())
    const laptop = await client(relay, 'alice@example.com', {
      dir: laptopDir.dir,
      deviceId: 'laptop',
    })
    const bob = await client(relay, 'bob@example.com')
    await laptop.sb.whenSynced()
    await bob.sb.whenSynced()
    await until(laptop.sb, () => laptop.sb.inbox('pn1').get('c4') !== null)
    for (let i = 0; i < 10; i++) {
      await laptop.sb.inbox('pn1').markRead('c1')
      await laptop.sb.inbox('pn1').markUnread('c1')
    }
    await laptop.sb.whenSynced()

    laptop.sb.disconnect()
    await tick()
    await laptop.sb.inbox('pn1').markDone('c2')
    await laptop.sb.inbox('pn1').pin('c3')
    await laptop.sb.inbox('pn1').assign('c4', 'alice')
    expect(laptop.sb.pending).toBeGreaterThan(0)

    const first = await startEpoch(relay)
    // Bob was online: he adopts on his own and keeps working in the new epoch.
    await until(bob.sb, () => epochOf(bob.sb.inbox('pn1').doc).id === first.epoch)
    await bob.sb.whenSynced()
    await tick()
    await bob.sb.inbox('pn1').markDone('c1')
    await bob.sb.whenSynced()
    const second = await startEpoch(relay)
    await until(bob.sb, () => epochOf(bob.sb.inbox('pn1').doc).id === second.epoch)

    // The laptop restarts offline (its storage still holds epoch zero), then reconnects.
    await laptop.destroy()
    const again = await client(relay, 'alice@example.com', {
      dir: laptopDir.dir,
      deviceId: 'laptop',
      connect: false,
    })
    expect(again.sb.pending).toBe(3)
    expect(epochOf(again.sb.inbox('pn1').doc).id).toBeNull()
    again.sb.connect()
    await until(again.sb, () => epochOf(again.sb.inbox('pn1').doc).id === second.epoch)
    await again.sb.whenSynced()
    expect(again.sb.pending).toBe(0)
    await until(bob.sb, () => bob.sb.inbox('pn1').get('c3')?.pinned === true)
    expect(bob.sb.inbox('pn1').get('c2')).toMatchObject({ status: 'done' })
    expect(bob.sb.inbox('pn1').get('c4')?.assignee).toBe('alice')
    expect(bob.sb.inbox('pn1').get('c1')).toMatchObject({ status: 'done', unread: false })
    await until(bob.sb, () => JSON.stringify(view(bob.sb)) === JSON.stringify(view(again.sb)))
    expect(view(again.sb)).toEqual(view(bob.sb))

    // Its storage now holds the new epoch: a restart offline shows it, nothing pending.
    await again.destroy()
    const third = await client(relay, 'alice@example.com', {
      dir: laptopDir.dir,
      deviceId: 'laptop',
      connect: false,
    })
    expect(epochOf(third.sb.inbox('pn1').doc).id).toBe(second.epoch)
    expect(third.sb.pending).toBe(0)
    expect(third.sb.inbox('pn1').get('c3')?.pinned).toBe(true)
  })

  it('[E3] an inbox listener hears the conversations of the adopted epoch', async () => {
    const relay = await relayWith('c1', 'c2')
    const a = await client(relay, 'alice@example.com')
    await a.sb.whenSynced()
    await until(a.sb, () => a.sb.inbox('pn1').get('c2') !== null)
    const heard: string[][] = []
    a.sb.inbox('pn1').onChange((ids) => heard.push([...ids].sort()))
    const { epoch } = await startEpoch(relay)
    await until(a.sb, () => epochOf(a.sb.inbox('pn1').doc).id === epoch)
    expect(heard.at(-1)).toEqual(['c1', 'c2'])
    const b = await client(relay, 'bob@example.com')
    await b.sb.whenSynced()
    await tick()
    await b.sb.inbox('pn1').markDone('c2')
    await until(a.sb, () => a.sb.inbox('pn1').get('c2')?.status === 'done')
    expect(heard.at(-1)).toEqual(['c2'])
  })
})

describe('writer ids', () => {
  it('a device reuses its Yjs client id for a room across restarts; another device gets its own', async () => {
    const relay = await relayWith('c1')
    const dir = tempDir()
    cleanups.push(() => dir.remove())
    const first = await client(relay, 'alice@example.com', { dir: dir.dir, deviceId: 'desk' })
    await first.sb.whenSynced()
    await first.sb.inbox('pn1').markDone('c1')
    await first.sb.whenSynced()
    const id = first.sb.inbox('pn1').doc.clientID
    await first.destroy()
    const second = await client(relay, 'alice@example.com', { dir: dir.dir, deviceId: 'desk' })
    expect(second.sb.inbox('pn1').doc.clientID).toBe(id)
    await second.sb.whenSynced()
    await tick()
    await second.sb.inbox('pn1').markOpen('c1')
    await second.sb.whenSynced()
    await second.destroy()
    // Same storage, another device id (another tab holds "desk"): never the same writer id.
    const other = await client(relay, 'alice@example.com', { dir: dir.dir, deviceId: 'tab-2' })
    expect(other.sb.inbox('pn1').doc.clientID).not.toBe(id)
    await other.destroy()
    // The relay saw one writer id for "desk" across both sessions.
    const check = await client(relay, 'bob@example.com')
    await check.sb.whenSynced()
    await until(check.sb, () => check.sb.inbox('pn1').get('c1')?.status === 'open')
    const writers = new Set(check.sb.inbox('pn1').doc.store.clients.keys())
    expect(writers.has(id)).toBe(true)
    expect(writers.size).toBe(2) // the relay and "desk"
  })

  it('a replica restored from an old snapshot takes a new client id, and its offline marks still arrive', async () => {
    const relay = await relayWith('c1', 'c2')
    const dir = tempDir()
    const backup = tempDir()
    cleanups.push(() => dir.remove())
    cleanups.push(() => backup.remove())
    const a = await client(relay, 'alice@example.com', { dir: dir.dir, deviceId: 'phone' })
    await a.sb.whenSynced()
    await a.sb.inbox('pn1').markRead('c1')
    await a.sb.whenSynced()
    const id = a.sb.inbox('pn1').doc.clientID
    await a.destroy()
    cpSync(dir.dir, backup.dir, { recursive: true }) // the snapshot
    const b = await client(relay, 'alice@example.com', { dir: dir.dir, deviceId: 'phone' })
    await b.sb.whenSynced()
    await tick()
    for (let i = 0; i < 5; i++) await b.sb.inbox('pn1').markUnread('c1')
    await b.sb.whenSynced()
    await b.destroy()

    // Restored from the backup, the phone holds less of its own client id than the relay.
    const restored = await client(relay, 'alice@example.com', {
      dir: backup.dir,
      deviceId: 'phone',
      connect: false,
    })
    expect(restored.sb.inbox('pn1').doc.clientID).toBe(id)
    await tick()
    await restored.sb.inbox('pn1').markDone('c2') // made offline with the stale id
    restored.sb.connect()
    await until(restored.sb, () => restored.sb.inbox('pn1').doc.clientID !== id)
    await restored.sb.whenSynced()
    expect(restored.sb.pending).toBe(0)
    const check = await client(relay, 'bob@example.com')
    await check.sb.whenSynced()
    await until(check.sb, () => check.sb.inbox('pn1').get('c2')?.status === 'done')
    expect(check.sb.inbox('pn1').get('c1')?.unread).toBe(true)
    expect(view(restored.sb)).toEqual(view(check.sb))
    // The relay's copy is whole: a cold replica of its state has nothing pending.
    const cold = new Y.Doc()
    Y.applyUpdate(cold, Y.encodeStateAsUpdate(check.sb.inbox('pn1').doc))
    expect(cold.store.pendingStructs).toBeNull()
  })
})

/** The part of the Web Locks API claimDeviceId uses: exclusive locks with ifAvailable. */
function fakeLocks() {
  const held = new Set<string>()
  return {
    request(
      name: string,
      _options: { ifAvailable: boolean },
      callback: (lock: { name: string } | null) => unknown,
    ) {
      if (held.has(name)) return Promise.resolve(callback(null))
      held.add(name)
      return Promise.resolve(callback({ name })).finally(() => held.delete(name))
    },
  } as unknown as LockManager
}

describe('writer ids under the device lock', () => {
  it('two tabs on one storage never write with the same client id; a reload reuses the released one', async () => {
    const alice: Member = { id: 'alice', email: 'a@example.com', name: 'Alice', role: 'owner' }
    const storage = memoryStorage() // one IndexedDB shared by every tab of the browser
    const locks = fakeLocks()
    const pool = new Map<string, string>()
    const localStorage = {
      getItem: (k: string) => pool.get(k) ?? null,
      setItem: (k: string, v: string) => void pool.set(k, v),
    }
    const tab = async () => {
      const claim = await claimDeviceId({ locks, storage: localStorage })
      const sb = createSwitchboard({
        url: 'http://127.0.0.1:9',
        token: 'unused',
        member: alice,
        storage,
        deviceId: claim.deviceId,
        connect: false,
      })
      await sb.whenLoaded
      await sb.inbox('pn1').whenLoaded
      return { claim, sb, clientID: () => sb.inbox('pn1').doc.clientID }
    }
    const a = await tab()
    const b = await tab()
    expect(a.claim.deviceId).not.toBe(b.claim.deviceId)
    expect(a.clientID()).not.toBe(b.clientID())
    const idA = a.clientID()
    await a.sb.destroy()
    a.claim.release()
    await tick()
    const c = await tab() // tab A reloaded: same device id from the pool, same writer id
    expect(c.claim.deviceId).toBe(a.claim.deviceId)
    expect(c.clientID()).toBe(idA)
    expect(c.clientID()).not.toBe(b.clientID())
    await b.sb.destroy()
    await c.sb.destroy()
  })
})
