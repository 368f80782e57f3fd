/**
 * @module Workload 6's server: the relay as users run it (SQLite in DATA_DIR, auth on, serving the
 * built web app from WEB_DIR) with one member and one phone number whose inbox room holds
 * CONVERSATIONS conversations, seeded through core's `ingestActivity` and `markConversation` in
 * one relay write before the port opens (EPOCH=1: then rebuilt into an epoch, as the relay does on
 * loading a room this big; CONTACT_NAMES=n: the team named the first n contacts [C7]). Prints
 * `ready {json}` with what the browser should see.
 */
import { join } from 'node:path'
import {
  createHlc,
  ingestActivity,
  listConversations,
  markConversation,
  updateContact,
  type Author,
} from '@switchboard/core'
import { createSqliteStorage } from '@switchboard/relay'
import { startRelayServer } from '@switchboard/relay/node'
import * as Y from 'yjs'

const count = Number(process.env.CONVERSATIONS ?? 10_000)
const named = Math.min(count, Number(process.env.CONTACT_NAMES ?? 0))
const dataDir = process.env.DATA_DIR!
export const PHONE = { id: 'pn-big', name: 'Big', number: '+14155550111' }
const NAMES = ['Jordan', 'Priya', 'Lucas', 'Maya', 'Omar', 'Hiro', 'Fatima', 'Noah', 'Elena']
const LAST = ['Park', 'Silva', 'Okafor', 'Nguyen', 'Martin', 'Diaz', 'Walsh', 'Kim', 'Rossi']

/** The outside number of conversation i. */
const contactOf = (i: number) => `+1415${String(2_000_000 + i).padStart(7, '0')}`

/** A deterministic inbox: ~20% Done, ~30% read, the rest Open and Unread; two teammates' devices. */
function seed(doc: Y.Doc) {
  const now = Date.UTC(2026, 10, 1)
  const authors: Author[] = ['alice', 'bob'].map((memberId) => ({
    memberId,
    deviceId: `seed-${memberId}`,
    clock: createHlc(`seed-${memberId}`, () => now),
  }))
  for (let i = 0; i < count; i++) {
    const id = `c-${String(i).padStart(6, '0')}`
    const from = contactOf(i)
    ingestActivity(doc, {
      id: `${id}-a1`,
      conversationId: id,
      phoneNumberId: PHONE.id,
      direction: 'incoming',
      kind: 'message',
      from,
      to: PHONE.number,
      body: `Hi, this is about order ${100_000 + i}: could you call me back?`,
      at: now - i * 60_000,
      contactName: `${NAMES[i % NAMES.length]} ${LAST[(i * 7) % LAST.length]}`,
    })
    const roll = (i * 2654435761) % 10
    const author = authors[i % 2]!
    if (roll < 2) markConversation(doc, id, 'done', author)
    else if (roll < 5) markConversation(doc, id, 'read', author)
  }
}

const storage = createSqliteStorage({ path: join(dataDir, 'relay.db') })
const started = performance.now()
let open = 0
let stateBytes = 0
let contactsBytes = 0
const server = await startRelayServer({
  storage,
  secret: 'bench-secret-bench-secret-bench-secret',
  webhookSecret: 'bench-webhook-secret',
  allowedOrigins: [`http://127.0.0.1:${process.env.PORT}`],
  port: Number(process.env.PORT),
  webDir: process.env.WEB_DIR,
  // Every benchmark client signs in as alice: thousands of her sockets are the load.
  maxSocketsPerMember: 0,
  async beforeListen(relay) {
    await relay.admin.createMember(
      {
        id: 'alice',
        email: 'alice@example.com',
        name: 'Alice Martin',
        role: 'owner',
        password: process.env.PASSWORD!,
      },
      { demo: true },
    )
    await relay.admin.createPhoneNumber(PHONE)
    await relay.admin.grant('alice', PHONE.id)
    // TEAMMATE=1: Bob too, for the two-browser E (browser-teammate.ts).
    if (process.env.TEAMMATE === '1') {
      await relay.admin.createMember(
        {
          id: 'bob',
          email: 'bob@example.com',
          name: 'Bob Nguyen',
          role: 'member',
          password: process.env.PASSWORD!,
        },
        { demo: true },
      )
      await relay.admin.grant('bob', PHONE.id)
    }
    const room = `inbox:${PHONE.id}`
    await relay.writeRoom(room, (doc) => {
      doc.transact(() => seed(doc))
      open = listConversations(doc, { view: 'inbox' }).length
      stateBytes = Y.encodeStateAsUpdate(doc).length
    })
    if (named > 0)
      await relay.writeRoom('contacts', (doc) => {
        doc.transact(() => {
          for (let i = 0; i < named; i++)
            updateContact(doc, contactOf(i), {
              name: `${LAST[(i * 5) % LAST.length]} ${NAMES[(i * 3) % NAMES.length]} (team)`,
            })
        })
        contactsBytes = Y.encodeStateAsUpdate(doc).length
      })
    if (process.env.EPOCH === '1') {
      // What the relay does by itself when it loads a room this big after a restart or a quiet
      // spell (EPOCH_LOAD_ITEMS): the browser then syncs and stores the epoch.
      await relay.startEpoch(room)
      await relay.writeRoom(room, (doc) => {
        if (listConversations(doc, { view: 'inbox' }).length !== open)
          throw new Error('the epoch changed the inbox')
        stateBytes = Y.encodeStateAsUpdate(doc).length
      })
    }
  },
})
console.log(
  'ready ' +
    JSON.stringify({
      url: server.url,
      phoneNumberId: PHONE.id,
      conversations: count,
      open,
      stateBytes,
      contactsBytes,
      seedMs: performance.now() - started,
    }),
)
const stop = () => void server.close().finally(() => process.exit(0))
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
