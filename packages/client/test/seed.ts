/** What a replica's storage holds after an earlier sync, for offline tests. */
import { grantAccess, ingestActivity, setMember, setPhoneNumber } from '@switchboard/core'
import * as Y from 'yjs'
import type { ClientStorage } from '../src/storage/client-storage.ts'
import type { Member } from '../src/types.ts'

export const alice: Member = {
  id: 'alice',
  email: 'alice@example.com',
  name: 'Alice',
  role: 'owner',
}

/**
 * Appends alice's workspace (phone number pn1, shared with her) and an inbox holding one incoming
 * message per conversation id.
 */
export async function seedReplica(storage: ClientStorage, conversationIds = ['c1']): Promise<void> {
  const workspace = new Y.Doc()
  setMember(workspace, alice)
  setPhoneNumber(workspace, { id: 'pn1', name: 'Support', number: '+15550001' })
  grantAccess(workspace, 'alice', 'pn1')
  const inbox = new Y.Doc()
  for (const conversationId of conversationIds)
    ingestActivity(inbox, {
      id: `a-${conversationId}`,
      conversationId,
      phoneNumberId: 'pn1',
      direction: 'incoming',
      kind: 'message',
      from: '+15551230000',
      to: '+15550001',
      body: 'hello',
      at: 1_700_000_000_000,
    })
  await storage.append('workspace', Y.encodeStateAsUpdate(workspace))
  await storage.append('inbox:pn1', Y.encodeStateAsUpdate(inbox))
}
