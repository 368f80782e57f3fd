/**
 * Two relays on one PostgreSQL database, before routing by lease (docs/scale-out.md): when one
 * takes a room the other was serving, nothing is written under the old fence and the old relay's
 * sockets are closed with 1012 (reload), so they reconnect and are served again. (Clients of the
 * two relays do not see each other live: that needs the routing, not wired yet.)
 */
import { getConversation, markConversation } from '@switchboard/core'
import { afterAll, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { createPostgresStorage } from '../storage/postgres.ts'
import { createTestDatabase } from '../testing/postgres.ts'
import {
  author,
  connectProvider,
  incoming,
  startTestRelay,
  trackAcks,
  until,
  type Client,
  type TestRelay,
} from '../test-helpers.ts'

describe('a room taken by another relay on the same database', () => {
  const relays: TestRelay[] = []
  const clients: Client[] = []
  afterAll(async () => {
    for (const c of clients) c.destroy()
    for (const r of relays) await r.close()
  })

  it(
    'closes the old relay’s sockets with 1012; the mark refused there is stored once its socket reconnects',
    { timeout: 60_000 },
    async () => {
      const url = await createTestDatabase()
      const a = await startTestRelay({
        storage: await createPostgresStorage({ url, relayId: 'a' }),
      })
      relays.push(a)
      expect((await a.webhook(incoming('c-fence-1', 'pn-a'))).status).toBe(202)
      await a.storage.whenDurable()
      const b = await startTestRelay({
        storage: await createPostgresStorage({ url, relayId: 'b' }),
      })
      relays.push(b)

      const onA = connectProvider(a.wsUrl, 'inbox:pn-a', await a.login('alice@example.com'), {
        ack: '1',
      })
      clients.push(onA)
      const acks = trackAcks(onA)
      await onA.synced
      markConversation(onA.doc, 'c-fence-1', 'done', author('alice', 'fence-laptop'))
      await acks.acked()

      // Relay b loads the room for its own client: it claims it with a newer fence.
      const onB = connectProvider(b.wsUrl, 'inbox:pn-a', await b.login('carol@example.com'))
      clients.push(onB)
      await onB.synced
      expect(getConversation(onB.doc, 'c-fence-1')?.status).toBe('done')

      // a's next append is refused by the store: its socket is told to reload.
      markConversation(onA.doc, 'c-fence-1', 'unread', author('alice', 'fence-laptop'))
      await until(() => onA.closes.some((c) => c.code === 1012), 'a 1012 close on relay a')
      expect(onA.closes.find((c) => c.code === 1012)?.reason).toBe('room moved to another relay')
      // The provider reconnects; relay a takes the room back and stores the mark then, once.
      await acks.acked()
      const stored = await a.storage.loadRoom('inbox:pn-a')
      const doc = new Y.Doc()
      if (stored.snapshot) Y.applyUpdate(doc, stored.snapshot)
      for (const u of stored.updates) Y.applyUpdate(doc, u.data)
      expect(getConversation(doc, 'c-fence-1')?.unread).toBe(true)
    },
  )
})
