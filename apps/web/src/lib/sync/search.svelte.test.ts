import {
  getContact,
  listContacts,
  onContactNamesChange,
  onContactsChange,
  updateContact,
} from '@switchboard/core'
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { SearchState, type ContactSource } from './search.svelte.ts'

const ANN = '+14155550100'
const BO = '+14155550111'

/** The client's contacts over a bare document, counting whole-room reads. */
function source(doc: Y.Doc) {
  const reads = { list: 0 }
  const contacts: ContactSource = {
    list: () => {
      reads.list++
      return listContacts(doc)
    },
    get: (number) => getContact(doc, number),
    whenLoaded: Promise.resolve(),
    onContactsChange: (listener) => onContactsChange(doc, listener),
    onNamesChange: (listener) => onContactNamesChange(doc, listener),
  }
  return { contacts, reads }
}

/** Waits until the index has taken in every change (its idle slices run on timers here). */
async function indexed(search: SearchState): Promise<void> {
  for (let i = 0; i < 200 && search.indexing; i++) await new Promise((r) => setTimeout(r, 5))
  expect(search.indexing).toBe(false)
}

const found = (search: SearchState, query: string) =>
  search.index.search(query).map((hit) => hit.group)

describe('search over the contacts', () => {
  it('indexes the room once, then each changed contact alone: a teammate’s edit is found, a cleared contact is not', async () => {
    const doc = new Y.Doc()
    updateContact(doc, ANN, { name: 'Ann Lee', tags: { add: ['vip'] } })
    updateContact(doc, BO, { name: 'Bo', notes: 'calls on Mondays' })
    const { contacts, reads } = source(doc)
    const search = new SearchState(contacts, 'search-test')
    await indexed(search)
    expect(found(search, 'mondays')).toHaveLength(1)
    expect(reads.list).toBe(1)

    // A teammate's edits arrive as updates of the room.
    const teammate = new Y.Doc()
    Y.applyUpdate(teammate, Y.encodeStateAsUpdate(doc))
    const before = Y.encodeStateVector(teammate)
    updateContact(teammate, ANN, { notes: 'prefers texts', tags: { remove: ['vip'] } })
    updateContact(teammate, BO, { name: null, notes: '' })
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(teammate, before))
    await indexed(search)

    expect(found(search, 'prefers')).toHaveLength(1)
    expect(found(search, 'vip')).toEqual([])
    expect(found(search, 'mondays')).toEqual([])
    expect(found(search, 'Bo')).toEqual([])
    expect(reads.list).toBe(1)
    search.destroy()
  })
})
