/**
 * A room stores exactly the document its writers made. A client update that integrates whole is
 * stored as its own bytes instead of Yjs's re-encoding of the transaction, so `integratesWhole`
 * must say yes only when those bytes equal what the doc's `update` event would carry, and a room
 * fed that way must store, broadcast and reload the same document.
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { markConversation } from '@switchboard/core'
import { afterEach, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { integratesWhole } from './integrates-whole.ts'
import { createSqliteStorage } from './storage/sqlite.ts'
import {
  author,
  connectProvider,
  incoming,
  startTestRelay,
  trackAcks,
  until,
  updatesOf,
  type TestRelay,
} from './test-helpers.ts'

function whole(room: Y.Doc, update: Uint8Array): boolean {
  const { structs, ds } = Y.decodeUpdate(update)
  return integratesWhole(room, structs, ds)
}

/** What the doc's `update` event carries when `update` is applied (null: no event). */
function emitted(room: Y.Doc, update: Uint8Array): Uint8Array | null {
  const got = updatesOf(room, () => Y.applyUpdate(room, update))
  return got.length === 0 ? null : Y.mergeUpdates(got)
}

const same = (a: Y.Doc, b: Y.Doc) => {
  expect(Y.encodeStateVector(a)).toEqual(Y.encodeStateVector(b))
  expect(a.getMap('marks').toJSON()).toEqual(b.getMap('marks').toJSON())
  expect(a.getArray('history').toJSON()).toEqual(b.getArray('history').toJSON())
}

describe('an update stored as its own bytes carries what the update event would', () => {
  it('marks, overwrites, array pushes, deletions and merged writers integrate whole, and their bytes are what the update event carries', () => {
    const room = new Y.Doc()
    const a = new Y.Doc()
    const b = new Y.Doc()
    const sync = () => {
      for (const d of [a, b]) {
        Y.applyUpdate(d, Y.encodeStateAsUpdate(room))
        Y.applyUpdate(room, Y.encodeStateAsUpdate(d))
      }
    }
    sync()
    const cases: Uint8Array[] = []
    cases.push(...updatesOf(a, () => markConversation(a, 'c1', 'done', author('alice', 'da'))))
    cases.push(...updatesOf(a, () => markConversation(a, 'c1', 'open', author('alice', 'da'))))
    const fromB = updatesOf(b, () => b.getArray('history').push([{ n: 1 }, { n: 2 }]))
    const fromA = updatesOf(a, () => a.getArray('history').push([{ n: 3 }]))
    cases.push(Y.mergeUpdates([...fromB, ...fromA]))
    for (const u of cases) {
      expect(whole(room, u)).toBe(true)
      const check = new Y.Doc()
      Y.applyUpdate(check, Y.encodeStateAsUpdate(room))
      const event = emitted(check, u)!
      // The same document, whichever bytes are stored.
      const viaEvent = new Y.Doc()
      const viaOwn = new Y.Doc()
      for (const d of [viaEvent, viaOwn]) Y.applyUpdate(d, Y.encodeStateAsUpdate(room))
      Y.applyUpdate(viaEvent, event)
      Y.applyUpdate(viaOwn, u)
      same(viaEvent, viaOwn)
      Y.applyUpdate(room, u)
    }
    sync()
    // Deleting an item the room has (with a struct of the same writer).
    const del = updatesOf(a, () => {
      a.getArray('history').delete(0, 1)
      a.getArray('history').push([{ n: 4 }])
    })
    expect(whole(room, Y.mergeUpdates(del))).toBe(true)
  })

  it('duplicates, gaps, unknown origins, unknown deletions and deletions alone do not integrate whole', () => {
    const room = new Y.Doc()
    const a = new Y.Doc()
    const [u1, u2] = [
      ...updatesOf(a, () => markConversation(a, 'c1', 'done', author('alice', 'da'))),
      ...updatesOf(a, () => markConversation(a, 'c2', 'done', author('alice', 'da'))),
    ]
    expect(whole(room, u2!)).toBe(false) // builds past a gap
    Y.applyUpdate(room, u1!)
    expect(whole(room, u1!)).toBe(false) // the room has it already
    expect(whole(room, Y.mergeUpdates([u1!, u2!]))).toBe(false) // half of it
    expect(whole(room, u2!)).toBe(true)

    // An item placed after one of a writer the room never received.
    const c = new Y.Doc()
    const d = new Y.Doc()
    Y.applyUpdate(d, Y.encodeStateAsUpdate(room))
    Y.applyUpdate(c, Y.encodeStateAsUpdate(room))
    c.getArray('history').push([{ from: 'c' }])
    Y.applyUpdate(d, Y.encodeStateAsUpdate(c))
    const after = updatesOf(d, () => d.getArray('history').push([{ from: 'd' }]))
    expect(whole(room, Y.mergeUpdates(after))).toBe(false)
    // Deleting it: a deletion the room cannot place, and nothing else.
    const gone = updatesOf(d, () =>
      d.getArray('history').delete(d.getArray('history').length - 1, 1),
    )
    expect(whole(room, Y.mergeUpdates(gone))).toBe(false)
  })
})

let relay: TestRelay | null = null
afterEach(async () => {
  await relay?.close()
  relay = null
})

describe('[§4 durable] a room stores the document its writers made', () => {
  it('a room fed whole updates broadcasts, acknowledges and reloads after a restart the same document the writer has', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'relay-whole-')), 'relay.db')
    relay = await startTestRelay({ storage: createSqliteStorage({ path }) })
    expect((await relay.webhook(incoming('c-w-1', 'pn-a'))).status).toBe(202)
    expect((await relay.webhook(incoming('c-w-2', 'pn-a'))).status).toBe(202)
    const token = await relay.login('alice@example.com')
    const writer = connectProvider(relay.wsUrl, 'inbox:pn-a', token, { ack: '1' })
    const reader = connectProvider(
      relay.wsUrl,
      'inbox:pn-a',
      await relay.login('carol@example.com'),
    )
    const acks = trackAcks(writer)
    await Promise.all([writer.synced, reader.synced])
    const me = author('alice', 'dev-whole')
    for (let i = 0; i < 30; i++) {
      markConversation(
        writer.doc,
        `c-w-${(i % 2) + 1}`,
        ['done', 'open', 'unread'][i % 3] as 'done',
        me,
      )
      if (i % 3 === 0) await acks.acked()
    }
    await acks.acked()
    await until(
      () =>
        Y.getState(reader.doc.store, writer.doc.clientID) ===
        Y.getState(writer.doc.store, writer.doc.clientID),
      'the reader has every mark',
    )
    same(reader.doc, writer.doc)
    reader.destroy()
    const expected = Y.encodeStateAsUpdate(writer.doc)
    writer.destroy()
    await relay.close()

    relay = await startTestRelay({ storage: createSqliteStorage({ path }) })
    const again = connectProvider(relay.wsUrl, 'inbox:pn-a', await relay.login('carol@example.com'))
    await again.synced
    const want = new Y.Doc()
    Y.applyUpdate(want, expected)
    await until(() => Y.encodeStateVector(again.doc).length === Y.encodeStateVector(want).length)
    same(again.doc, want)
    again.destroy()
  })
})
