/** @module The RoomLog contract suite: every backend runs it (`runRoomLogContract`). */
import { afterEach, describe, expect, it } from 'vitest'
import type { RoomLog } from './room-log.ts'

export interface RoomLogHarness {
  log: RoomLog
  /** Damage the stored bytes of a room the way a bad disk or a bad write would. */
  corrupt(room: string): void
  /** Close this log and open the same store again (a restart). */
  reopen(): Promise<RoomLogHarness>
  close(): Promise<void>
}

const bytes = (...values: number[]) => new Uint8Array(values)
const turn = () => new Promise((resolve) => setImmediate(resolve))

export function runRoomLogContract(name: string, make: () => Promise<RoomLogHarness>) {
  describe(`RoomLog contract: ${name}`, () => {
    let open: RoomLogHarness[] = []
    const harness = async () => {
      const h = await make()
      open.push(h)
      return h
    }
    const reopen = async (h: RoomLogHarness) => {
      const again = await h.reopen()
      open.push(again)
      return again
    }
    afterEach(async () => {
      for (const h of open) await h.close().catch(() => {})
      open = []
    })

    it('an unknown room loads empty, with no snapshot and no log', async () => {
      const { log } = await harness()
      expect(await log.loadRoom('inbox:none')).toEqual({ snapshot: null, updates: [] })
    })

    it('appends resolve in call order with increasing ids and load back byte for byte', async () => {
      const { log } = await harness()
      const ids = await Promise.all([
        log.appendUpdate('a', bytes(1, 2)),
        log.appendUpdate('b', bytes(9)),
        log.appendUpdate('a', bytes(3)),
      ])
      expect(ids[0]! < ids[1]! && ids[1]! < ids[2]!).toBe(true)
      const room = await log.loadRoom('a')
      expect(room.updates.map((u) => [...u.data])).toEqual([[1, 2], [3]])
      expect(room.updates.map((u) => u.id)).toEqual([ids[0], ids[2]])
      expect((await log.logSize('a')).count).toBe(2)
      expect(await log.listRooms()).toEqual(['a', 'b'])
    })

    it('the resolution order of appends equals the call order (acks follow storage order)', async () => {
      const { log } = await harness()
      const order: number[] = []
      await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          log.appendUpdate(`r${i % 3}`, bytes(i)).then(() => order.push(i)),
        ),
      )
      expect(order).toEqual(Array.from({ length: 50 }, (_, i) => i))
    })

    it('[§4 durable] a room’s concurrent appends, small and big, made in one turn or while earlier ones are being written, resolve and read back in call order (a socket’s updates are acknowledged in the order sent)', async () => {
      const { log } = await harness()
      const sizes = [1, 100 * 1024, 3, 70 * 1024, 2, 1, 200 * 1024, 5]
      const resolved: number[] = []
      const appends: Promise<number>[] = []
      const others: Promise<number>[] = []
      for (let i = 0; i < 40; i++) {
        const data = new Uint8Array(sizes[i % sizes.length]!).fill(i)
        appends.push(log.appendUpdate('inbox:order', data).then((id) => (resolved.push(i), id)))
        if (i % 3 === 0) others.push(log.appendUpdate(`inbox:other-${i % 2}`, bytes(i)))
        if (i % 5 === 4) await turn()
      }
      const ids = await Promise.all(appends)
      await Promise.all(others)
      expect(resolved).toEqual(Array.from({ length: 40 }, (_, i) => i))
      expect(ids).toEqual([...ids].sort((a, b) => a - b))
      expect(new Set(ids).size).toBe(40)
      const stored = (await log.loadRoom('inbox:order')).updates
      expect(stored.map((u) => u.id)).toEqual(ids)
      expect(stored.map((u) => [u.data[0], u.data.byteLength])).toEqual(
        ids.map((_, i) => [i, sizes[i % sizes.length]]),
      )
    })

    it('compaction replaces the log up to an id with a snapshot and keeps later entries', async () => {
      const { log } = await harness()
      const a = await log.appendUpdate('r', bytes(1))
      await log.appendUpdate('r', bytes(2))
      const c = await log.appendUpdate('r', bytes(3))
      await log.compact('r', bytes(7, 7), a + 1)
      const room = await log.loadRoom('r')
      expect([...room.snapshot!]).toEqual([7, 7])
      expect(room.updates.map((u) => u.id)).toEqual([c])
      expect((await log.logSize('r')).count).toBe(1)
    })

    it('a new epoch replaces snapshot and log atomically, is loaded back with its retired ids, and archives once per key', async () => {
      const h = await harness()
      const a = await h.log.appendUpdate('inbox:e', bytes(1))
      const b = await h.log.appendUpdate('inbox:e', bytes(2))
      const entry = (conversationId: string, key: string) => ({
        conversationId,
        key,
        data: JSON.stringify({ key }),
      })
      await h.log.archive('inbox:e', [entry('c1', 'd1 t1')])
      await h.log.startEpoch('inbox:e', {
        id: 'e1',
        retired: [11, 12],
        snapshot: bytes(9),
        upToId: a,
        archive: [entry('c1', 'd1 t1'), entry('c2', 'd1 t2'), entry('c1', 'd2 t3')],
      })
      const room = await h.log.loadRoom('inbox:e')
      expect([...room.snapshot!]).toEqual([9])
      expect(room.updates.map((u) => u.id)).toEqual([b])
      expect(room.epoch).toEqual({ id: 'e1', retired: [11, 12] })
      expect((await h.log.readArchive('inbox:e')).map((e) => e.key)).toEqual([
        'd1 t1',
        'd1 t2',
        'd2 t3',
      ])
      expect((await h.log.readArchive('inbox:e', 'c1')).map((e) => e.key)).toEqual([
        'd1 t1',
        'd2 t3',
      ])
      const again = (await reopen(h)).log
      expect((await again.loadRoom('inbox:e')).epoch?.id).toBe('e1')
      expect(await again.readArchive('inbox:none')).toEqual([])
    })

    it('a room whose stored bytes are damaged is refused with code "unreadable", never served empty', async () => {
      const h = await harness()
      await h.log.appendUpdate('inbox:x', bytes(1, 2, 3))
      h.corrupt('inbox:x')
      await expect(h.log.loadRoom('inbox:x')).rejects.toMatchObject({ code: 'unreadable' })
      expect(await h.log.loadRoom('inbox:other')).toEqual({ snapshot: null, updates: [] })
    })

    it('everything appended and resolved is there after a restart', async () => {
      const h = await harness()
      await h.log.appendUpdate('r', bytes(4, 2))
      const again = (await reopen(h)).log
      expect((await again.loadRoom('r')).updates.map((u) => [...u.data])).toEqual([[4, 2]])
    })

    it('appends after close are refused with code "closed"', async () => {
      const h = await harness()
      await h.close()
      await expect(h.log.appendUpdate('r', bytes(1))).rejects.toMatchObject({ code: 'closed' })
    })
  })
}
