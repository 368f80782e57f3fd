/**
 * @module How the CLI names a conversation [C7]: the name the team gave its first participant,
 * else the provider's name, else its numbers — as the web app does.
 */
import type { Conversation } from '@switchboard/core'
import type { Switchboard } from '@switchboard/client/node'

/** A conversation's name as the team sees it. */
export type ConversationName = (c: Pick<Conversation, 'participants' | 'contactName'>) => string

/**
 * Opens the team's contacts room and names conversations by it; `sync` (null offline) waits for
 * the room's state, as it opened after the command's first sync.
 */
export async function contactLabels(
  sb: Switchboard,
  sync: (() => Promise<void>) | null,
): Promise<ConversationName> {
  const contacts = sb.contacts()
  await contacts.whenLoaded
  if (sync) await sync()
  return (c) => {
    const number = c.participants[0]
    return (
      (number === undefined ? null : contacts.name(number)) ??
      c.contactName ??
      c.participants.join(', ')
    )
  }
}
