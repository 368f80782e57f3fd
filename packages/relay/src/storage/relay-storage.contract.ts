/** @module The RelayStorage contract suite: every implementation must pass it. */
import { afterEach, describe, expect, it } from 'vitest'
import type { RelayStorage } from './relay-storage.ts'

export interface StorageHarness {
  storage: RelayStorage
  /** Damage the stored bytes of a room the way a bad disk or a bad write would. */
  corrupt(room: string): void
  /** Close and reopen the same store (a restart); in-memory stores return themselves. */
  reopen(): Promise<RelayStorage>
}

const bytes = (...values: number[]) => new Uint8Array(values)

export function describeRelayStorage(name: string, create: () => Promise<StorageHarness>) {
  describe(`RelayStorage contract: ${name}`, () => {
    let open: RelayStorage[] = []
    const harness = async () => {
      const h = await create()
      open.push(h.storage)
      return h
    }
    afterEach(async () => {
      for (const s of open) await s.close().catch(() => {})
      open = []
    })

    it('an unknown room loads empty, with no snapshot and no log', async () => {
      const { storage } = await harness()
      expect(await storage.loadRoom('inbox:none')).toEqual({ snapshot: null, updates: [] })
    })

    it('appends resolve in call order with increasing ids and load back byte for byte', async () => {
      const { storage } = await harness()
      const ids = await Promise.all([
        storage.appendUpdate('a', bytes(1, 2)),
        storage.appendUpdate('b', bytes(9)),
        storage.appendUpdate('a', bytes(3)),
      ])
      expect(ids[0]! < ids[1]! && ids[1]! < ids[2]!).toBe(true)
      const room = await storage.loadRoom('a')
      expect(room.updates.map((u) => [...u.data])).toEqual([[1, 2], [3]])
      expect(room.updates.map((u) => u.id)).toEqual([ids[0], ids[2]])
      expect((await storage.logSize('a')).count).toBe(2)
      expect(await storage.listRooms()).toEqual(['a', 'b'])
    })

    it('the resolution order of appends equals the call order (acks follow storage order)', async () => {
      const { storage } = await harness()
      const order: number[] = []
      await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          storage.appendUpdate(`r${i % 3}`, bytes(i)).then(() => order.push(i)),
        ),
      )
      expect(order).toEqual(Array.from({ length: 50 }, (_, i) => i))
    })

    it('compaction replaces the log up to an id with a snapshot and keeps later entries', async () => {
      const { storage } = await harness()
      const a = await storage.appendUpdate('r', bytes(1))
      await storage.appendUpdate('r', bytes(2))
      const c = await storage.appendUpdate('r', bytes(3))
      await storage.compact('r', bytes(7, 7), a + 1)
      const room = await storage.loadRoom('r')
      expect([...room.snapshot!]).toEqual([7, 7])
      expect(room.updates.map((u) => u.id)).toEqual([c])
      expect((await storage.logSize('r')).count).toBe(1)
    })

    it('a new epoch replaces snapshot and log atomically, is loaded back with its retired ids, and archives once per key', async () => {
      const h = await harness()
      const a = await h.storage.appendUpdate('inbox:e', bytes(1))
      const b = await h.storage.appendUpdate('inbox:e', bytes(2))
      const entry = (conversationId: string, key: string) => ({
        conversationId,
        key,
        data: JSON.stringify({ key }),
      })
      await h.storage.archive('inbox:e', [entry('c1', 'd1 t1')])
      await h.storage.startEpoch('inbox:e', {
        id: 'e1',
        retired: [11, 12],
        snapshot: bytes(9),
        upToId: a,
        archive: [entry('c1', 'd1 t1'), entry('c2', 'd1 t2'), entry('c1', 'd2 t3')],
      })
      const room = await h.storage.loadRoom('inbox:e')
      expect([...room.snapshot!]).toEqual([9])
      expect(room.updates.map((u) => u.id)).toEqual([b])
      expect(room.epoch).toEqual({ id: 'e1', retired: [11, 12] })
      expect((await h.storage.readArchive('inbox:e')).map((e) => e.key)).toEqual([
        'd1 t1',
        'd1 t2',
        'd2 t3',
      ])
      expect((await h.storage.readArchive('inbox:e', 'c1')).map((e) => e.key)).toEqual([
        'd1 t1',
        'd2 t3',
      ])
      const again = await h.reopen()
      open.push(again)
      expect((await again.loadRoom('inbox:e')).epoch?.id).toBe('e1')
      expect(await again.readArchive('inbox:none')).toEqual([])
    })

    it('a room whose stored bytes are damaged is refused with code "unreadable", never served empty', async () => {
      const h = await harness()
      await h.storage.appendUpdate('inbox:x', bytes(1, 2, 3))
      h.corrupt('inbox:x')
      await expect(h.storage.loadRoom('inbox:x')).rejects.toMatchObject({ code: 'unreadable' })
      expect(await h.storage.loadRoom('inbox:other')).toEqual({ snapshot: null, updates: [] })
    })

    it('members, phone numbers, access and the conversation index round-trip', async () => {
      const { storage } = await harness()
      const m = {
        id: 'm1',
        email: 'Alice@Example.com',
        name: 'Alice',
        role: 'owner' as const,
        passwordHash: 'scrypt$x',
        createdAt: 1,
      }
      storage.putMember(m)
      expect(storage.getMember('m1')).toEqual({ ...m, email: 'alice@example.com' })
      expect(storage.getMemberByEmail('ALICE@example.com')?.id).toBe('m1')
      expect(storage.getMemberByEmail('nobody@example.com')).toBeNull()
      storage.putMember({ ...m, role: 'admin' })
      expect(storage.listMembers().map((x) => x.role)).toEqual(['admin'])

      storage.putPhoneNumber({ id: 'pn1', name: 'Sales', number: '+15550100' })
      expect(storage.getPhoneNumber('pn1')?.number).toBe('+15550100')
      expect(storage.listPhoneNumbers()).toHaveLength(1)

      storage.grantAccess('m1', 'pn1')
      storage.grantAccess('m1', 'pn1')
      expect(storage.listAccess('m1')).toEqual(['pn1'])
      storage.revokeAccess('m1', 'pn1')
      expect(storage.listAccess('m1')).toEqual([])

      storage.setConversationPhoneNumber('c1', 'pn1')
      storage.setConversationPhoneNumber('c1', 'pn2')
      expect(storage.getConversationPhoneNumber('c1')).toBe('pn1')
      expect(storage.getConversationPhoneNumber('c2')).toBeNull()

      expect(storage.recordActivity('act1')).toBe(true)
      expect(storage.recordActivity('act1')).toBe(false)
      expect(storage.hasActivity('act1')).toBe(true)

      expect(storage.bindClient('inbox:pn1', 42, 'm1')).toBe(true)
      expect(storage.bindClient('inbox:pn1', 42, 'm2')).toBe(false)
      expect(storage.getClientOwner('inbox:pn1', 42)).toBe('m1')
      expect(storage.getClientOwner('inbox:pn2', 42)).toBeNull()
      expect(storage.bindDevice('d1', 'm1')).toBe(true)
      expect(storage.bindDevice('d1', 'm2')).toBe(false)
      expect(storage.getDeviceOwner('d1')).toBe('m1')
      expect(storage.getDeviceOwner('d2')).toBeNull()

      storage.setMeta('seeded', '1')
      expect(storage.getMeta('seeded')).toBe('1')
      expect(storage.getMeta('other')).toBeNull()
    })

    it('[S6] a removed member keeps their record with the time of removal', async () => {
      const { storage } = await harness()
      const m = {
        id: 'm1',
        email: 'm1@example.com',
        name: 'M',
        role: 'member' as const,
        passwordHash: 'h',
        createdAt: 1,
      }
      storage.putMember(m)
      expect(storage.getMember('m1')?.deactivatedAt).toBeUndefined()
      storage.putMember({ ...m, deactivatedAt: 5 })
      expect(storage.getMember('m1')).toEqual({ ...m, deactivatedAt: 5 })
      expect(storage.getMemberByEmail('m1@example.com')?.deactivatedAt).toBe(5)
    })

    it('[S1][S2] sessions: stored, listed newest first, rotated once per generation, ended once, pruned', async () => {
      const { storage } = await harness()
      const base = { memberId: 'm1', expiresAt: 1000, refreshGen: 0, refreshedAt: 10 }
      storage.putSession({ ...base, id: 's1', createdAt: 10, userAgent: 'ua', ip: '10.0.0.1' })
      storage.putSession({ ...base, id: 's2', createdAt: 20 })
      storage.putSession({ ...base, id: 's3', createdAt: 30, memberId: 'm2' })
      expect(storage.getSession('s1')).toEqual({
        ...base,
        id: 's1',
        createdAt: 10,
        userAgent: 'ua',
        ip: '10.0.0.1',
      })
      expect(storage.getSession('nope')).toBeNull()
      expect(storage.listSessions('m1').map((s) => s.id)).toEqual(['s2', 's1'])

      expect(storage.rotateSession('s1', 0, 50)).toBe(true)
      expect(storage.rotateSession('s1', 0, 51)).toBe(false)
      expect(storage.getSession('s1')).toMatchObject({ refreshGen: 1, refreshedAt: 50 })

      expect(storage.endSession('s1', 60, 'logout')).toBe(true)
      expect(storage.endSession('s1', 61, 'revoked')).toBe(false)
      expect(storage.getSession('s1')).toMatchObject({ endedAt: 60, endReason: 'logout' })
      expect(storage.rotateSession('s1', 1, 70)).toBe(false)

      expect(storage.endSessions('m1', 80, 'member-removed')).toEqual(['s2'])
      expect(storage.endSessions('m1', 81, 'member-removed')).toEqual([])
      expect(storage.getSession('s3')?.endedAt).toBeUndefined()

      expect(storage.pruneSessions(70)).toBe(1)
      expect(storage.getSession('s1')).toBeNull()
      expect(storage.getSession('s2')).not.toBeNull()
      expect(storage.pruneSessions(2000)).toBe(2)
    })

    it('everything appended and resolved is there after a restart', async () => {
      const h = await harness()
      await h.storage.appendUpdate('r', bytes(4, 2))
      h.storage.putMember({
        id: 'm',
        email: 'm@example.com',
        name: 'M',
        role: 'member',
        passwordHash: 'h',
        createdAt: 0,
      })
      h.storage.bindClient('r', 7, 'm')
      h.storage.bindDevice('dev', 'm')
      h.storage.putSession({
        id: 's',
        memberId: 'm',
        createdAt: 1,
        expiresAt: 9,
        refreshGen: 2,
        refreshedAt: 3,
      })
      const again = await h.reopen()
      open.push(again)
      expect(again.getClientOwner('r', 7)).toBe('m')
      expect(again.getDeviceOwner('dev')).toBe('m')
      expect((await again.loadRoom('r')).updates.map((u) => [...u.data])).toEqual([[4, 2]])
      expect(again.getMember('m')?.email).toBe('m@example.com')
      expect(again.getSession('s')).toMatchObject({ memberId: 'm', refreshGen: 2 })
    })

    it('check() passes on an open store and appends after close are refused', async () => {
      const { storage } = await harness()
      expect(() => storage.check()).not.toThrow()
      await storage.close()
      await expect(storage.appendUpdate('r', bytes(1))).rejects.toMatchObject({ code: 'closed' })
    })
  })
}
