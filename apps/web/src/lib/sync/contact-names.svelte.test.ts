import type { Contacts } from '@switchboard/client'
import { contactNameOf, contactNames, onContactNamesChange, updateContact } from '@switchboard/core'
import { flushSync } from 'svelte'
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { ContactNames } from './contact-names.svelte.ts'

const ANN = '+14155550100'
const BO = '+14155550111'

/** The client's name look-ups over a bare contacts document. */
function source(doc: Y.Doc): Pick<Contacts, 'name' | 'names' | 'onNamesChange'> {
  return {
    name: (number) => contactNameOf(doc, number),
    names: () => contactNames(doc),
    onNamesChange: (listener) => onContactNamesChange(doc, listener),
  }
}

describe('ContactNames', () => {
  it('[C7] a rename re-runs what read that contact’s name, and nothing that read another', async () => {
    const doc = new Y.Doc()
    updateContact(doc, BO, { name: 'Bo' })
    const names = new ContactNames(source(doc))
    const seen: Record<string, (string | null)[]> = { ann: [], bo: [] }
    const stop = $effect.root(() => {
      $effect(() => void seen.ann!.push(names.nameOf({ participants: [ANN] })))
      $effect(() => void seen.bo!.push(names.of(BO)))
    })
    flushSync()
    expect(seen).toEqual({ ann: [null], bo: ['Bo'] })

    updateContact(doc, ANN, { name: 'Ann Lee' })
    flushSync()
    expect(seen).toEqual({ ann: [null, 'Ann Lee'], bo: ['Bo'] })

    // Another field of Bo's, or of a contact nobody reads, re-runs nothing.
    updateContact(doc, BO, { tags: { add: ['vip'] } })
    updateContact(doc, '+14155550199', { name: 'Cy' })
    flushSync()
    expect(seen).toEqual({ ann: [null, 'Ann Lee'], bo: ['Bo'] })

    updateContact(doc, BO, { name: null })
    flushSync()
    expect(seen).toEqual({ ann: [null, 'Ann Lee'], bo: ['Bo', null] })
    stop()

    // Read again once nothing watched it: a new watcher hears the next rename.
    await Promise.resolve()
    const again: (string | null)[] = []
    const stopAgain = $effect.root(() => {
      $effect(() => void again.push(names.of(ANN)))
    })
    flushSync()
    updateContact(doc, ANN, { name: 'Ann L.' })
    flushSync()
    expect(again).toEqual(['Ann Lee', 'Ann L.'])
    stopAgain()
    names.destroy()
  })

  it('[C7] counts renames and looks names up for a whole list without subscribing', () => {
    const doc = new Y.Doc()
    const names = new ContactNames(source(doc))
    expect(names.lookup()({ participants: [ANN] })).toBeNull()
    expect(names.changes).toBe(0)
    updateContact(doc, ANN, { name: 'Ann Lee' })
    expect(names.changes).toBe(1)
    expect(names.version).toBe(1)
    const lookup = names.lookup()
    expect(lookup({ participants: [ANN] })).toBe('Ann Lee')
    expect(lookup({ participants: [BO] })).toBeNull()
    expect(lookup({ participants: [] })).toBeNull()
    expect(names.peek({ participants: [ANN] })).toBe('Ann Lee')
    names.destroy()
    updateContact(doc, ANN, { name: 'Ann' })
    expect(names.changes).toBe(1)
  })
})
