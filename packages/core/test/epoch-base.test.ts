import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import {
  baseOf,
  compactInbox,
  conversationIds,
  forEachMark,
  forEachRecord,
  getConversation,
  inboxRoots,
  ingestActivity,
  markConversation,
  markKey,
  onConversationsChange,
  pinConversation,
  readActivityLog,
  readMark,
  readRecord,
  SEP,
  teamFigures,
  unreadCount,
} from '../src/index.ts'
import { activity, device, sync, T0 } from './helpers.ts'

/** A relay doc of `n` conversations that alice marked Done (even ones) and pinned (every third). */
function markedInbox(n: number) {
  const relay = new Y.Doc()
  for (let i = 0; i < n; i++) ingestActivity(relay, activity(`c${i}`, { at: T0 + i }))
  const alice = device('alice', 'a1')
  const doc = new Y.Doc()
  sync(relay, doc)
  for (let i = 0; i < n; i += 2) markConversation(doc, `c${i}`, 'done', alice.author)
  for (let i = 0; i < n; i += 3) pinConversation(doc, `c${i}`, alice.author)
  sync(relay, doc)
  return { relay, alice }
}

const states = (doc: Y.Doc) =>
  Object.fromEntries(conversationIds(doc).map((id) => [id, getConversation(doc, id)]))

const epochOfRelay = (relay: Y.Doc, epoch = 'e1') =>
  compactInbox(relay, { epoch, historySince: 0, now: T0 }).doc

const structCount = (doc: Y.Doc) => {
  let n = 0
  doc.store.clients.forEach((structs) => (n += structs.length))
  return n
}

describe('[E6] the epoch base', () => {
  it('[E6] an epoch holds its records, winners and log in a few items, however many conversations', () => {
    const small = epochOfRelay(markedInbox(10).relay)
    const { relay } = markedInbox(300)
    const big = epochOfRelay(relay)
    // One item per value would be 300 records + 250 winners + 300 log entries.
    expect(structCount(big)).toBe(structCount(small))
    expect(structCount(big)).toBeLessThan(20)
    expect(states(big)).toEqual(states(relay))
    expect(unreadCount(big)).toBe(unreadCount(relay))
    expect(readActivityLog(big)).toEqual(readActivityLog(relay))
  })

  it('[E6] a value written after the epoch overrides the base value under the same key', () => {
    const { relay, alice } = markedInbox(6)
    const epoch = epochOfRelay(relay)
    expect(getConversation(epoch, 'c0')).toMatchObject({ status: 'done', pinned: true })
    const doneAt = readMark(epoch, markKey('c0', 'status', 'a1'))!.at

    // The relay ingests into a base conversation: its record is now live, and it reopens (P3).
    ingestActivity(epoch, activity('c0', { id: 'late', at: T0 + 100 }))
    expect(readRecord(epoch, 'c0')).toMatchObject({ incoming: { id: 'late', seq: 2 } })
    expect(getConversation(epoch, 'c0')).toMatchObject({ status: 'open', unread: true })
    // Alice, on a replica of the epoch, marks it Done again over her own base entry.
    const replica = new Y.Doc()
    sync(epoch, replica)
    alice.clock.now += 1000
    markConversation(replica, 'c0', 'done', alice.author)
    sync(epoch, replica)
    const mark = readMark(epoch, markKey('c0', 'status', 'a1'))!
    expect(mark.at > doneAt).toBe(true)
    expect(getConversation(epoch, 'c0')).toMatchObject({ status: 'done', unread: false })

    // The base itself is untouched: other readers of the document share it.
    expect(baseOf(epoch)!.get('c0')!.status!.at).toBe(doneAt)

    // A live entry of another device competes with the base winner by clock (P2), not by layer:
    // Bob's replica, offline since before the epoch, marked c2 Open at an older time.
    const bob = device('bob', 'b1', T0 - 60_000)
    const offline = new Y.Doc()
    markConversation(offline, 'c2', 'open', bob.author)
    sync(epoch, offline)
    expect(getConversation(epoch, 'c2')).toMatchObject({ status: 'done' })
    markConversation(offline, 'c2', 'open', bob.author)
    sync(epoch, offline)
    expect(getConversation(epoch, 'c2')).toMatchObject({ status: 'open' })

    // Each key is read once: the live value, never also the base one.
    const records: string[] = []
    forEachRecord(epoch, (_r, id) => records.push(id))
    expect(records.sort()).toEqual(['c0', 'c1', 'c2', 'c3', 'c4', 'c5'])
    const keys: string[] = []
    forEachMark(epoch, (entry, key) => {
      keys.push(key)
      if (key === markKey('c0', 'status', 'a1')) expect(entry).toEqual(mark)
    })
    expect(new Set(keys).size).toBe(keys.length)
    expect(readActivityLog(epoch).map((e) => e.id)).toContain('late')
    expect(readActivityLog(epoch).at(-1)!.id).toBe('late')
  })

  it('[E6] a replica whose index was read before the epoch arrived reads it anew and hears every conversation', () => {
    const { relay } = markedInbox(8)
    const epoch = epochOfRelay(relay)
    const fresh = new Y.Doc()
    expect(conversationIds(fresh)).toEqual([])
    const heard = new Set<string>()
    onConversationsChange(fresh, (ids) => ids.forEach((id) => heard.add(id)))
    sync(epoch, fresh)
    expect(heard.size).toBe(8)
    expect(states(fresh)).toEqual(states(relay))
    expect(unreadCount(fresh)).toBe(unreadCount(relay))
  })

  it('[E6] an epoch of an epoch keeps the state, the log and the winners', () => {
    const { relay, alice } = markedInbox(12)
    const first = epochOfRelay(relay)
    ingestActivity(first, activity('c1', { at: T0 + 500 }))
    alice.clock.now += 5000
    markConversation(first, 'c3', 'unread', alice.author)
    const second = epochOfRelay(first, 'e2')
    expect(inboxRoots.marks(second).size).toBe(0)
    expect(states(second)).toEqual(states(first))
    const range = { from: 0, to: T0 + 1e9 }
    expect(teamFigures(second, range)).toEqual(teamFigures(first, range))
  })

  it('[E6] marks on a conversation without a record survive an epoch', () => {
    const relay = new Y.Doc()
    const bob = device('bob', 'b1')
    markConversation(relay, 'ghost', 'done', bob.author)
    const epoch = epochOfRelay(relay)
    expect(readMark(epoch, markKey('ghost', 'status', 'b1'))).toEqual(
      readMark(relay, markKey('ghost', 'status', 'b1')),
    )
    const arrived = activity('ghost', { at: T0 - 1 })
    ingestActivity(epoch, arrived)
    ingestActivity(relay, arrived)
    expect(getConversation(epoch, 'ghost')).toEqual(getConversation(relay, 'ghost'))
  })

  it('[E6] an unreadable base line is skipped; the other conversations are read', () => {
    const { relay } = markedInbox(4)
    const epoch = epochOfRelay(relay)
    const meta = inboxRoots.meta(epoch)
    const lines = (meta.get('base') as string).split('\n')
    lines[1] = 'c1' + SEP + '[2,"broken'
    meta.set('base', lines.join('\n'))
    expect(baseOf(epoch)!.has('c1')).toBe(false)
    expect(conversationIds(epoch).sort()).toEqual(['c0', 'c2', 'c3'])
    expect(getConversation(epoch, 'c2')).toEqual(getConversation(relay, 'c2'))
  })
})
