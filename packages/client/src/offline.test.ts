import { describe, expect, it } from 'vitest'
import { ErrorCode } from './errors.ts'
import { memoryStorage, type ClientStorage } from './storage/client-storage.ts'
import { createSwitchboard } from './switchboard.ts'
import { alice, seedReplica } from '../test/seed.ts'

/** A replica whose storage already holds a workspace and an inbox, as after an earlier sync. */
async function seededStorage(): Promise<ClientStorage> {
  const storage = memoryStorage()
  await seedReplica(storage)
  return storage
}

function offlineReplica(storage: ClientStorage, now?: () => number) {
  return createSwitchboard({
    now,
    url: 'http://127.0.0.1:9',
    token: 'unused',
    member: alice,
    storage,
    deviceId: 'laptop',
    connect: false,
  })
}

describe('offline first', () => {
  it('is usable and markable from local storage without any network', async () => {
    const sb = offlineReplica(await seededStorage())
    await sb.whenLoaded
    expect(sb.status).toBe('offline')
    expect(sb.phoneNumbers()).toEqual([
      { id: 'pn1', name: 'Support', number: '+15550001', unread: 1, loaded: true },
    ])
    await sb.inbox('pn1').markDone('c1')
    expect(sb.inbox('pn1').get('c1')).toMatchObject({ status: 'done', unread: false })
    expect(sb.pending).toBe(1)
    await sb.destroy()
  })

  it('a mark resolves only once its update is durable in local storage', async () => {
    const inner = await seededStorage()
    let release!: () => void
    const gate = new Promise<void>((r) => (release = r))
    const appended: string[] = []
    const storage: ClientStorage = {
      ...inner,
      async append(room, record) {
        if (room === 'inbox:pn1') await gate
        await inner.append(room, record)
        appended.push(room)
      },
    }
    const sb = offlineReplica(storage)
    await sb.whenLoaded
    let resolved = false
    const marking = sb
      .inbox('pn1')
      .markDone('c1')
      .then(() => (resolved = true))
    await new Promise((r) => setImmediate(r))
    expect(resolved).toBe(false)
    release()
    await marking
    expect(appended).toContain('inbox:pn1')
    const reloaded = offlineReplica(inner)
    await reloaded.whenLoaded
    expect(reloaded.inbox('pn1').get('c1')?.status).toBe('done')
    await sb.destroy()
  })

  it('a failed local write rejects the mark and reports a storage error', async () => {
    const inner = await seededStorage()
    const storage: ClientStorage = {
      ...inner,
      async append(room, record) {
        if (room === 'inbox:pn1') throw new Error('disk full')
        await inner.append(room, record)
      },
    }
    const sb = offlineReplica(storage)
    await sb.whenLoaded
    await expect(sb.inbox('pn1').markDone('c1')).rejects.toThrow(/disk full/)
    expect(sb.error?.code).toBe(ErrorCode.Storage)
    await sb.destroy()
  })

  it('marking an unknown conversation fails and writes nothing', async () => {
    const sb = offlineReplica(await seededStorage())
    await sb.whenLoaded
    await expect(sb.inbox('pn1').markDone('nope')).rejects.toMatchObject({
      code: ErrorCode.NotFound,
    })
    expect(sb.pending).toBe(0)
    await sb.destroy()
  })

  // Within the drift bound only: a saved clock far ahead of the wall clock is not adopted (P6).
  it('after a restart with the wall clock 30 s behind, a new mark still sorts after the earlier one (P5)', async () => {
    const storage = await seededStorage()
    const first = offlineReplica(storage, () => 1_800_000_000_000)
    await first.whenLoaded
    await first.inbox('pn1').markDone('c1')
    const before = first.inbox('pn1').get('c1')!.decidedBy!.at
    await first.destroy()
    const again = offlineReplica(storage, () => 1_800_000_000_000 - 30_000)
    await again.whenLoaded
    await again.inbox('pn1').markOpen('c1')
    expect(again.inbox('pn1').get('c1')!.decidedBy!.at > before).toBe(true)
    expect(again.inbox('pn1').get('c1')?.status).toBe('open')
  })
})
