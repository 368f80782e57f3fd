import { afterEach, describe, expect, it } from 'vitest'
import { ErrorCode } from './errors.ts'
import { incoming, openClient, startRelay, until } from '../test/harness.ts'

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

describe('[L1] a replica declares its device on every socket', () => {
  it('a device id bound to another member stops the replica with device-taken; one with a new id syncs, and the owner keeps writing', async () => {
    const r = await startRelay()
    cleanups.push(() => r.stop())
    await r.ingest(incoming('c1', 'hello'))
    // Bob's replica connects first: its device is bound to him by his sockets, before any mark.
    const bob = await openClient(r, 'bob@example.com', { deviceId: 'web-bob-tab' })
    cleanups.push(() => bob.destroy())
    await bob.whenSynced()
    const carol = await openClient(r, 'carol@example.com', { deviceId: 'web-bob-tab' })
    cleanups.push(() => carol.destroy())
    const refused = await carol.whenSynced().then(
      () => null,
      (e: unknown) => e,
    )
    expect(refused).toMatchObject({ code: ErrorCode.DeviceTaken })
    expect(carol.error?.code).toBe(ErrorCode.DeviceTaken)
    // The owner of the id (a tab, a CLI session) opens the replica again with a new one.
    await carol.destroy()
    const renewed = await openClient(r, 'carol@example.com', { deviceId: 'web-carol-new' })
    cleanups.push(() => renewed.destroy())
    await until(renewed, () => renewed.inbox('pn1').get('c1') !== null)
    await renewed.inbox('pn1').markDone('c1')
    await renewed.whenSynced()
    await bob.inbox('pn1').markUnread('c1')
    await bob.whenSynced()
    expect(bob.error).toBeNull()
    expect(renewed.error).toBeNull()
  })
})
