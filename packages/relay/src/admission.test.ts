/**
 * The admission of a client's update, verdict by verdict, without a socket: a room loaded from a
 * memory store and a replica that writes marks (SPEC [M8], [E4], [L1]; protocol §4).
 */
import {
  assignConversation,
  DEFAULT_MAX_DRIFT,
  ingestActivity,
  markConversation,
  parseRoom,
  type Author,
} from '@switchboard/core'
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { admitClientUpdate, type AdmissionInput, type Verdict } from './admission.ts'
import { createMetrics } from './metrics.ts'
import { CloseCode } from '@switchboard/protocol'
import { RELAY_ORIGIN, Room } from './room.ts'
import { createMemoryStorage, type MemoryStorage } from './storage/memory.ts'
import { author, incoming } from './test-helpers.ts'

const NAME = 'inbox:pn-a'

async function loadRoom(): Promise<{ room: Room; storage: MemoryStorage }> {
  const storage = createMemoryStorage()
  const room = await Room.load(NAME, {
    storage,
    metrics: createMetrics(),
    log: () => {},
    compactEvery: 500,
  })
  ingestActivity(room.doc, incoming('c-1', 'pn-a'), RELAY_ORIGIN)
  await room.durable()
  return { room, storage }
}

/** A replica holding the room's state. */
function replicaOf(room: Room, clientID?: number): Y.Doc {
  const doc = new Y.Doc()
  Y.applyUpdate(doc, Y.encodeStateAsUpdate(room.doc))
  if (clientID !== undefined) doc.clientID = clientID
  return doc
}

/** The update of what `fn` writes on `doc`. */
function written(doc: Y.Doc, fn: () => void): Uint8Array {
  const before = Y.encodeStateVector(doc)
  fn()
  return Y.encodeStateAsUpdate(doc, before)
}

const mark = (doc: Y.Doc, who: Author, kind: 'done' | 'open' = 'done') =>
  written(doc, () => markConversation(doc, 'c-1', kind, who))

function input(room: Room, update: Uint8Array, extra: Partial<AdmissionInput> = {}) {
  return {
    update,
    step: 'update',
    held: null,
    room,
    writer: { memberId: 'alice', roomName: parseRoom(NAME)!, readOnly: false },
    maxFrameBytes: 1024 * 1024,
    maxDriftMs: DEFAULT_MAX_DRIFT,
    now: Date.now(),
    deviceOwner: () => null,
    knownDevice: () => false,
    ...extra,
  } satisfies AdmissionInput
}

function expectKind<K extends Verdict['kind']>(v: Verdict, kind: K): Extract<Verdict, { kind: K }> {
  expect(v.kind, JSON.stringify(v.kind === 'reject' ? v : v.kind)).toBe(kind)
  return v as Extract<Verdict, { kind: K }>
}

describe('admission of an update: apply with bindings', () => {
  it('[M8] a new writer’s mark is applied with its client id and device to bind', async () => {
    const { room } = await loadRoom()
    const doc = replicaOf(room)
    const update = mark(doc, author('alice', 'dev-a'))
    const v = expectKind(admitClientUpdate(input(room, update)), 'apply')
    expect(v.bindings).toEqual({ clients: [doc.clientID], devices: ['dev-a'] })
    expect(v.admitted.trimmed).toBe(false)
    expect(v.acked.length).toBeGreaterThan(0)
    expect(v.step2).toBeNull()
  })

  it('[M8] a client id and device already known to be the writer’s are not bound again', async () => {
    const { room } = await loadRoom()
    const doc = replicaOf(room)
    const update = mark(doc, author('alice', 'dev-a'))
    room.clientOwners.bound('alice', [doc.clientID])
    const v = expectKind(
      admitClientUpdate(
        input(room, update, { knownDevice: (d, m) => d === 'dev-a' && m === 'alice' }),
      ),
      'apply',
    )
    expect(v.bindings).toEqual({ clients: [], devices: [] })
  })

  it('structs the room already holds are trimmed from what is applied, and still acknowledged', async () => {
    const { room } = await loadRoom()
    const doc = replicaOf(room)
    const who = author('alice', 'dev-a')
    const first = mark(doc, who)
    const second = mark(doc, who, 'open')
    Y.applyUpdate(room.doc, first)
    const both = Y.mergeUpdates([first, second])
    const v = expectKind(admitClientUpdate(input(room, both)), 'apply')
    expect(v.admitted.trimmed).toBe(true)
    expect(v.update.byteLength).toBeLessThan(both.byteLength)
    expect(v.acked).toEqual(Y.decodeUpdate(both).structs)
  })

  it('a sync step 2 that brings new structs hands its delete set to the room’s step 2 answer', async () => {
    const { room } = await loadRoom()
    const doc = replicaOf(room)
    const v = expectKind(
      admitClientUpdate({ ...input(room, mark(doc, author('alice'))), step: 'step-2' }),
      'apply',
    )
    expect(v.step2).not.toBeNull()
  })
})

describe('admission of an update: hold', () => {
  it('[§4] an update past a clock gap is held, then applied merged with what it builds on', async () => {
    const { room } = await loadRoom()
    const doc = replicaOf(room)
    const who = author('alice', 'dev-a')
    const first = mark(doc, who)
    const second = mark(doc, who, 'open')
    const held = expectKind(admitClientUpdate(input(room, second)), 'hold')
    expect(held.update).toEqual(second)
    const v = admitClientUpdate({ ...input(room, first), held: held.update })
    expectKind(v, 'apply')
  })

  it('[§4] an update whose parent is another client’s struct not sent yet is held (unknown-parent)', async () => {
    const { room } = await loadRoom()
    const doc = replicaOf(room)
    const who = author('alice', 'dev-a')
    mark(doc, who)
    doc.clientID = doc.clientID + 1
    const orphan = mark(doc, who, 'open')
    expectKind(admitClientUpdate(input(room, orphan)), 'hold')
  })
})

describe('admission of an update: reject with a close code', () => {
  it('an update past a gap bigger than the frame cap is rejected (4422 gap), never held', async () => {
    const { room } = await loadRoom()
    const doc = replicaOf(room)
    mark(doc, author('alice'))
    const second = mark(doc, author('alice'), 'open')
    const v = expectKind(admitClientUpdate(input(room, second, { maxFrameBytes: 8 })), 'reject')
    expect([v.code, v.reason]).toEqual([CloseCode.Rejected, 'gap'])
  })

  it('an orphan bigger than the frame cap is rejected (4422 unknown-parent), never held', async () => {
    const { room } = await loadRoom()
    const doc = replicaOf(room)
    mark(doc, author('alice'))
    doc.clientID = doc.clientID + 1
    const orphan = mark(doc, author('alice'), 'open')
    const v = expectKind(admitClientUpdate(input(room, orphan, { maxFrameBytes: 8 })), 'reject')
    expect([v.code, v.reason]).toEqual([CloseCode.Rejected, 'unknown-parent'])
  })

  it('[M8] structs under a teammate’s client id are rejected (4422 foreign-client)', async () => {
    const { room, storage } = await loadRoom()
    const doc = replicaOf(room)
    storage.bindClient(NAME, doc.clientID, 'bob')
    const v = expectKind(admitClientUpdate(input(room, mark(doc, author('alice')))), 'reject')
    expect([v.code, v.reason]).toEqual([CloseCode.Rejected, 'foreign-client'])
  })

  it('[M8] structs under the relay’s own client id are rejected (4422 foreign-client)', async () => {
    const { room } = await loadRoom()
    const doc = replicaOf(room, room.doc.clientID)
    const v = expectKind(admitClientUpdate(input(room, mark(doc, author('alice')))), 'reject')
    expect([v.code, v.reason]).toEqual([CloseCode.Rejected, 'foreign-client'])
  })

  it('[M8][L1] a mark under a teammate’s device is rejected (4422), nothing bound', async () => {
    const { room } = await loadRoom()
    const doc = replicaOf(room)
    const update = mark(doc, author('alice', 'dev-bob'))
    const v = expectKind(
      admitClientUpdate(
        input(room, update, { deviceOwner: (d) => (d === 'dev-bob' ? 'bob' : null) }),
      ),
      'reject',
    )
    expect(v.code).toBe(CloseCode.Rejected)
    expect(v.reason).toBe('forbidden')
  })

  it('[R1] the store failing under a look-up (SQLite busy) closes with 4500, retried — never 4400, which y-websocket takes as final', async () => {
    const { room } = await loadRoom()
    const doc = replicaOf(room)
    const update = mark(doc, author('alice'))
    const busy = Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' })
    const v = expectKind(
      admitClientUpdate(
        input(room, update, {
          deviceOwner: () => {
            throw busy
          },
        }),
      ),
      'reject',
    )
    expect([v.code, v.reason]).toEqual([CloseCode.Unreadable, 'storage'])
  })

  it('[M8] a read-only member’s new mark is rejected (4422 read-only)', async () => {
    const { room } = await loadRoom()
    const doc = replicaOf(room)
    const update = mark(doc, author('alice'))
    const writer = { memberId: 'alice', roomName: parseRoom(NAME)!, readOnly: true }
    const v = expectKind(admitClientUpdate(input(room, update, { writer })), 'reject')
    expect([v.code, v.reason]).toEqual([CloseCode.Rejected, 'read-only'])
  })

  it('bytes that are no update are rejected as malformed (4400)', async () => {
    const { room } = await loadRoom()
    const v = expectKind(admitClientUpdate(input(room, Uint8Array.of(9, 9, 9, 255))), 'reject')
    expect(v.code).toBe(CloseCode.Malformed)
  })
})

describe('admission of an update: epoch changed', () => {
  it('[E4] an update under a client id of an older epoch closes the socket with 4409', async () => {
    const { room } = await loadRoom()
    const doc = replicaOf(room)
    room.retired = new Set([doc.clientID])
    const v = admitClientUpdate(input(room, mark(doc, author('alice'))))
    expectKind(v, 'epoch-changed')
  })
})

describe('admission of an update: nothing new', () => {
  it('a read-only socket’s update of what the room holds is nothing new', async () => {
    const { room } = await loadRoom()
    const writer = { memberId: 'vic', roomName: parseRoom(NAME)!, readOnly: true }
    const v = admitClientUpdate(input(room, Y.encodeStateAsUpdate(room.doc), { writer }))
    expect(expectKind(v, 'nothing-new').step2).toBeNull()
  })

  it('an up-to-date replica’s sync step 2 (its delete set only) is nothing new, its delete set kept for the answer', async () => {
    const { room } = await loadRoom()
    const doc = replicaOf(room)
    const deletions = Y.encodeStateAsUpdate(doc, Y.encodeStateVector(doc))
    const v = admitClientUpdate({ ...input(room, deletions), step: 'step-2' })
    expect(expectKind(v, 'nothing-new').step2).not.toBeNull()
  })
})

describe('admission of an update: assignees [G2]', () => {
  const refusal = (phoneNumberId: string, memberId: string) =>
    memberId === 'erin' ? `Erin Walsh has no access to ${phoneNumberId}` : null
  const assign = (doc: Y.Doc, memberId: string | null) =>
    written(doc, () => assignConversation(doc, 'c-1', memberId, author('alice', 'dev-a')))

  it('[G2] an update assigning a member without access is rejected with 4422 and the reason', async () => {
    const { room } = await loadRoom()
    const doc = replicaOf(room)
    const v = expectKind(
      admitClientUpdate(input(room, assign(doc, 'erin'), { assignRefusal: refusal })),
      'reject',
    )
    expect(v).toEqual({
      kind: 'reject',
      code: CloseCode.Rejected,
      reason: 'not-assignable',
      detail: 'Erin Walsh has no access to pn-a',
    })
  })

  it('[G2] assigning a member with access, or nobody, is applied', async () => {
    const { room } = await loadRoom()
    const doc = replicaOf(room)
    const extra = { assignRefusal: refusal }
    expectKind(admitClientUpdate(input(room, assign(doc, 'carol'), extra)), 'apply')
    expectKind(admitClientUpdate(input(room, assign(replicaOf(room), null), extra)), 'apply')
  })
})
