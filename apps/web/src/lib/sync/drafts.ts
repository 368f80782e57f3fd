/**
 * @module Drafts: the reply and the note typed in a conversation and not sent, kept on this
 * device per member and conversation (localStorage), so they survive opening another
 * conversation, a reload, or a night offline. Sending clears them; erasing the device's copy
 * of the inbox at sign-out erases them too.
 */

export interface Draft {
  reply: string
  note: string
}

const PREFIX = 'switchboard:draft:'

/** The draft store: localStorage in the browser, anything with its three methods in tests. */
export type DraftStorage = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'> &
  Partial<Pick<Storage, 'key' | 'length'>>

function defaultStorage(): DraftStorage | null {
  return typeof localStorage === 'undefined' ? null : localStorage
}

function keyOf(memberId: string, conversationId: string): string {
  return `${PREFIX}${memberId}:${conversationId}`
}

/** The draft of a conversation, empty when none was kept (or storage is unavailable). */
export function readDraft(
  memberId: string,
  conversationId: string,
  storage: DraftStorage | null = defaultStorage(),
): Draft {
  try {
    const raw = storage?.getItem(keyOf(memberId, conversationId))
    if (!raw) return { reply: '', note: '' }
    const value = JSON.parse(raw) as Partial<Draft>
    return {
      reply: typeof value.reply === 'string' ? value.reply : '',
      note: typeof value.note === 'string' ? value.note : '',
    }
  } catch {
    return { reply: '', note: '' }
  }
}

/** Keeps a conversation's draft; an empty one (all sent) is removed. */
export function saveDraft(
  memberId: string,
  conversationId: string,
  draft: Draft,
  storage: DraftStorage | null = defaultStorage(),
): void {
  const key = keyOf(memberId, conversationId)
  try {
    if (draft.reply.trim() === '' && draft.note.trim() === '') storage?.removeItem(key)
    else storage?.setItem(key, JSON.stringify({ reply: draft.reply, note: draft.note }))
  } catch {
    // Storage full or refused (private mode): the text stays in the box, only not across reloads.
  }
}

/** Removes every draft kept on this device, every member's (erasing the device's copy). */
export function eraseDrafts(storage: DraftStorage | null = defaultStorage()): void {
  if (!storage?.key || storage.length === undefined) return
  const keys: string[] = []
  for (let i = 0; i < storage.length; i++) {
    const key = storage.key(i)
    if (key?.startsWith(PREFIX)) keys.push(key)
  }
  for (const key of keys) storage.removeItem(key)
}
