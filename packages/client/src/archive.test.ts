import { epochOf, type HistoryEntry } from '@switchboard/core'
import { afterEach, describe, expect, it } from 'vitest'
import { ErrorCode } from './errors.ts'
import { incoming, login, openClient, startRelay, until, type TestRelay } from '../test/harness.ts'

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

async function startEpoch(relay: TestRelay): Promise<string> {
  const { token } = await login(relay.url, 'alice@example.com')
  const res = await fetch(`${relay.url}/api/admin/rooms/inbox:pn1/epoch`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
  })
  expect(res.status).toBe(200)
  return ((await res.json()) as { epoch: string }).epoch
}

const what = (entries: HistoryEntry[]) => entries.map((e) => `${e.memberId} ${e.kind}`)

describe('[E1] who marked what, across the history archive', () => {
  it('after an epoch archived the marks, fullHistory still shows them once, in HLC order; offline it shows the room', async () => {
    // Horizon 0: an epoch archives every audit entry made before it.
    const relay = await startRelay({ historyHorizonMs: 0 })
    cleanups.push(() => relay.stop())
    await relay.ingest(incoming('c1', 'my order is late'))
    const alice = await openClient(relay, 'alice@example.com')
    cleanups.push(() => alice.destroy())
    await alice.whenSynced()
    await until(alice, () => alice.inbox('pn1').get('c1') !== null)
    await alice.inbox('pn1').markRead('c1')
    await alice.inbox('pn1').markDone('c1')
    await alice.whenSynced()
    expect(what(alice.inbox('pn1').history('c1'))).toEqual(['alice read', 'alice done'])

    const epoch = await startEpoch(relay)
    await until(alice, () => epochOf(alice.inbox('pn1').doc).id === epoch)
    await alice.whenSynced()
    const inbox = alice.inbox('pn1')
    expect(inbox.history('c1')).toEqual([])
    await inbox.markOpen('c1')
    await alice.whenSynced()

    expect(what(await inbox.archivedHistory('c1'))).toEqual(['alice read', 'alice done'])
    expect(what(await inbox.fullHistory('c1'))).toEqual(['alice read', 'alice done', 'alice open'])
    expect(await inbox.archivedHistory('c2')).toEqual([])

    await relay.kill()
    expect(what(await inbox.fullHistory('c1'))).toEqual(['alice open'])
    await expect(inbox.archivedHistory('c1')).rejects.toMatchObject({
      code: ErrorCode.Unavailable,
    })
  })
})
