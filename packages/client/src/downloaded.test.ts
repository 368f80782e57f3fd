/**
 * A conversation room knows whether its content is on this device: an empty thread never
 * downloaded is "not downloaded yet", not "no messages" (docs/triage.md "Outages").
 */
import { afterEach, describe, expect, it } from 'vitest'
import { incoming, openClient, startRelay, tempDir, until } from '../test/harness.ts'

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

describe('a conversation downloaded', () => {
  it('is not until it syncs once; then it is, also after a restart offline', async () => {
    const relay = await startRelay()
    cleanups.push(() => relay.stop())
    await relay.ingest(incoming('c1', 'the router is down'))
    const { dir, remove } = tempDir()
    cleanups.push(remove)

    const first = await openClient(relay, 'alice@example.com', { dir, connect: false })
    const offline = first.openConversation('c1', 'pn1')
    await offline.whenLoaded
    expect(offline.downloaded).toBe(false)
    expect(offline.activities()).toEqual([])
    first.connect()
    await until(first, () => offline.downloaded)
    await until(first, () => offline.activities().length === 1)
    await first.whenSynced()
    offline.close()
    await first.destroy()

    const again = await openClient(relay, 'alice@example.com', { dir, connect: false })
    cleanups.push(() => again.destroy())
    const reopened = again.openConversation('c1', 'pn1')
    await reopened.whenLoaded
    expect(reopened.downloaded).toBe(true)
    expect(reopened.activities().map((a) => a.body)).toEqual(['the router is down'])
    reopened.close()
  })
})
