/**
 * Issue 20 — a member's hand-built updates against the real relay over SQLite: each crafted
 * update that erased or forged what was not the member's (acknowledged and kept across a restart
 * before [M8] judged updates by their effect) is refused with 4422, nothing of it is stored, and
 * after a restart every replica agrees. Then the adversarial fuzz's figures.
 */
import {
  addNote,
  CONTACT_NOTES_MAX_CHARS,
  contactNotesRoot,
  createHlc,
  markConversation,
  readContactNotes,
  setContactNotes,
  type Activity,
} from '@switchboard/core'
import {
  AttackRoomKinds,
  craftUpdate,
  runAttackFuzz,
  rootValues,
  type CraftedContent,
} from '@switchboard/core/testing'
import { decodeMessage, MessageType } from '@switchboard/protocol'
import { afterAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import * as Y from 'yjs'
import { recordFigures, scale } from './support/figures.ts'
import { syncFrame } from './support/frames.ts'
import { login, startLocalRelay, type LocalRelay } from './support/relay.ts'

const workspace = {
  phoneNumbers: ['pn1', 'pn2'],
  members: [
    ['alice', 'owner', ['pn1', 'pn2']],
    ['bob', 'member', ['pn1']],
    ['carol', 'member', ['pn1']],
  ] as [string, 'owner' | 'member', string[]][],
}
const CAROL = 900_001
const figures: Record<string, unknown> = { crafted: {} }
const crafted = figures.crafted as Record<string, string>
afterAll(() => recordFigures('attacks', figures))

const activity = (i: number): Activity => ({
  id: `a${i}`,
  conversationId: 'c1',
  phoneNumberId: 'pn1',
  direction: 'incoming',
  kind: 'message',
  from: '+15550100000',
  to: '+14155551000',
  body: `message ${i}`,
  at: Date.now() - 10_000 + i,
})

/** A member's socket: sends one update, reports the close code, or null once it is acknowledged. */
async function send(relay: LocalRelay, room: string, who: string, update: Uint8Array) {
  const token = (await login(relay.url, `${who}@example.com`)).token
  const ws = new WebSocket(`ws://127.0.0.1:${relay.port}/sync/${room}?ack=1&token=${token}`)
  ws.on('error', () => {})
  return new Promise<number | null>((resolve) => {
    const done = (code: number | null) => {
      clearTimeout(timer)
      ws.removeAllListeners('close')
      ws.close()
      resolve(code)
    }
    const timer = setTimeout(() => done(null), 5_000)
    ws.on('open', () => ws.send(syncFrame(2, update)))
    ws.on('message', (data: Buffer) => data[0] === MessageType.Ack && done(null))
    ws.on('close', (code) => done(code))
  })
}

/** The room as a fresh replica of `who` receives it. */
async function replica(relay: LocalRelay, room: string, who = 'alice'): Promise<Y.Doc> {
  const token = (await login(relay.url, `${who}@example.com`)).token
  const ws = new WebSocket(`ws://127.0.0.1:${relay.port}/sync/${room}?token=${token}`)
  const doc = new Y.Doc()
  await new Promise<void>((resolve, reject) => {
    ws.on('error', reject)
    ws.on('open', () => ws.send(syncFrame(0, Y.encodeStateVector(new Y.Doc()))))
    ws.on('message', (data: Buffer) => {
      // A cold join is answered with the cached state (step 2) and the batches stored since
      // (updates), sent together.
      if (data[0] !== MessageType.Sync) return
      const msg = decodeMessage(new Uint8Array(data))
      if (msg.type !== 'update') return
      Y.applyUpdate(doc, msg.update)
      if (msg.step === 'step-2')
        setTimeout(() => {
          ws.close()
          resolve()
        }, 100)
    })
  })
  return doc
}

/** An honest write by `who`: made on a replica of the room, sent, acknowledged. */
async function honest(relay: LocalRelay, room: string, who: string, fn: (doc: Y.Doc) => void) {
  const doc = await replica(relay, room, who)
  const updates: Uint8Array[] = []
  doc.on('update', (u: Uint8Array) => updates.push(u))
  fn(doc)
  expect(await send(relay, room, who, Y.mergeUpdates(updates))).toBeNull()
}

/** An item of deleted content after the current value of each key, delete set stripped. */
function eraseKeys(doc: Y.Doc, root: string, keys: string[]): Uint8Array {
  const type = doc.share.get(root)!
  return craftUpdate(
    keys.map((key, i) => ({
      client: CAROL,
      clock: Y.getState(doc.store, CAROL) + i,
      origin: type._map.get(key)!.lastId,
      content: { deleted: 1 },
    })),
  )
}

async function restarted(relay: LocalRelay): Promise<LocalRelay> {
  await relay.close()
  return startLocalRelay({ dataDir: relay.dataDir })
}

describe('[M8] crafted updates against the real relay (issue 20 findings)', () => {
  it('[M8] every erasure and forgery found is refused with 4422; after a restart nothing of it is stored and replicas agree', async () => {
    let relay = await startLocalRelay({ workspace })
    for (let i = 0; i < 5; i++) await relay.relay.ingest(activity(i))
    const author = (m: string, d: string) => ({ memberId: m, deviceId: d, clock: createHlc(d) })
    await honest(relay, 'inbox:pn1', 'bob', (d) =>
      markConversation(d, 'c1', 'done', author('bob', 'bob-web')),
    )
    await honest(relay, 'conversation:c1', 'alice', (d) =>
      addNote(d, { author: 'alice', body: 'refund sent', mentions: [], id: 'n-alice' }),
    )
    // A conversation of a number Carol cannot see.
    await relay.relay.ingest({
      ...activity(9),
      id: 'b9',
      conversationId: 'c-pn2',
      phoneNumberId: 'pn2',
    })
    const inbox = await replica(relay, 'inbox:pn1')
    const thread = await replica(relay, 'conversation:c1')
    const markElsewhere = (() => {
      const doc = new Y.Doc()
      Y.applyUpdate(doc, Y.encodeStateAsUpdate(inbox))
      const updates: Uint8Array[] = []
      doc.on('update', (u: Uint8Array) => updates.push(u))
      markConversation(doc, 'c-pn2', 'done', author('carol', 'carol-web'))
      return Y.mergeUpdates(updates)
    })()
    const attacks: [string, string, Uint8Array][] = [
      [
        "the conversation's 5 messages (relay-only activities)",
        'conversation:c1',
        eraseKeys(thread, 'activities', ['a0', 'a1', 'a2', 'a3', 'a4']),
      ],
      ['a conversation record', 'inbox:pn1', eraseKeys(inbox, 'conversations', ['c1'])],
      [
        "another member's mark",
        'inbox:pn1',
        eraseKeys(inbox, 'marks', ['c1\u001fstatus\u001fbob-web']),
      ],
      [
        "another member's note replaced by a forged one",
        'conversation:c1',
        craftUpdate([
          {
            client: CAROL,
            clock: 0,
            parent: 'notes',
            parentSub: 'n-alice',
            content: {
              any: [{ id: 'n-alice', author: 'carol', body: 'forged', mentions: [], at: 0 }],
            },
          },
        ]),
      ],
      [
        'a new root made by a deleted item',
        'conversation:c1',
        craftUpdate([
          { client: CAROL, clock: 0, parent: 'junk', parentSub: 'k', content: { deleted: 1 } },
        ]),
      ],
      [
        'a garbage-collected struct',
        'conversation:c1',
        craftUpdate([{ kind: 'gc', client: CAROL, clock: 0, length: 3 }]),
      ],
    ]
    attacks.push([
      'a mark for a conversation of a number she cannot see',
      'inbox:pn1',
      markElsewhere,
    ])
    for (const [what, room, update] of attacks) {
      const code = await send(relay, room, 'carol', update)
      crafted[what] = code === null ? 'ACCEPTED' : `refused ${code}`
      expect(code, what).toBe(4422)
    }
    const beforeInbox = rootValues(await replica(relay, 'inbox:pn1'))
    const beforeThread = rootValues(await replica(relay, 'conversation:c1'))
    relay = await restarted(relay)
    expect(rootValues(await replica(relay, 'inbox:pn1'))).toEqual(beforeInbox)
    const after = await replica(relay, 'conversation:c1')
    expect(rootValues(after)).toEqual(beforeThread)
    expect(after.getMap('activities').size).toBe(5)
    expect((after.getMap('notes').get('n-alice') as { body: string }).body).toBe('refund sent')
    expect(after.share.has('junk')).toBe(false)
    await relay.close()
  })

  it("[M8][E6] after an epoch, a member cannot erase the inbox's base (meta.base, meta.baseLog)", async () => {
    let relay = await startLocalRelay({ workspace })
    for (let i = 0; i < 5; i++)
      await relay.relay.ingest({ ...activity(i), conversationId: `c${i}` })
    await relay.relay.startEpoch('inbox:pn1')
    const inbox = await replica(relay, 'inbox:pn1')
    const base = inbox.getMap('meta').get('base')
    expect(typeof base).toBe('string')
    const code = await send(
      relay,
      'inbox:pn1',
      'carol',
      eraseKeys(inbox, 'meta', ['base', 'baseLog']),
    )
    crafted['meta.base and meta.baseLog after an epoch'] =
      code === null ? 'ACCEPTED' : `refused ${code}`
    expect(code).toBe(4422)
    relay = await restarted(relay)
    expect((await replica(relay, 'inbox:pn1')).getMap('meta').get('base')).toBe(base)
    await relay.close()
  })

  it("[M8] a struct overlapping the member's own clocks is cut to what Yjs integrates: another member's note stays, live and restarted replicas agree", async () => {
    let relay = await startLocalRelay({ workspace })
    await relay.relay.ingest(activity(0))
    await honest(relay, 'conversation:c1', 'alice', (d) =>
      addNote(d, { author: 'alice', body: 'keep me', mentions: [], id: 'n-alice' }),
    )
    const mine = craftUpdate([
      {
        client: CAROL,
        clock: 0,
        parent: 'notes',
        parentSub: 'n-carol',
        content: { any: [{ id: 'n-carol', author: 'carol', body: 'mine', mentions: [], at: 0 }] },
      },
    ])
    expect(await send(relay, 'conversation:c1', 'carol', mine)).toBeNull()
    const thread = await replica(relay, 'conversation:c1')
    const alice = thread.getMap('notes')._map.get('n-alice')!
    const overlap = craftUpdate([
      { client: CAROL, clock: 0, origin: alice.lastId, content: { deleted: 2 } },
    ])
    const code = await send(relay, 'conversation:c1', 'carol', overlap)
    crafted["an overlapping struct declared after another member's note"] =
      code === null ? 'accepted, cut to her own key' : `refused ${code}`
    const live = rootValues(await replica(relay, 'conversation:c1'))
    expect((live.notes!.map['n-alice'] as { body: string }).body).toBe('keep me')
    relay = await restarted(relay)
    expect(rootValues(await replica(relay, 'conversation:c1'))).toEqual(live)
    await relay.close()
  })
})

describe("[C2][C3][C4] crafted updates against a contact's notes over the real relay", () => {
  it('[C2][C3][C4] a format, an embed, a nested text, text past the cap, a text over the notes key or in another root: each 4422, nothing stored across a restart; an honest edit is kept', async () => {
    const N = '+15550100'
    let relay = await startLocalRelay({ workspace })
    await honest(relay, 'contacts', 'alice', (d) => setContactNotes(d, N, 'Call after 5'))
    const room = await replica(relay, 'contacts', 'carol')
    let last = room.share.get(contactNotesRoot(N))!._start!
    while (last.right) last = last.right
    const after = (content: CraftedContent) =>
      craftUpdate([{ client: CAROL, clock: 0, origin: last.lastId, content }])
    const attacks: [string, Uint8Array][] = [
      ['notes: a bold attribute', after({ format: ['bold', true] })],
      ['notes: an embed', after({ embed: { image: 'x.png' } })],
      ['notes: a nested text', after({ type: 'text' })],
      [
        'notes: text past 10,000 characters',
        after({ string: 'x'.repeat(CONTACT_NOTES_MAX_CHARS) }),
      ],
      [
        'notes: a text put over the old notes key',
        craftUpdate([
          {
            client: CAROL,
            clock: 0,
            parent: 'contacts',
            parentSub: `${N}\u001fnotes`,
            content: { type: 'text' },
          },
        ]),
      ],
      [
        "notes: text in a root that is not a contact's notes",
        craftUpdate([
          { client: CAROL, clock: 0, parent: 'contactNotes\u001f', content: { string: 'x' } },
        ]),
      ],
    ]
    for (const [what, update] of attacks) {
      const code = await send(relay, 'contacts', 'carol', update)
      crafted[what] = code === null ? 'ACCEPTED' : `refused ${code}`
      expect(code, what).toBe(4422)
    }
    await honest(relay, 'contacts', 'carol', (d) => setContactNotes(d, N, 'Call after 5, Carol'))
    const before = rootValues(await replica(relay, 'contacts'))
    relay = await restarted(relay)
    const stored = await replica(relay, 'contacts')
    expect(rootValues(stored)).toEqual(before)
    expect(readContactNotes(stored, N)).toBe('Call after 5, Carol')
    expect(stored.share.has('contactNotes\u001f')).toBe(false)
    expect(stored.getMap('contacts').size).toBe(0)
    await relay.close()
  })
})

describe('[M8] adversarial fuzz of admission (figures)', () => {
  it('[M8] a hostile member changes no value of another writer nor of a relay-only root, and replicas agree', () => {
    const totals = {
      tried: 0,
      refused: 0,
      held: 0,
      accepted: 0,
      honest: 0,
      violations: 0,
      tripped: 0,
    }
    const perKind = scale(2_000, 20_000)
    for (const kind of AttackRoomKinds) {
      const r = runAttackFuzz({ seed: 20, kind, updates: perKind })
      expect(r.violations, kind).toEqual([])
      expect(r.tripped, kind).toEqual([])
      expect(r.honestRefused, kind).toEqual([])
      totals.tried += r.tried
      totals.refused += r.refused
      totals.held += r.held
      totals.accepted += r.accepted
      totals.honest += r.honest
    }
    figures.fuzz = { ...totals, foreignValuesChanged: 0 }
  }, 600_000)
})
