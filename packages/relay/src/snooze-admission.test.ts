/**
 * The relay's admission of snoozes [Z1][M8]: a member's own snooze entries are applied like any
 * mark of theirs; a hand-built update that overwrites a teammate's snooze is rejected (4422).
 */
import {
  DEFAULT_MAX_DRIFT,
  encodeMark,
  formatTimestamp,
  getConversation,
  ingestActivity,
  markKey,
  parseRoom,
  snoozeConversation,
  unsnoozeConversation,
} from '@switchboard/core'
import { craftUpdate } from '@switchboard/core/testing'
import { CloseCode } from '@switchboard/protocol'
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { admitClientUpdate, type AdmissionInput, type Verdict } from './admission.ts'
import { createMetrics } from './metrics.ts'
import { RELAY_ORIGIN, Room } from './room.ts'
import { createMemoryStorage } from './storage/memory.ts'
import { author, incoming } from './test-helpers.ts'

const NAME = 'inbox:pn-a'
const owners: Record<string, string> = { 'dev-alice': 'alice', 'dev-bob': 'bob' }

async function loadRoom(): Promise<Room> {
  const room = await Room.load(NAME, {
    storage: createMemoryStorage(),
    metrics: createMetrics(),
    log: () => {},
    compactEvery: 500,
  })
  ingestActivity(room.doc, incoming('c-1', 'pn-a'), RELAY_ORIGIN)
  await room.durable()
  return room
}

function input(room: Room, update: Uint8Array, memberId: string): AdmissionInput {
  return {
    update,
    step: 'update',
    held: null,
    room,
    writer: { memberId, roomName: parseRoom(NAME)!, readOnly: false },
    maxFrameBytes: 1024 * 1024,
    maxDriftMs: DEFAULT_MAX_DRIFT,
    now: Date.now(),
    deviceOwner: (device) => owners[device] ?? null,
    knownDevice: (device) => device in owners,
  }
}

/** What `fn` writes on a replica of the room, as its update. */
function written(room: Room, fn: (doc: Y.Doc) => void): Uint8Array {
  const doc = new Y.Doc()
  Y.applyUpdate(doc, Y.encodeStateAsUpdate(room.doc))
  const before = Y.encodeStateVector(doc)
  fn(doc)
  return Y.encodeStateAsUpdate(doc, before)
}

const kindOf = (v: Verdict) => (v.kind === 'reject' ? `${v.code} ${v.reason}` : v.kind)

describe('[Z1][M8] snoozes through the relay’s admission', () => {
  it('[Z1][M8] honest snoozes and unsnoozes are applied', async () => {
    const room = await loadRoom()
    const until = Date.now() + 60_000
    const snooze = written(room, (doc) =>
      snoozeConversation(doc, 'c-1', until, author('alice', 'dev-alice')),
    )
    const v = admitClientUpdate(input(room, snooze, 'alice'))
    expect(kindOf(v)).toBe('apply')
    Y.applyUpdate(room.doc, snooze)
    expect(getConversation(room.doc, 'c-1')!.snooze).toMatchObject({ until, memberId: 'alice' })
    const clear = written(room, (doc) =>
      unsnoozeConversation(doc, 'c-1', author('alice', 'dev-alice')),
    )
    expect(kindOf(admitClientUpdate(input(room, clear, 'alice')))).toBe('apply')
  })

  it("[Z1][M8] Bob's hand-built overwrite of Alice's snooze is rejected (4422); nothing changes", async () => {
    const room = await loadRoom()
    const snooze = written(room, (doc) =>
      snoozeConversation(doc, 'c-1', 'reply', author('alice', 'dev-alice')),
    )
    Y.applyUpdate(room.doc, snooze)
    const key = markKey('c-1', 'snooze', 'dev-alice')
    const current = room.doc.getMap('marks')._map.get(key)!
    // An unsnooze in Alice's key, as Bob: after her item (its left neighbour), delete set empty.
    const value = encodeMark({
      kind: 'unsnooze',
      at: formatTimestamp({ wall: Date.now(), counter: 0, device: 'dev-alice' }),
      by: 'bob',
      device: 'dev-alice',
      seen: 1,
    })
    const forged = [
      craftUpdate([
        { client: 777_001, clock: 0, origin: current.lastId, content: { any: [value] } },
      ]),
      craftUpdate([
        { client: 777_002, clock: 0, parent: 'marks', parentSub: key, content: { any: [value] } },
      ]),
      craftUpdate([{ client: 777_003, clock: 0, origin: current.lastId, content: { deleted: 1 } }]),
    ]
    for (const update of forged) {
      const v = admitClientUpdate(input(room, update, 'bob'))
      expect(kindOf(v)).toBe(`${CloseCode.Rejected} forbidden`)
    }
    // At a huge clock (2^31), with nothing before it: never applied (held or refused).
    const far = craftUpdate([
      { client: 777_004, clock: 2 ** 31, origin: current.lastId, content: { any: [value] } },
    ])
    expect(kindOf(admitClientUpdate(input(room, far, 'bob')))).not.toBe('apply')
    expect(getConversation(room.doc, 'c-1')!.snooze).toMatchObject({ memberId: 'alice' })
    // Bob's own snooze, in his own key, is his to write.
    const own = written(room, (doc) =>
      snoozeConversation(doc, 'c-1', Date.now() + 60_000, author('bob', 'dev-bob')),
    )
    expect(kindOf(admitClientUpdate(input(room, own, 'bob')))).toBe('apply')
  })
})
