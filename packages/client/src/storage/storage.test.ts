import { mkdtempSync, rmSync, statSync, truncateSync, appendFileSync, readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { IDBFactory } from 'fake-indexeddb'
import { afterEach, describe, expect, it } from 'vitest'
import { memoryStorage, type ClientStorage } from './client-storage.ts'
import { fileStorage } from './file.ts'
import { indexeddbStorage } from './indexeddb.ts'

/** One implementation under test: `open` returns a storage over the same place each time. */
interface Subject {
  name: string
  setup(): { open(): ClientStorage; persistent: boolean; cleanup(): void }
}

const subjects: Subject[] = [
  {
    name: 'memory',
    setup() {
      const storage = memoryStorage()
      return { open: () => storage, persistent: false, cleanup() {} }
    },
  },
  {
    name: 'file',
    setup() {
      const dir = mkdtempSync(join(tmpdir(), 'sb-storage-'))
      return {
        open: () => fileStorage(dir),
        persistent: true,
        cleanup: () => rmSync(dir, { recursive: true, force: true }),
      }
    },
  },
  {
    name: 'indexeddb',
    setup() {
      const factory = new IDBFactory()
      return {
        open: () => indexeddbStorage({ indexedDB: factory }),
        persistent: true,
        cleanup() {},
      }
    },
  },
]

const bytes = (...values: number[]) => new Uint8Array(values)

describe.each(subjects)('ClientStorage contract: $name', (subject) => {
  let env: ReturnType<Subject['setup']>
  const opened: ClientStorage[] = []
  function open(): ClientStorage {
    env ??= subject.setup()
    const s = env.open()
    opened.push(s)
    return s
  }
  afterEach(async () => {
    for (const s of opened.splice(0)) await s.close()
    env?.cleanup()
    env = undefined as unknown as typeof env
  })

  it('loads nothing for a room never written', async () => {
    expect(await open().load('inbox:pn1')).toEqual([])
  })

  it('loads appended records in append order, byte for byte', async () => {
    const s = open()
    await s.append('inbox:pn1', bytes(1, 2, 3))
    await s.append('inbox:pn1', bytes())
    await s.append('inbox:pn1', bytes(255))
    expect(await s.load('inbox:pn1')).toEqual([bytes(1, 2, 3), bytes(), bytes(255)])
  })

  it('keeps rooms apart, whatever characters their names hold', async () => {
    const s = open()
    await s.append('inbox:pn1', bytes(1))
    await s.append('inbox:pn1/..', bytes(2))
    await s.append('conversation:c é%', bytes(3))
    expect(await s.load('inbox:pn1')).toEqual([bytes(1)])
    expect(await s.load('inbox:pn1/..')).toEqual([bytes(2)])
    expect(await s.load('conversation:c é%')).toEqual([bytes(3)])
  })

  it('stores a copy: changing the caller’s bytes later changes nothing', async () => {
    const s = open()
    const record = bytes(7, 7)
    await s.append('r', record)
    record[0] = 0
    const [loaded] = await s.load('r')
    loaded![1] = 0
    expect(await s.load('r')).toEqual([bytes(7, 7)])
  })

  it('compact replaces every record with the snapshot; later appends follow it', async () => {
    const s = open()
    await s.append('r', bytes(1))
    await s.append('r', bytes(2))
    await s.compact('r', bytes(9, 9))
    await s.append('r', bytes(3))
    expect(await s.load('r')).toEqual([bytes(9, 9), bytes(3)])
  })

  it('clear(room) forgets one room, clear() every room', async () => {
    const s = open()
    await s.append('a', bytes(1))
    await s.append('b', bytes(2))
    await s.clear('a')
    expect(await s.load('a')).toEqual([])
    expect(await s.load('b')).toEqual([bytes(2)])
    await s.append('a', bytes(3))
    await s.clear()
    expect(await s.load('a')).toEqual([])
    expect(await s.load('b')).toEqual([])
  })

  it('records that resolved are there after the storage is closed and reopened', async () => {
    const first = open()
    if (!env.persistent) return
    await first.append('r', bytes(1))
    await first.compact('r', bytes(5))
    await first.append('r', bytes(6))
    await first.close()
    const second = open()
    expect(await second.load('r')).toEqual([bytes(5), bytes(6)])
  })
})

describe('fileStorage', () => {
  const dirs: string[] = []
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
  })
  function tempDir() {
    const d = mkdtempSync(join(tmpdir(), 'sb-file-'))
    dirs.push(d)
    return d
  }

  it('drops a torn last record instead of applying it, and appends after the good ones', async () => {
    const dir = tempDir()
    const s = fileStorage(dir)
    await s.append('r', bytes(1, 2))
    await s.append('r', bytes(3, 4, 5))
    await s.close()
    const [log] = readdirSync(dir).filter((n) => n.endsWith('.log'))
    const path = join(dir, log!)
    truncateSync(path, statSync(path).size - 2)
    appendFileSync(path, Buffer.from([])) // the tail is now a header with half a body
    const again = fileStorage(dir)
    expect(await again.load('r')).toEqual([bytes(1, 2)])
    await again.append('r', bytes(6))
    expect(await again.load('r')).toEqual([bytes(1, 2), bytes(6)])
    await again.close()
  })

  it('refuses a second open of one replica directory until the first is closed', async () => {
    const dir = tempDir()
    const s = fileStorage(dir)
    expect(() => fileStorage(dir)).toThrow(/in use|already open/)
    await s.close()
    const again = fileStorage(dir)
    await again.close()
  })
})
