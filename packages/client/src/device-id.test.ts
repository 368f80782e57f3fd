import { describe, expect, it } from 'vitest'
import { claimDeviceId } from './device-id.ts'

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

function fakeStorage() {
  const data = new Map<string, string>()
  return {
    getItem: (k: string) => data.get(k) ?? null,
    setItem: (k: string, v: string) => void data.set(k, v),
  }
}

describe('claimDeviceId', () => {
  it('[P2] two live tabs never get the same device id', async () => {
    const locks = fakeLocks()
    const storage = fakeStorage()
    const a = await claimDeviceId({ locks, storage })
    const b = await claimDeviceId({ locks, storage })
    expect(a.deviceId).not.toBe(b.deviceId)
  })

  it('a tab opened after another closed reuses its id, so reloads do not mint new writers', async () => {
    const locks = fakeLocks()
    const storage = fakeStorage()
    const first = await claimDeviceId({ locks, storage })
    first.release()
    await new Promise((r) => setImmediate(r))
    const next = await claimDeviceId({ locks, storage })
    expect(next.deviceId).toBe(first.deviceId)
  })

  it('[L1] a discarded id (bound to another member by the relay) is never claimed again', async () => {
    const locks = fakeLocks()
    const storage = fakeStorage()
    const taken = await claimDeviceId({ locks, storage })
    taken.discard()
    await new Promise((r) => setImmediate(r))
    const next = await claimDeviceId({ locks, storage })
    expect(next.deviceId).not.toBe(taken.deviceId)
  })

  it('without Web Locks every claim is a fresh id', async () => {
    const a = await claimDeviceId({ storage: fakeStorage(), locks: undefined })
    const b = await claimDeviceId({ storage: fakeStorage(), locks: undefined })
    expect(a.deviceId).not.toBe(b.deviceId)
  })
})
