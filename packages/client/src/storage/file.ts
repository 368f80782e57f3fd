/**
 * @module File storage for Node replicas (the CLI, bots): one append-only log per room in a
 * directory. Each record is framed `[u32 length][u32 crc32][bytes]` and fsync'd before `append`
 * resolves; a torn or corrupt tail (power cut mid-write) is dropped on load, never applied.
 * Compaction writes a new log beside the old one, fsyncs it and renames it over the old one.
 * A `LOCK` file holds the directory for one process, so two never append to one replica.
 */
import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs'
import { open, readFile, readdir, rename, rm, type FileHandle } from 'node:fs/promises'
import { join } from 'node:path'
import { crc32 } from 'node:zlib'
import type { ClientStorage } from './client-storage.ts'
import { SwitchboardError } from '../errors.ts'

const HEADER = 8
const SUFFIX = '.log'

export interface FileStorageOptions {
  /** Take the directory's LOCK file (default true). */
  lock?: boolean
}

function fileName(room: string): string {
  return encodeURIComponent(room).replace(/\./g, '%2E') + SUFFIX
}

function frame(record: Uint8Array): Buffer {
  const out = Buffer.alloc(HEADER + record.length)
  out.writeUInt32BE(record.length, 0)
  out.writeUInt32BE(crc32(record), 4)
  out.set(record, HEADER)
  return out
}

/** Records of a log, and the byte length of its valid prefix. */
function parse(buf: Buffer): { records: Uint8Array[]; valid: number } {
  const records: Uint8Array[] = []
  let pos = 0
  while (pos + HEADER <= buf.length) {
    const len = buf.readUInt32BE(pos)
    const sum = buf.readUInt32BE(pos + 4)
    if (pos + HEADER + len > buf.length) break
    const body = buf.subarray(pos + HEADER, pos + HEADER + len)
    if (crc32(body) !== sum) break
    records.push(new Uint8Array(body))
    pos += HEADER + len
  }
  return { records, valid: pos }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Directories this process holds, so a second `fileStorage` on one directory is refused too. */
const held = new Set<string>()

function takeLock(dir: string): () => void {
  const path = join(dir, 'LOCK')
  if (held.has(path))
    throw new SwitchboardError('replica-locked', `replica ${dir} is already open in this process`)
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx')
      writeSync(fd, String(process.pid))
      closeSync(fd)
      held.add(path)
      return () => {
        held.delete(path)
        try {
          if (readFileSync(path, 'utf8') === String(process.pid)) unlinkSync(path)
        } catch {
          // already gone
        }
      }
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e
      const pid = Number(readFileSync(path, 'utf8'))
      if (pid && pid !== process.pid && alive(pid))
        throw new SwitchboardError('replica-locked', `replica ${dir} is in use by process ${pid}`)
      unlinkSync(path)
    }
  }
  throw new SwitchboardError('replica-locked', `cannot lock replica ${dir}`)
}

async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}

/** Append-only logs in `dir` (created if missing). */
export function fileStorage(dir: string, options: FileStorageOptions = {}): ClientStorage {
  mkdirSync(dir, { recursive: true })
  const unlock = options.lock === false ? () => {} : takeLock(dir)
  const handles = new Map<string, Promise<FileHandle>>()
  let closed = false

  /** Open a room's log for appending, cutting off a torn tail first. */
  function handle(room: string): Promise<FileHandle> {
    if (closed) throw new Error('fileStorage: closed')
    let h = handles.get(room)
    if (!h) {
      h = (async () => {
        const fh = await open(join(dir, fileName(room)), 'a+')
        const buf = await fh.readFile()
        const { valid } = parse(buf)
        if (valid < buf.length) {
          await fh.truncate(valid)
          await fh.sync()
        }
        return fh
      })()
      handles.set(room, h)
      h.catch(() => handles.delete(room))
    }
    return h
  }

  async function release(room: string): Promise<void> {
    const h = handles.get(room)
    handles.delete(room)
    if (h) await (await h).close().catch(() => {})
  }

  return {
    async load(room) {
      let buf: Buffer
      try {
        buf = await readFile(join(dir, fileName(room)))
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return []
        throw e
      }
      return parse(buf).records
    },
    async append(room, record) {
      const fh = await handle(room)
      await fh.write(frame(record))
      await fh.datasync()
    },
    async compact(room, snapshot) {
      const target = join(dir, fileName(room))
      const tmp = target + '.tmp'
      const fh = await open(tmp, 'w')
      try {
        await fh.write(frame(snapshot))
        await fh.sync()
      } finally {
        await fh.close()
      }
      await release(room)
      await rename(tmp, target)
      await fsyncDir(dir)
    },
    async clear(room) {
      if (room !== undefined) {
        await release(room)
        await rm(join(dir, fileName(room)), { force: true })
        return
      }
      for (const r of [...handles.keys()]) await release(r)
      for (const name of await readdir(dir))
        if (name.endsWith(SUFFIX)) await rm(join(dir, name), { force: true })
    },
    async close() {
      if (closed) return
      for (const r of [...handles.keys()]) await release(r)
      closed = true
      unlock()
    },
  }
}
