/** Small builders shared by core's tests. */
import * as Y from 'yjs'
import { createHlc, ingestActivity, type Activity, type Author } from '../src/index.ts'

export const T0 = 1_750_000_000_000

/** A device with its own wall clock, which a test moves by hand. */
export function device(memberId: string, deviceId: string, wall = T0, maxDrift?: number) {
  const clock = { now: wall }
  const author: Author = {
    memberId,
    deviceId,
    clock: createHlc(deviceId, () => clock.now, maxDrift === undefined ? {} : { maxDrift }),
  }
  return { author, clock }
}

let activityCount = 0

export function activity(conversationId: string, overrides: Partial<Activity> = {}): Activity {
  const direction = overrides.direction ?? 'incoming'
  return {
    id: `act${++activityCount}`,
    conversationId,
    phoneNumberId: 'pn1',
    direction,
    kind: 'message',
    from: direction === 'incoming' ? '+15550100' : 'pn1',
    to: direction === 'incoming' ? 'pn1' : '+15550100',
    body: 'hello',
    at: T0 + activityCount,
    ...overrides,
  }
}

/** An inbox doc that has ingested one incoming (or outgoing) activity on `id`. */
export function inboxWith(id = 'c1', direction: Activity['direction'] = 'incoming') {
  const doc = new Y.Doc()
  const first = activity(id, { direction })
  ingestActivity(doc, first)
  return { doc, first }
}

/** Full two-way sync of docs. */
export function sync(...docs: Y.Doc[]): void {
  for (const a of docs)
    for (const b of docs)
      if (a !== b) Y.applyUpdate(b, Y.encodeStateAsUpdate(a, Y.encodeStateVector(b)))
}

/** Records every update a doc emits. */
export function recordUpdates(doc: Y.Doc): Uint8Array[] {
  const updates: Uint8Array[] = []
  doc.on('update', (u: Uint8Array) => updates.push(u))
  return updates
}
