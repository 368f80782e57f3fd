import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { contactNameOf, contactNames, onContactNamesChange, updateContact } from '../src/index.ts'
import { sync } from './helpers.ts'

const ANN = '+15550100'
const BO = '+15550111'

describe('contact names', () => {
  it('[C7] reads the name the team gave a contact; null when none, cleared or blank', () => {
    const doc = new Y.Doc()
    expect(contactNameOf(doc, ANN)).toBeNull()
    updateContact(doc, ANN, { name: 'Ann Lee' })
    expect(contactNameOf(doc, ANN)).toBe('Ann Lee')
    expect(contactNameOf(doc, BO)).toBeNull()
    updateContact(doc, ANN, { name: '  ' })
    expect(contactNameOf(doc, ANN)).toBeNull()
    updateContact(doc, ANN, { name: 'Ann' })
    updateContact(doc, ANN, { name: null })
    expect(contactNameOf(doc, ANN)).toBeNull()
  })

  it('[C7] a property or tag called "name" is not the name', () => {
    const doc = new Y.Doc()
    updateContact(doc, ANN, { properties: { name: 'Not it' }, tags: { add: ['name'] } })
    expect(contactNameOf(doc, ANN)).toBeNull()
    expect([...contactNames(doc)]).toEqual([])
  })

  it('[C7] a document loaded with names holds them; a teammate’s rename arrives with its numbers', () => {
    const alice = new Y.Doc()
    updateContact(alice, ANN, { name: 'Ann Lee', tags: { add: ['vip'] } })
    const bob = new Y.Doc()
    sync(alice, bob)
    expect(contactNameOf(bob, ANN)).toBe('Ann Lee')

    const heard: string[][] = []
    const off = onContactNamesChange(bob, (numbers) => heard.push([...numbers]))
    updateContact(alice, BO, { name: 'Bo', notes: 'Calls on Mondays' })
    updateContact(alice, ANN, { tags: { add: ['late payer'] } })
    sync(alice, bob)
    expect(heard).toEqual([[BO]])
    expect(contactNameOf(bob, BO)).toBe('Bo')
    expect(new Map(contactNames(bob))).toEqual(
      new Map([
        [ANN, 'Ann Lee'],
        [BO, 'Bo'],
      ]),
    )

    // The same name written again changes nothing; a cleared name is heard.
    updateContact(bob, BO, { name: 'Bo' })
    updateContact(bob, ANN, { name: null })
    expect(heard).toEqual([[BO], [ANN]])
    off()
    updateContact(bob, BO, { name: 'Bo B.' })
    expect(heard).toHaveLength(2)
    expect(contactNameOf(bob, BO)).toBe('Bo B.')
  })

  it('[C7] two renames made at once keep one name, the same on both replicas', () => {
    const alice = new Y.Doc()
    const bob = new Y.Doc()
    updateContact(alice, ANN, { name: 'Ann (Alice)' })
    updateContact(bob, ANN, { name: 'Ann (Bob)' })
    sync(alice, bob)
    expect(contactNameOf(alice, ANN)).toBe(contactNameOf(bob, ANN))
    expect(['Ann (Alice)', 'Ann (Bob)']).toContain(contactNameOf(alice, ANN))
  })
})
