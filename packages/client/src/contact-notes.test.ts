import { afterEach, describe, expect, it } from 'vitest'
import { openClient, startRelay, until, type TestRelay } from '../test/harness.ts'

const N = '+15550100'
const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

async function relay(): Promise<TestRelay> {
  const r = await startRelay()
  cleanups.push(() => r.stop())
  return r
}

async function client(r: TestRelay, email: string) {
  const sb = await openClient(r, email)
  cleanups.push(() => sb.destroy())
  await sb.contacts().whenLoaded
  return sb
}

describe('[C1][C6] contact notes through the relay', () => {
  it('[C1] two teammates typing in one note at once both keep their text; a name shows on both', async () => {
    const r = await relay()
    const alice = await client(r, 'alice@example.com')
    const bob = await client(r, 'bob@example.com')
    await alice.contacts().update(N, { notes: 'Customer since 2020.' })
    await until(bob, () => bob.contacts().get(N).notes === 'Customer since 2020.')
    // Each types as a text field reports it: the whole value after each keystroke.
    const typing = async (sb: typeof alice, words: string, atEnd: boolean) => {
      for (let i = 0; i < words.length; i++) {
        const notes = sb.contacts().get(N).notes
        const next = atEnd ? notes + words[i] : words.slice(0, i + 1) + notes.slice(i)
        await sb.contacts().update(N, { notes: next })
      }
    }
    await Promise.all([typing(alice, ' Alice: VIP.', true), typing(bob, 'Bob: refund. ', false)])
    await Promise.all([alice.whenSynced(), bob.whenSynced()])
    const want = 'Bob: refund. Customer since 2020. Alice: VIP.'
    await until(alice, () => alice.contacts().get(N).notes === want)
    await until(bob, () => bob.contacts().get(N).notes === want)
    await bob.contacts().update(N, { name: 'Ada Lovelace' })
    await until(alice, () => alice.contacts().get(N).name === 'Ada Lovelace')
  })

  it('[C6] a teammate editing the note is shown, and no longer once they leave the field', async () => {
    const r = await relay()
    const alice = await client(r, 'alice@example.com')
    const bob = await client(r, 'bob@example.com')
    bob.contacts().editing(N)
    const changed = () =>
      new Promise<void>((resolve) => {
        const off = alice.contacts().onChange(() => (off(), resolve()))
      })
    while (alice.contacts().editors(N).length === 0) await changed()
    expect(alice.contacts().editors(N)).toEqual([{ memberId: 'bob', name: 'Bob Nguyen' }])
    expect(alice.contacts().editors('+15550199')).toEqual([])
    expect(bob.contacts().editors(N)).toEqual([])
    bob.contacts().editing(null)
    while (alice.contacts().editors(N).length > 0) await changed()
  })
})
