import { afterEach, describe, expect, it } from 'vitest'
import { openClient, startRelay, until } from '../test/harness.ts'

const N = '+15550100'
const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

/** Alice and Bob on one relay, their contacts rooms loaded. */
async function aliceAndBob() {
  const r = await startRelay()
  cleanups.push(() => r.stop())
  return Promise.all(
    ['alice@example.com', 'bob@example.com'].map(async (email) => {
      const sb = await openClient(r, email)
      cleanups.push(() => sb.destroy())
      await sb.contacts().whenLoaded
      return sb
    }),
  )
}

describe('[C7] contact names through the relay', () => {
  it('[C7] a teammate’s rename reaches name() live, heard as that number only', async () => {
    const [alice, bob] = await aliceAndBob()
    const heard: string[] = []
    bob!.contacts().onNamesChange((numbers) => heard.push(...numbers))
    expect(bob!.contacts().name(N)).toBeNull()
    await alice!.contacts().update(N, { name: 'Ada Lovelace', tags: { add: ['vip'] } })
    await until(bob!, () => bob!.contacts().name(N) === 'Ada Lovelace')
    await alice!.contacts().update('+15550111', { tags: { add: ['vip'] } })
    await until(bob!, () => bob!.contacts().get('+15550111').tags.length === 1)
    expect(heard).toEqual([N])
    await alice!.contacts().update(N, { name: null })
    await until(bob!, () => bob!.contacts().name(N) === null)
    expect(heard).toEqual([N, N])
  })
  it('a teammate’s edit of a contact’s fields or notes is heard with that number', async () => {
    const [alice, bob] = await aliceAndBob()
    const heard = new Set<string>()
    bob!.contacts().onContactsChange((numbers) => numbers.forEach((n) => heard.add(n)))
    await alice!.contacts().update(N, { tags: { add: ['vip'] } })
    await alice!.contacts().update('+15550111', { notes: 'calls on Mondays' })
    await until(bob!, () => bob!.contacts().get('+15550111').notes === 'calls on Mondays')
    expect([...heard].sort()).toEqual([N, '+15550111'])
    expect(bob!.contacts().get(N).tags).toEqual(['vip'])
  })
})
