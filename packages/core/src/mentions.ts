/** @module @mentions in the inbox document, so the mentioned member is alerted without opening the thread. */
import type * as Y from 'yjs'
import { inboxRoots } from './schema.ts'
import type { Mention } from './types.ts'

export function addMention(
  doc: Y.Doc,
  input: Omit<Mention, 'id' | 'cleared'>,
  origin: unknown = null,
): Mention {
  const mention: Mention = { ...input, id: `${input.noteId}.${input.memberId}`, cleared: false }
  doc.transact(() => inboxRoots.mentions(doc).set(mention.id, mention), origin)
  return mention
}

/** Marks a mention seen; only the mentioned member clears their own mentions. */
export function clearMention(doc: Y.Doc, mentionId: string, origin: unknown = null): boolean {
  const mentions = inboxRoots.mentions(doc)
  const mention = mentions.get(mentionId)
  if (!mention || mention.cleared) return false
  doc.transact(() => mentions.set(mentionId, { ...mention, cleared: true }), origin)
  return true
}

/** Uncleared mentions of a member, newest first. */
export function listMentions(doc: Y.Doc, memberId: string): Mention[] {
  return [...inboxRoots.mentions(doc).values()]
    .filter((m) => m.memberId === memberId && !m.cleared)
    .sort((a, b) => b.at - a.at)
}
