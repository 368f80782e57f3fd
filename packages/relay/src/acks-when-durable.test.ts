/**
 * An ack says only what is durable (docs/protocol.md "Ack"; DESIGN §4 "durable before visible"):
 * it follows the stored batch that holds the update, right after that batch's frame, one per
 * client id with the newest clock, in the order the batches were stored.
 */
import * as Y from 'yjs'
import { afterEach, describe, expect, it } from 'vitest'
import { createMetrics, type Metrics } from './metrics.ts'
import { decodeAck, decodeMessage } from '@switchboard/protocol'
import { Room, type Peer, type SharedFrame } from './room.ts'
import { recordingPeer } from './test-helpers.ts'
import { createMemoryStorage } from './storage/memory.ts'

type Ack = { client: number; clock: number }

function readAck(frame: Uint8Array): Ack | null {
  const ack = decodeAck(frame)
  return ack && { client: ack.clientId, clock: ack.clock }
}

/** What a socket was sent, in order, as acks and updates (sync step 1 and awareness left out). */
function received(frames: Uint8Array[]): (Ack | { update: Uint8Array })[] {
  const out: (Ack | { update: Uint8Array })[] = []
  for (const f of frames) {
    const ack = readAck(f)
    if (ack) out.push(ack)
    else {
      const m = decodeMessage(f)
      if (m.type === 'update' && m.step === 'update') out.push({ update: m.update })
    }
  }
  return out
}

/** A socket that asks for acks; with `oneWrite`, it records what each write carried. */
function writer(oneWrite: boolean): Peer & { frames: Uint8Array[]; writes: number } {
  const p = { ...recordingPeer(), wantsAcks: true, writes: 0 }
  const send = p.send
  p.send = (f) => {
    p.writes++
    send(f)
  }
  if (!oneWrite) return p
  return Object.assign(p, {
    sendShared(frame: Uint8Array | null, _once: SharedFrame, own: readonly Uint8Array[]) {
      p.writes++
      if (frame) p.frames.push(frame)
      p.frames.push(...own)
    },
  })
}

/** `n` marks by one replica, each its own update, as a client sends them. */
function marksBy(doc: Y.Doc, n: number, key: string): Uint8Array[] {
  const out: Uint8Array[] = []
  const on = (u: Uint8Array) => out.push(u)
  doc.on('update', on)
  for (let i = 0; i < n; i++) doc.getMap('marks').set(`${key}-${i}`, { kind: 'done', i })
  doc.off('update', on)
  return out
}

describe('[§4 durable] acks say only what is stored, in the order stored', () => {
  const rooms: Room[] = []
  afterEach(() => {
    for (const r of rooms.splice(0)) r.destroy()
  })

  async function room(gate?: Promise<void>): Promise<{ room: Room; metrics: Metrics }> {
    const storage = createMemoryStorage()
    if (gate) {
      const append = storage.appendUpdate.bind(storage)
      storage.appendUpdate = async (name, update) => {
        await gate
        return append(name, update)
      }
    }
    const metrics = createMetrics()
    const r = await Room.load('inbox:pn-1', { storage, metrics, log: () => {}, compactEvery: 1e6 })
    rooms.push(r)
    return { room: r, metrics }
  }

  const apply = (r: Room, peer: Peer, update: Uint8Array) => {
    const { structs, ds } = Y.decodeUpdate(update)
    r.applyUpdate(peer, update, structs, ds)
  }

  for (const oneWrite of [true, false])
    it(`[protocol ack] nothing is acknowledged or seen before the batch is stored; then several updates of one socket get one ack with the newest clock, and the others the frame once${oneWrite ? ' (one write per socket)' : ' (a transport without sendShared)'}`, async () => {
      let release!: () => void
      const { room: r, metrics } = await room(new Promise<void>((res) => (release = res)))
      const alice = writer(oneWrite)
      const bob = recordingPeer()
      r.join(alice)
      r.join(bob)
      const doc = new Y.Doc()
      for (const u of marksBy(doc, 5, 'a')) apply(r, alice, u)
      await new Promise((res) => setTimeout(res, 20))
      // Durable before acknowledged or visible.
      expect(received(alice.frames)).toEqual([])
      expect(received(bob.frames)).toEqual([])
      release()
      await r.durable()
      expect(received(alice.frames)).toEqual([
        { client: doc.clientID, clock: Y.getState(doc.store, doc.clientID) },
      ])
      const toBob = received(bob.frames)
      expect(toBob).toHaveLength(1)
      const copy = new Y.Doc()
      Y.applyUpdate(copy, (toBob[0] as { update: Uint8Array }).update)
      expect(copy.getMap('marks').toJSON()).toEqual(doc.getMap('marks').toJSON())
      expect(metrics.acksSent).toBe(1)
    })

  for (const oneWrite of [true, false])
    it(`[protocol ack] each writer of a batch gets the merged frame, then its own ack${oneWrite ? ', in one write' : ''}`, async () => {
      const { room: r } = await room()
      const [alice, carol] = [writer(oneWrite), writer(oneWrite)]
      r.join(alice)
      r.join(carol)
      await r.durable()
      const before = [alice.writes, carol.writes]
      const [a, c] = [new Y.Doc(), new Y.Doc()]
      const fromA = marksBy(a, 2, 'a')
      const fromC = marksBy(c, 3, 'c')
      apply(r, alice, fromA[0]!)
      apply(r, carol, fromC[0]!)
      apply(r, alice, fromA[1]!)
      apply(r, carol, fromC[1]!)
      apply(r, carol, fromC[2]!)
      await r.durable()
      for (const [peer, doc, was] of [
        [alice, a, before[0]!],
        [carol, c, before[1]!],
      ] as const) {
        const got = received(peer.frames)
        expect(got).toHaveLength(2)
        expect(got[1]).toEqual({ client: doc.clientID, clock: Y.getState(doc.store, doc.clientID) })
        const copy = new Y.Doc()
        Y.applyUpdate(copy, (got[0] as { update: Uint8Array }).update)
        expect(copy.getMap('marks').toJSON()).toEqual(r.doc.getMap('marks').toJSON())
        expect(peer.writes - was).toBe(oneWrite ? 1 : 2)
      }
    })

  it('[protocol ack] an update the room already has is still acknowledged, once what came before is stored', async () => {
    const { room: r } = await room()
    const alice = writer(true)
    r.join(alice)
    const doc = new Y.Doc()
    const [u] = marksBy(doc, 1, 'a')
    apply(r, alice, u!)
    await r.durable()
    apply(r, alice, u!)
    await r.durable()
    await new Promise((res) => setImmediate(res))
    const ack = { client: doc.clientID, clock: 1 }
    expect(received(alice.frames)).toEqual([ack, ack])
  })
})
