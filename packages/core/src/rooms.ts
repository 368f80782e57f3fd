/** @module Room names: one Y.Doc per room (DESIGN §3). */

export type RoomKind = 'workspace' | 'contacts' | 'inbox' | 'conversation'

export interface Room {
  kind: RoomKind
  /** phoneNumberId for inbox rooms, conversationId for conversation rooms. */
  id: string | null
  name: string
}

const ID_RE = /^[A-Za-z0-9_.+\-~]{1,128}$/

export const roomName = {
  workspace: 'workspace',
  contacts: 'contacts',
  inbox: (phoneNumberId: string) => `inbox:${phoneNumberId}`,
  conversation: (conversationId: string) => `conversation:${conversationId}`,
} as const

/** Parses a room name; null when it is not one of the four kinds or its id is malformed. */
export function parseRoom(name: string): Room | null {
  if (name === 'workspace' || name === 'contacts') return { kind: name, id: null, name }
  const colon = name.indexOf(':')
  if (colon < 0) return null
  const kind = name.slice(0, colon)
  const id = name.slice(colon + 1)
  if ((kind !== 'inbox' && kind !== 'conversation') || !ID_RE.test(id)) return null
  return { kind, id, name }
}

/** Ids used in room names and map keys: no separators, bounded length. */
export function isValidId(id: unknown): id is string {
  return typeof id === 'string' && ID_RE.test(id)
}
