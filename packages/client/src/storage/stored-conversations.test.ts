import { IDBFactory } from 'fake-indexeddb'
import { addNote, appendActivity, roomName } from '@switchboard/core'
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { indexeddbStorage } from './indexeddb.ts'
import { readStoredConversation, storedConversationIds } from './stored-conversations.ts'

describe('stored conversations (search reads them offline without opening their rooms)', () => {
  it('lists the conversations stored under a prefix and reads their messages and notes', async () => {
    const indexedDB = new IDBFactory()
    const storage = indexeddbStorage({ prefix: 'switchboard:alice:', indexedDB })
    const doc = new Y.Doc()
    doc.on('update', (u: Uint8Array) => void storage.append(roomName.conversation('c1'), u))
    appendActivity(doc, {
      id: 'a1',
      conversationId: 'c1',
      phoneNumberId: 'pn1',
      direction: 'incoming',
      kind: 'message',
      from: '+14155550100',
      to: '+14155550142',
      body: 'The valve keeps sticking',
      at: 1,
    })
    addNote(doc, { author: 'alice', body: 'Call the plumber', mentions: [] })
    await storage.append(roomName.inbox('pn1'), Y.encodeStateAsUpdate(new Y.Doc()))
    await storage.append('other:c9', new Uint8Array([0, 0]))
    // Another member's replica on the same browser is not listed.
    const bob = indexeddbStorage({ prefix: 'switchboard:bob:', indexedDB })
    await bob.append(roomName.conversation('c2'), Y.encodeStateAsUpdate(new Y.Doc()))
    await new Promise((r) => setTimeout(r, 10))

    expect(await storedConversationIds({ prefix: 'switchboard:alice:', indexedDB })).toEqual(['c1'])
    const c1 = await readStoredConversation('c1', { prefix: 'switchboard:alice:', indexedDB })
    expect(c1?.activities.map((a) => a.body)).toEqual(['The valve keeps sticking'])
    expect(c1?.notes.map((n) => n.body)).toEqual(['Call the plumber'])
  })

  it('reads nothing for a conversation never stored, and does not create its database', async () => {
    const indexedDB = new IDBFactory()
    expect(await readStoredConversation('c404', { prefix: 'p:', indexedDB })).toBeNull()
    expect(await storedConversationIds({ prefix: 'p:', indexedDB })).toEqual([])
  })
})
