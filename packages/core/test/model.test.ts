import fc from 'fast-check'
import * as Y from 'yjs'
import { describe, expect, it } from 'vitest'
import {
  assignConversation,
  createHlc,
  getConversation,
  ingestActivity,
  markConversation,
  pinConversation,
  unpinConversation,
  type Author,
  type MarkKind,
} from '../src/index.ts'
import { modelStep, type ModelEvent, type ModelState } from '../src/testing/index.ts'
import { activity, sync, T0 } from './helpers.ts'

const CONVERSATIONS = ['c1', 'c2']
const event: fc.Arbitrary<{ id: string; by: number; event: ModelEvent; advance: number }> =
  fc.record({
    id: fc.constantFrom(...CONVERSATIONS),
    by: fc.nat({ max: 2 }),
    advance: fc.nat({ max: 5_000 }),
    event: fc.oneof(
      fc.constant<ModelEvent>({ type: 'incoming' }),
      fc.constant<ModelEvent>({ type: 'outgoing' }),
      fc
        .constantFrom<MarkKind>('done', 'open', 'unread', 'read')
        .map((kind): ModelEvent => ({ type: 'mark', kind })),
      fc.constant<ModelEvent>({ type: 'pin' }),
      fc.constant<ModelEvent>({ type: 'unpin' }),
      fc
        .option(fc.constantFrom('alice', 'bob', 'carol'), { nil: null })
        .map((memberId): ModelEvent => ({ type: 'assign', memberId })),
    ),
  })

describe('[M3] P5 sequential sanity', () => {
  it('[M3] without concurrency every replica equals the plain state machine of §1, with skewed clocks', () => {
    fc.assert(
      fc.property(
        fc.array(event, { maxLength: 60 }),
        fc.array(fc.integer({ min: -25_000, max: 25_000 }), { minLength: 3, maxLength: 3 }),
        (events, skews) => {
          let now = T0
          const relay = new Y.Doc()
          const members = ['alice', 'bob', 'carol']
          const devices = skews.map((skew, i) => ({
            doc: new Y.Doc(),
            author: {
              memberId: members[i]!,
              deviceId: `dev${i}`,
              clock: createHlc(`dev${i}`, () => now + skew),
            } satisfies Author,
          }))
          const model = new Map<string, ModelState | null>()
          for (const { id, by, event: e, advance } of events) {
            now += advance
            const state = model.get(id) ?? null
            const d = devices[by]!
            // Marks are made on conversations the author can see.
            if (state === null && e.type !== 'incoming' && e.type !== 'outgoing') continue
            model.set(id, modelStep(state, e))
            apply(relay, d.doc, id, e, d.author)
            sync(relay, ...devices.map((x) => x.doc))
            for (const doc of [relay, ...devices.map((x) => x.doc)]) {
              const c = getConversation(doc, id)
              const want = model.get(id)!
              expect({
                status: c?.status,
                unread: c?.unread,
                pinned: c?.pinned,
                assignee: c?.assignee,
              }).toEqual(want)
            }
          }
        },
      ),
      { numRuns: 300 },
    )
  })
})

let activityCount = 0
function apply(relay: Y.Doc, doc: Y.Doc, id: string, e: ModelEvent, author: Author): void {
  switch (e.type) {
    case 'incoming':
    case 'outgoing':
      ingestActivity(relay, activity(id, { direction: e.type, at: T0 + ++activityCount }))
      return
    case 'mark':
      markConversation(doc, id, e.kind, author)
      return
    case 'pin':
      pinConversation(doc, id, author)
      return
    case 'unpin':
      unpinConversation(doc, id, author)
      return
    case 'assign':
      assignConversation(doc, id, e.memberId, author)
  }
}
