import { afterEach, expect, it } from 'vitest'
import { incoming, openClient, startRelay } from '../test/harness.ts'

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

it('an inbox handle taken before the first sync shows the conversations once synced', async () => {
  const relay = await startRelay()
  cleanups.push(() => relay.stop())
  await relay.ingest(incoming('c-early-1', 'hello'))
  await relay.ingest(incoming('c-early-2', 'hello again'))
  const sb = await openClient(relay, 'alice@example.com')
  cleanups.push(() => sb.destroy())
  const inbox = sb.inbox('pn1')
  await sb.whenSynced()
  await new Promise((r) => setTimeout(r, 300))
  expect(sb.phoneNumbers().find((p) => p.id === 'pn1')?.unread).toBe(2)
  expect(
    inbox
      .list('all')
      .map((c) => c.id)
      .sort(),
  ).toEqual(['c-early-1', 'c-early-2'])
  expect(sb.inbox('pn1').list('all')).toHaveLength(2)
})

it('a handle taken right after reopening a file replica follows the room after sync', async () => {
  const relay = await startRelay()
  cleanups.push(() => relay.stop())
  await relay.ingest(incoming('c-early-3', 'hello'))
  const { tempDir } = await import('../test/harness.ts')
  const dir = tempDir()
  cleanups.push(() => dir.remove())
  const first = await openClient(relay, 'alice@example.com', { dir: dir.dir })
  await first.whenSynced()
  await first.inbox('pn1').markDone('c-early-3')
  await first.whenSynced()
  await first.destroy()
  await relay.ingest(incoming('c-early-4', 'while away'))
  const sb = await openClient(relay, 'alice@example.com', { dir: dir.dir })
  cleanups.push(() => sb.destroy())
  const inbox = sb.inbox('pn1')
  await sb.whenSynced()
  await new Promise((r) => setTimeout(r, 300))
  await relay.ingest(incoming('c-early-5', 'live'))
  await new Promise((r) => setTimeout(r, 500))
  expect(
    inbox
      .list('all')
      .map((c) => c.id)
      .sort(),
  ).toEqual(['c-early-3', 'c-early-4', 'c-early-5'])
  expect(inbox.get('c-early-3')?.status).toBe('done')
})
