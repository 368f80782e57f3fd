/**
 * @module Builders shared by `src/bounded.ts` and workload 7 (`src/churn.ts`): an inbox room, a
 * history of many writer ids (every page load of plain Yjs is a new client id), and the plain
 * Yjs rates on such a room.
 */
import * as encoding from 'lib0/encoding'
import * as Y from 'yjs'
import {
  conversationIds,
  createHlc,
  ingestActivity,
  markConversation,
  markKey,
  type Author,
  type MarkKind,
} from '@switchboard/core'

export const KINDS: MarkKind[] = ['done', 'open', 'unread', 'read']

/** Yjs v1 item info: has a parentSub (a map key), content type 8 (ContentAny). */
const ITEM_WITH_PARENT_SUB_ANY = 0x20 | 8

/** A seeded PRNG (mulberry32), so every run builds the same rooms. */
export function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** An inbox room with `conversations` conversations, one incoming message each. */
export function inboxWith(conversations: number, phoneNumberId = 'pn1'): Y.Doc {
  const doc = new Y.Doc()
  const start = Date.now() - 400 * 86_400_000
  for (let i = 0; i < conversations; i++)
    ingestActivity(doc, {
      id: `a${i}`,
      conversationId: `c${i}`,
      phoneNumberId,
      direction: 'incoming',
      kind: 'message',
      from: `+1555${String(i).padStart(7, '0')}`,
      to: '+15550000000',
      body: `Hello, this is message ${i} about my order`,
      at: start + i * 1000,
    })
  return doc
}

export interface ChurnHistory {
  /** Writer ids `firstClient + from` … `firstClient + to - 1`. */
  from: number
  to: number
  /** Conversation ids the marks go to (round robin). */
  conversations: readonly string[]
  /** Members the marks are signed by (round robin; the relay accepts only the signed-in one). */
  memberIds: readonly string[]
  /** Device id of writer w: `${devicePrefix}${w}`. */
  devicePrefix: string
  firstClient?: number
  /** Writers per update (each update stands alone: no struct refers to another writer's). */
  chunk?: number
}

/** The one-mark update of writer `w`, as Y.encodeStateAsUpdate of a doc holding only it. */
function writerMark(h: ChurnHistory, w: number, at: number) {
  const deviceId = `${h.devicePrefix}${w}`
  return {
    client: (h.firstClient ?? 10_000_000) + w,
    key: markKey(h.conversations[w % h.conversations.length]!, 'flag', deviceId),
    value: {
      kind: 'read',
      at: `${String(at + w).padStart(15, '0')}.000000.${deviceId}`,
      by: h.memberIds[w % h.memberIds.length]!,
      device: deviceId,
      seen: 1,
    },
  }
}

/**
 * Updates giving a room a history of writer ids, each of which made one mark (flag lane, under
 * its own device) 200 days ago. Encoded directly in the Yjs v1 format (one root map item per
 * client, clock 0, no deletions): building them through Yjs takes one doc per writer (one
 * transaction per writer in one doc would itself cost O(writers²), the very effect measured),
 * too slow for a quick run. The first writer of each call is also built through Yjs and must match.
 */
export function churnHistory(h: ChurnHistory): Uint8Array[] {
  const chunk = h.chunk ?? 2_000
  const at = Date.now() - 200 * 86_400_000
  const out: Uint8Array[] = []
  for (let start = h.from; start < h.to; start += chunk) {
    const marks = []
    for (let w = start; w < Math.min(h.to, start + chunk); w++) marks.push(writerMark(h, w, at))
    // Yjs writes clients in descending id order.
    marks.sort((a, b) => b.client - a.client)
    const e = encoding.createEncoder()
    encoding.writeVarUint(e, marks.length)
    for (const m of marks) {
      encoding.writeVarUint(e, 1) // structs of this client
      encoding.writeVarUint(e, m.client)
      encoding.writeVarUint(e, 0) // clock
      encoding.writeUint8(e, ITEM_WITH_PARENT_SUB_ANY)
      encoding.writeVarUint(e, 1) // parent is a root type, by name
      encoding.writeVarString(e, 'marks')
      encoding.writeVarString(e, m.key)
      encoding.writeVarUint(e, 1) // one value
      encoding.writeAny(e, m.value)
    }
    encoding.writeVarUint(e, 0) // no deletions
    out.push(encoding.toUint8Array(e))
  }
  if (h.to > h.from) {
    const m = writerMark(h, h.from, at)
    const one = new Y.Doc()
    one.clientID = m.client
    one.getMap('marks').set(m.key, m.value)
    const viaYjs = Y.encodeStateAsUpdate(one)
    one.destroy()
    const e = encoding.createEncoder()
    encoding.writeVarUint(e, 1)
    encoding.writeVarUint(e, 1)
    encoding.writeVarUint(e, m.client)
    encoding.writeVarUint(e, 0)
    encoding.writeUint8(e, ITEM_WITH_PARENT_SUB_ANY)
    encoding.writeVarUint(e, 1)
    encoding.writeVarString(e, 'marks')
    encoding.writeVarString(e, m.key)
    encoding.writeVarUint(e, 1)
    encoding.writeAny(e, m.value)
    encoding.writeVarUint(e, 0)
    if (Buffer.compare(Buffer.from(encoding.toUint8Array(e)), Buffer.from(viaYjs)) !== 0)
      throw new Error('churnHistory: hand-encoded update differs from Yjs')
  }
  return out
}

/** An inbox room of 5,000 conversations whose history held `writers` client ids. */
export function churned(writers: number, conversations = 5_000): Y.Doc {
  const doc = inboxWith(conversations)
  const ids = Array.from({ length: conversations }, (_, i) => `c${i}`)
  const memberIds = Array.from({ length: 10 }, (_, i) => `m${i}`)
  for (const u of churnHistory({
    from: 0,
    to: writers,
    conversations: ids,
    memberIds,
    devicePrefix: 'tab',
  }))
    Y.applyUpdate(doc, u)
  return doc
}

/** `n` marks by one new device on a replica of `room`: its updates, and how long making them took. */
export function makeMarks(
  room: Y.Doc,
  n: number,
  author: Author = { memberId: 'm1', deviceId: 'bench', clock: createHlc('bench') },
): { client: Y.Doc; updates: Uint8Array[]; ms: number } {
  const client = new Y.Doc()
  Y.applyUpdate(client, Y.encodeStateAsUpdate(room))
  const updates: Uint8Array[] = []
  client.on('update', (u: Uint8Array) => updates.push(u))
  const ids = conversationIds(client)
  const t0 = performance.now()
  for (let i = 0; i < n; i++) markConversation(client, ids[i % ids.length]!, KINDS[i % 4]!, author)
  return { client, updates, ms: performance.now() - t0 }
}

/**
 * The plain Yjs peer path, as `@y/websocket-server` and Hocuspocus run it: each update applied
 * with Y.applyUpdate into the room's Y.Doc, whose `update` listener encodes it for broadcast.
 * Returns ms.
 */
export function applyEach(room: Y.Doc, updates: readonly Uint8Array[]): number {
  let bytes = 0
  const onUpdate = (u: Uint8Array) => {
    bytes += u.byteLength
  }
  room.on('update', onUpdate)
  const t0 = performance.now()
  for (const u of updates) Y.applyUpdate(room, u, 'peer')
  const ms = performance.now() - t0
  room.off('update', onUpdate)
  if (bytes === 0 && updates.length > 0) throw new Error('no update was applied')
  return ms
}

/** Marks/s: `n` marks by one device, each applied to `room` as its own update (the peer path). */
export function applyRate(room: Y.Doc, n: number) {
  const { client, updates, ms } = makeMarks(room, n)
  client.destroy()
  const relayMs = applyEach(room, updates)
  return {
    marks: n,
    relayPerS: Math.round((n / relayMs) * 1000),
    clientPerS: Math.round((n / ms) * 1000),
  }
}
