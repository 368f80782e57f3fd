/**
 * Issue 8 §3 — storage faults [DESIGN §4 "A room whose stored state cannot be read is refused,
 * never started empty"].
 *
 * The relay's SQLite store is damaged between runs (a flipped byte in the last log entry, a torn
 * entry whose checksum was rewritten, a damaged snapshot) or fills up while it runs (a storage
 * wrapper whose appends fail with ENOSPC). The damaged room is refused with 4500 before any
 * document byte, nothing is written over it, and every other room is served whole. The client's
 * file store drops a torn or corrupt log tail and keeps every complete record before it.
 */
import { readdirSync, statSync, truncateSync, writeFileSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { crc32 } from 'node:zlib'
import { conversationIds, markConversation, createHlc, type Activity } from '@switchboard/core'
import { fileStorage } from '@switchboard/client/node'
import { MessageType, readAck } from '@switchboard/protocol'
import { createSqliteStorage, StorageError, type RelayStorage } from '@switchboard/relay'
import Database from 'better-sqlite3'
import { afterAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { WebsocketProvider } from 'y-websocket'
import * as Y from 'yjs'
import { recordFigures, waitFor } from './support/figures.ts'
import { login, startLocalRelay, tempDir, type LocalRelay } from './support/relay.ts'

const workspace = {
  phoneNumbers: ['pn1', 'pn2'],
  members: [['alice', 'owner', ['pn1', 'pn2']]] as [string, 'owner', string[]][],
}
const results: {
  fault: string
  code: number | null
  bytesBeforeClose: number
  othersServed: boolean
  recovered: string
}[] = []
afterAll(() => recordFigures('storage-faults', { cases: results }))

let seq = 0
const activity = (conversationId: string, phoneNumberId: string): Activity => ({
  id: `sf-${++seq}`,
  conversationId,
  phoneNumberId,
  direction: 'incoming',
  kind: 'message',
  from: '+15550100000',
  to: '+14155551000',
  body: `hello ${seq}`,
  at: Date.now() - 1000,
})

/** Opens a raw socket; resolves with the close code and how many messages came before it. */
function probe(relay: LocalRelay, room: string, token: string, waitMs = 1500) {
  return new Promise<{ code: number | null; messages: number }>((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${relay.port}/sync/${room}?token=${token}`)
    let messages = 0
    ws.on('error', () => {})
    ws.on('message', () => messages++)
    // An empty sync step 1: a served room answers with its whole state.
    ws.on('open', () => ws.send(new Uint8Array([0, 0, 1, 0])))
    const t = setTimeout(() => {
      ws.terminate()
      resolve({ code: null, messages })
    }, waitMs)
    ws.on('close', (code) => {
      clearTimeout(t)
      resolve({ code, messages })
    })
  })
}

async function seeded(options: { compactEvery?: number } = {}) {
  const relay = await startLocalRelay({ workspace, ...options })
  for (let i = 0; i < 6; i++) {
    await relay.relay.ingest(activity(`a${i}`, 'pn1'))
    await relay.relay.ingest(activity(`b${i}`, 'pn2'))
  }
  return relay
}

const roomRows = (dataDir: string, room: string) => {
  const db = new Database(join(dataDir, 'relay.db'))
  const rows = db
    .prepare<[string], { id: number; data: Buffer }>(
      'SELECT id, data FROM updates WHERE room = ? ORDER BY id',
    )
    .all(room)
  const snap = db
    .prepare<[string], { data: Buffer }>('SELECT data FROM snapshots WHERE room = ?')
    .get(room)
  db.close()
  return JSON.stringify([
    rows.map((r) => [r.id, r.data.toString('hex')]),
    snap?.data.toString('hex') ?? null,
  ])
}

async function damagedRoom(
  fault: string,
  damage: (db: Database.Database) => void,
  options: { compactEvery?: number } = {},
) {
  const first = await seeded(options)
  const dataDir = first.dataDir
  await first.close()
  const db = new Database(join(dataDir, 'relay.db'))
  damage(db)
  db.close()
  const before = roomRows(dataDir, 'inbox:pn1')
  const relay = await startLocalRelay({ dataDir })
  const { token } = await login(relay.url, 'alice@example.com')
  const refused = await probe(relay, 'inbox:pn1', token)
  const other = await probe(relay, 'inbox:pn2', token, 500)
  // The relay's own writes to the refused room fail rather than start it empty.
  const ingest = await relay.relay.ingest(activity('a0', 'pn1')).then(
    () => 'stored',
    (e: unknown) => (e instanceof StorageError ? e.code : String(e)),
  )
  const health = (await fetch(`${relay.url}/healthz`)).status
  const after = roomRows(dataDir, 'inbox:pn1')
  await relay.close()
  results.push({
    fault,
    code: refused.code,
    bytesBeforeClose: refused.messages,
    othersServed: other.code === null && other.messages > 0,
    recovered: 'every other room, unchanged bytes of the damaged one',
  })
  return { refused, other, ingest, health, unchanged: before === after }
}

describe('[§4] a relay room whose stored bytes are damaged is refused, never served empty', () => {
  it('a flipped byte in the last log entry (checksum mismatch): 4500 before any byte, other rooms served, nothing written over it', async () => {
    const r = await damagedRoom('corrupt log tail (flipped byte)', (db) => {
      db.prepare(
        `UPDATE updates SET data = CAST(substr(data, 1, length(data) - 1) || X'FF' AS BLOB)
         WHERE id = (SELECT max(id) FROM updates WHERE room = 'inbox:pn1')`,
      ).run()
    })
    expect(r.refused).toEqual({ code: 4500, messages: 0 })
    expect(r.other.code).toBeNull()
    expect(r.other.messages).toBeGreaterThan(0)
    expect(r.ingest).toBe('unreadable')
    expect(r.health).toBe(200)
    expect(r.unchanged).toBe(true)
  })

  it('a torn last entry whose checksum was rewritten to match (truncated update): 4500, never a partial document', async () => {
    const r = await damagedRoom('truncated log tail (checksum rewritten)', (db) => {
      const row = db
        .prepare<[], { id: number; data: Buffer }>(
          `SELECT id, data FROM updates WHERE room = 'inbox:pn1' ORDER BY id DESC LIMIT 1`,
        )
        .get()!
      const torn = row.data.subarray(0, Math.floor(row.data.length / 2))
      db.prepare('UPDATE updates SET data = ?, crc = ? WHERE id = ?').run(torn, crc32(torn), row.id)
    })
    expect(r.refused).toEqual({ code: 4500, messages: 0 })
    expect(r.other.messages).toBeGreaterThan(0)
    expect(r.unchanged).toBe(true)
  })

  it('a damaged snapshot: 4500, other rooms served', async () => {
    const r = await damagedRoom(
      'unreadable snapshot',
      (db) => {
        const n = db
          .prepare(`SELECT count(*) AS n FROM snapshots WHERE room = 'inbox:pn1'`)
          .get() as {
          n: number
        }
        expect(n.n).toBe(1)
        db.prepare(
          `UPDATE snapshots SET data = zeroblob(length(data)) WHERE room = 'inbox:pn1'`,
        ).run()
      },
      { compactEvery: 3 },
    )
    expect(r.refused).toEqual({ code: 4500, messages: 0 })
    expect(r.other.messages).toBeGreaterThan(0)
    expect(r.unchanged).toBe(true)
  })

  it('a full disk (appends fail with ENOSPC): the write is neither acknowledged nor shown to others, the socket gets 4500, and once space is back the client pushes it again and it is stored', async () => {
    const dataDir = tempDir('full-disk')
    const sqlite = createSqliteStorage({ path: join(dataDir, 'relay.db') })
    let full = false
    const storage: RelayStorage = {
      ...sqlite,
      appendUpdate: (room, update) =>
        full
          ? Promise.reject(new StorageError('io', 'ENOSPC: no space left on device'))
          : sqlite.appendUpdate(room, update),
    }
    const relay = await startLocalRelay({ dataDir, storage, workspace, roomIdleMs: 50 })
    await relay.relay.ingest(activity('f1', 'pn1'))
    const { token } = await login(relay.url, 'alice@example.com')
    const wsUrl = `ws://127.0.0.1:${relay.port}/sync`
    const connect = (ack: boolean) => {
      const doc = new Y.Doc()
      const provider = new WebsocketProvider(wsUrl, 'inbox:pn1', doc, {
        params: ack ? { token, ack: '1' } : { token },
        WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
        disableBc: true,
        maxBackoffTime: 100,
      })
      const closes: number[] = []
      provider.on('connection-close', (e) => e && closes.push(e.code))
      return { doc, provider, closes }
    }
    const writer = connect(true)
    const watcher = connect(false)
    let acked = 0
    writer.provider.messageHandlers[MessageType.Ack] = (_e, d) => {
      const { clientId, clock } = readAck(d)
      if (clientId === writer.doc.clientID) acked = Math.max(acked, clock)
    }
    await waitFor(() => writer.provider.synced && watcher.provider.synced, 'both synced')
    await waitFor(() => conversationIds(writer.doc).length > 0, 'conversation loaded')
    full = true
    markConversation(writer.doc, 'f1', 'done', {
      memberId: 'alice',
      deviceId: 'dev-full',
      clock: createHlc('dev-full'),
    })
    const target = Y.getState(writer.doc.store, writer.doc.clientID)
    await waitFor(() => writer.closes.includes(4500), 'the writer is told 4500')
    const ackedWhileFull = acked >= target
    const watcherSawIt = watcher.doc.getMap('marks').size > 0
    full = false
    await waitFor(() => acked >= target, 'the mark is stored once space is back', 30_000)
    await waitFor(() => watcher.doc.getMap('marks').size > 0, 'the watcher sees it', 30_000)
    writer.provider.destroy()
    watcher.provider.destroy()
    await relay.close()
    results.push({
      fault: 'full disk (ENOSPC on append)',
      code: 4500,
      bytesBeforeClose: -1,
      othersServed: true,
      recovered: 'the refused write, pushed again by the client once space is back',
    })
    expect(ackedWhileFull).toBe(false)
    expect(watcherSawIt).toBe(false)
  })
})

describe('the client file store keeps what is whole', () => {
  it('a torn or corrupt log tail is dropped on reopen; every complete record before it is kept', async () => {
    const dir = tempDir('client-tail')
    const s = fileStorage(dir)
    const records = Array.from({ length: 5 }, (_, i) => new Uint8Array([i, i, i, i, i, i]))
    for (const r of records) await s.append('inbox:pn1', r)
    await s.close()
    const log = readdirSync(dir)
      .map((f) => join(dir, f))
      .find((f) => f.includes('inbox') && statSync(f).isFile())!
    // Torn: the last record loses its last 3 bytes.
    truncateSync(log, statSync(log).size - 3)
    const torn = fileStorage(dir)
    const afterTear = await torn.load('inbox:pn1')
    await torn.close()
    // Corrupt: a byte inside the 4th record's body flips (records are [u32 len][u32 crc][6 bytes]).
    const bytes = readFileSync(log)
    bytes[3 * 14 + 8 + 2]! ^= 0xff
    writeFileSync(log, bytes)
    const corrupt = fileStorage(dir)
    const afterCorrupt = await corrupt.load('inbox:pn1')
    await corrupt.close()
    results.push({
      fault: 'client file store: torn tail, then corrupt tail',
      code: null,
      bytesBeforeClose: -1,
      othersServed: true,
      recovered: `${afterTear.length}/5 then ${afterCorrupt.length}/5 records (every whole one before the damage)`,
    })
    expect(afterTear.map((r) => [...r])).toEqual(records.slice(0, 4).map((r) => [...r]))
    expect(afterCorrupt.map((r) => [...r])).toEqual(records.slice(0, 3).map((r) => [...r]))
  })
})
