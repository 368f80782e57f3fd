/**
 * @module An inbox room grown through core, shared by workload 5 (`src/growth.ts`) and workload 3
 * (`src/reconnect.ts`): N conversations ingested, then M marks from D devices, each conversation
 * triaged again and again by a few of them, so marks overwrite marks and the history grows.
 * Devices share one Y.Doc: its clientID is switched per device between transactions.
 */
import * as Y from 'yjs'
import { createHlc, markConversation, type Author, type MarkKind } from '@switchboard/core'
import { inboxWith, rng } from './churn-history.ts'

export interface GrownRoom {
  doc: Y.Doc
  /** Encoded size of the conversations alone, before any mark. */
  conversationsOnlyBytes: number
  buildMs: number
}

const KINDS: MarkKind[] = ['done', 'open', 'unread', 'read']

/**
 * `onStage` is called with the state vector before the marks and every `stageMarks` marks after
 * (and once at the end), so a caller can cut the history into updates of bounded size.
 */
export function growRoom(
  conversations: number,
  marks: number,
  devices: number,
  opts: { phoneNumberId?: string; stageMarks?: number; onStage?: (doc: Y.Doc) => void } = {},
): GrownRoom {
  const random = rng(42)
  const t0 = performance.now()
  // One transaction per activity, as the relay ingests them (core's index is per transaction).
  const doc = inboxWith(conversations, opts.phoneNumberId)
  const conversationsOnlyBytes = Y.encodeStateAsUpdate(doc).byteLength
  opts.onStage?.(doc)
  const relayClient = doc.clientID
  const authors: { author: Author; clientID: number }[] = []
  for (let d = 0; d < devices; d++) {
    const deviceId = `device${d}`
    authors.push({
      author: { memberId: `m${d % 10}`, deviceId, clock: createHlc(deviceId) },
      clientID: 1_000_000 + d,
    })
  }
  const stage = opts.stageMarks ?? Infinity
  for (let i = 0; i < marks; i++) {
    const c = Math.floor(random() * conversations)
    const { author, clientID } = authors[(c + Math.floor(random() * 3)) % devices]!
    doc.clientID = clientID
    markConversation(doc, `c${c}`, KINDS[Math.floor(random() * KINDS.length)]!, author)
    if ((i + 1) % stage === 0 && i + 1 < marks) {
      doc.clientID = relayClient
      opts.onStage?.(doc)
    }
  }
  doc.clientID = relayClient
  if (marks > 0) opts.onStage?.(doc)
  return { doc, conversationsOnlyBytes, buildMs: performance.now() - t0 }
}
