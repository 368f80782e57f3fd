import fc from 'fast-check'
import * as Y from 'yjs'
import { describe, expect, it } from 'vitest'
import {
  assignConversation,
  conversationIds,
  createHlc,
  getConversation,
  ingestActivity,
  markConversation,
  pinConversation,
  unreadCount,
  type Author,
  type MarkKind,
} from '../src/index.ts'
import { activity, recordUpdates, sync, T0 } from './helpers.ts'

type Step =
  | { do: 'ingest'; id: string; incoming: boolean }
  | { do: 'mark'; by: number; id: string; kind: MarkKind }
  | { do: 'pin'; by: number; id: string }
  | { do: 'assign'; by: number; id: string; to: string | null }
  | { do: 'sync'; by: number }

const id = fc.constantFrom('c1', 'c2', 'c3')
const by = fc.nat({ max: 2 })
const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ do: fc.constant('ingest' as const), id, incoming: fc.boolean() }),
  fc.record({
    do: fc.constant('mark' as const),
    by,
    id,
    kind: fc.constantFrom<MarkKind>('done', 'open', 'unread', 'read'),
  }),
  fc.record({ do: fc.constant('pin' as const), by, id }),
  fc.record({
    do: fc.constant('assign' as const),
    by,
    id,
    to: fc.option(fc.constantFrom('alice', 'bob'), { nil: null }),
  }),
  fc.record({ do: fc.constant('sync' as const), by }),
)

/** Runs a concurrent scenario (three devices that sync with the relay now and then). */
function scenario(steps: Step[]) {
  const relay = new Y.Doc()
  const docs = [new Y.Doc(), new Y.Doc(), new Y.Doc()]
  const updates = [relay, ...docs].flatMap((doc) => {
    const list = recordUpdates(doc)
    return [list]
  })
  let now = T0
  const authors: Author[] = docs.map((_, i) => ({
    memberId: `m${i}`,
    deviceId: `d${i}`,
    clock: createHlc(`d${i}`, () => now + i * 997),
  }))
  for (const s of steps) {
    now += 1_000
    if (s.do === 'ingest')
      ingestActivity(relay, activity(s.id, { direction: s.incoming ? 'incoming' : 'outgoing' }))
    else if (s.do === 'sync') sync(relay, docs[s.by]!)
    else if (s.do === 'mark') markConversation(docs[s.by]!, s.id, s.kind, authors[s.by]!)
    else if (s.do === 'pin') pinConversation(docs[s.by]!, s.id, authors[s.by]!)
    else assignConversation(docs[s.by]!, s.id, s.to, authors[s.by]!)
  }
  return updates.flat()
}

const state = (doc: Y.Doc) =>
  JSON.stringify([
    conversationIds(doc)
      .sort()
      .map((id) => getConversation(doc, id)),
    unreadCount(doc),
  ])

describe('[M7] laws of delivery', () => {
  it('[M7] update order and duplication never change the derived state', () => {
    fc.assert(
      fc.property(
        fc.array(step, { minLength: 1, maxLength: 40 }),
        fc.array(fc.nat(), { maxLength: 200 }),
        fc.array(fc.nat(), { maxLength: 20 }),
        (steps, orderKeys, duplicates) => {
          const updates = scenario(steps)
          const inOrder = new Y.Doc()
          for (const u of updates) Y.applyUpdate(inOrder, u)
          // A random permutation, with some updates delivered again at random points.
          const shuffled = updates
            .map((u, i) => ({ u, key: orderKeys[i] ?? i }))
            .sort((a, b) => a.key - b.key)
            .map((x) => x.u)
          for (const d of duplicates)
            if (updates.length)
              shuffled.splice(d % (shuffled.length + 1), 0, updates[d % updates.length]!)
          const scrambled = new Y.Doc()
          for (const u of shuffled) Y.applyUpdate(scrambled, u)
          const merged = new Y.Doc()
          Y.applyUpdate(merged, Y.mergeUpdates(shuffled))
          expect(state(scrambled)).toBe(state(inOrder))
          expect(state(merged)).toBe(state(inOrder))
        },
      ),
      { numRuns: 300 },
    )
  })
})
