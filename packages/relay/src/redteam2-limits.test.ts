/**
 * Red-team review of issue 20, devices and limits [L1]–[L6]: a member on raw sockets against a real
 * relay and the real SQLite store declares devices that are not theirs, splits and compresses
 * frames, and hides client ids in presence; each test asserts the safe behaviour.
 */
import { RESTORE_DEVICE } from '@switchboard/core'
import { describe, expect, it } from 'vitest'
import { accessFixture, stillOpen } from './access-fixture.ts'
import {
  CloseCode,
  encodeAwareness,
  encodeAwarenessEntries,
  decodeMessage,
  decodeAwareness,
  MessageType,
} from '@switchboard/protocol'
import { until, type RawSocket } from './test-helpers.ts'

const { relayOnSqlite, open } = accessFixture()

const presenceFrame = (clientId: number, clock: number, state: unknown) =>
  encodeAwareness(encodeAwarenessEntries([{ clientId, clock, state }]))

const presenceSeen = (s: RawSocket) =>
  s.messages
    .filter((m) => m[0] === MessageType.Awareness)
    .flatMap((m) => {
      const msg = decodeMessage(m)
      return msg.type === 'awareness' ? decodeAwareness(msg.update) : []
    })

describe('devices', () => {
  it('[L1][T2] a socket cannot declare the relay’s restore device, another member’s device, or a non-id', async () => {
    const r = await relayOnSqlite()
    const alice = await r.login('alice@example.com')
    const carol = await r.login('carol@example.com')
    const a = await open(r, 'inbox:pn-a', alice, '&device=web-alice-1')
    expect(stillOpen(a)).toBe(true)
    const steal = await open(r, 'inbox:pn-a', carol, '&device=web-alice-1')
    expect((await steal.closed).code).toBe(CloseCode.DeviceTaken)
    const restore = await open(r, 'inbox:pn-a', carol, `&device=${RESTORE_DEVICE}`)
    expect((await restore.closed).code).toBe(CloseCode.DeviceTaken)
    expect(r.relay.storage.getDeviceOwner(RESTORE_DEVICE)).toBeNull()
    // ('..' matches the id grammar and is accepted: ids are never paths.)
    for (const bad of ['', 'a%20b', 'x'.repeat(500), '%00', 'a%2Fb']) {
      const s = await open(r, 'inbox:pn-a', carol, `&device=${bad}`)
      const got = await Promise.race([
        s.closed.then((c) => c.code),
        new Promise((res) => setTimeout(() => res(`open: ${bad}`), 500)),
      ])
      expect(got).toBe(CloseCode.Malformed)
    }
    // Two device params: whichever the relay reads, it must be validated and bound consistently.
    const two = await open(r, 'inbox:pn-a', carol, '&device=web-carol-ok&device=web-alice-1')
    await Promise.race([two.closed, new Promise((res) => setTimeout(res, 200))])
    expect(r.relay.storage.getDeviceOwner('web-alice-1')).toBe('alice')
  })

  it('[L2] presence naming the restore device or a teammate’s device is stripped before anyone sees it', async () => {
    const r = await relayOnSqlite()
    const alice = await r.login('alice@example.com')
    const carol = await r.login('carol@example.com')
    const a = await open(r, 'inbox:pn-a', alice, '&device=web-alice-2')
    const c = await open(r, 'inbox:pn-a', carol)
    c.ws.send(presenceFrame(4242, 1, { deviceId: RESTORE_DEVICE, viewing: null }))
    c.ws.send(presenceFrame(4242, 2, { deviceId: 'web-alice-2', viewing: null }))
    c.ws.send(presenceFrame(4242, 3, { deviceId: 'web-carol-x', viewing: null }))
    await until(
      () => presenceSeen(a).some((e) => e.clientId === 4242 && e.clock === 3),
      'third presence',
    )
    const seen = presenceSeen(a).filter((e) => e.clientId === 4242)
    for (const e of seen)
      expect(['web-carol-x', undefined]).toContain((e.state as { deviceId?: string }).deviceId)
    expect(r.relay.storage.getDeviceOwner(RESTORE_DEVICE)).toBeNull()
  })

  it('[L1] one member binding device ids without bound (observation: no per-member cap on the device table)', async () => {
    const r = await relayOnSqlite()
    const carol = await r.login('carol@example.com')
    for (let i = 0; i < 60; i++) {
      const s = await open(r, 'workspace', carol, `&device=junk-${i}`)
      s.ws.close()
    }
    let bound = 0
    for (let i = 0; i < 60; i++)
      if (r.relay.storage.getDeviceOwner(`junk-${i}`) === 'carol') bound++
    // Documents the behaviour: every id is kept forever (a row per upgrade, no cap).
    expect(bound).toBe(60)
  })
})

/** A masked client frame (mask key 0), optionally with RSV1 (compressed) set. */
function clientFrame(opcode: number, fin: boolean, payload: Uint8Array, rsv1 = false): Buffer {
  const n = payload.byteLength
  const head: number[] = [(fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | opcode]
  if (n < 126) head.push(0x80 | n)
  else if (n < 65_536) head.push(0x80 | 126, n >> 8, n & 0xff)
  else
    head.push(
      0x80 | 127,
      0,
      0,
      0,
      0,
      (n >>> 24) & 0xff,
      (n >>> 16) & 0xff,
      (n >>> 8) & 0xff,
      n & 0xff,
    )
  head.push(0, 0, 0, 0)
  return Buffer.concat([Buffer.from(head), Buffer.from(payload)])
}
const rawWrite = (s: RawSocket, b: Buffer) =>
  (s.ws as unknown as { _socket: { write(b: Buffer): void } })._socket.write(b)

describe('limits', () => {
  const FRAME = 16 * 1024
  const SYNC = 4 * FRAME

  it('[L4] sockets opened all at once cannot pass the per-member cap', async () => {
    const r = await relayOnSqlite({ maxSocketsPerMember: 5 })
    const carol = await r.login('carol@example.com')
    const socks = await Promise.all(Array.from({ length: 15 }, () => open(r, 'workspace', carol)))
    await new Promise((res) => setTimeout(res, 100))
    expect(socks.filter(stillOpen).length).toBe(5)
    // Another session of the same member shares the cap.
    const other = await r.login('carol@example.com')
    const extra = await open(r, 'workspace', other)
    expect((await extra.closed).code).toBe(CloseCode.SlowConsumer)
  })

  it('[L6] a message fragmented into small frames is still held to the frame cap', async () => {
    const r = await relayOnSqlite({ maxFrameBytes: FRAME, maxSyncFrameBytes: SYNC })
    const carol = await r.login('carol@example.com')
    const s = await open(r, 'inbox:pn-a', carol)
    const part = new Uint8Array(1000).fill(7)
    part[0] = 0
    part[1] = 2 // sync update
    rawWrite(s, clientFrame(2, false, part.subarray(0, 100)))
    for (let i = 0; i < 40; i++) rawWrite(s, clientFrame(0, false, part))
    expect((await s.closed).code).toBe(CloseCode.TooLarge)
  })

  it('[L6] a fragmented first step 2 whose first fragment is tiny cannot exceed the sync cap', async () => {
    const r = await relayOnSqlite({ maxFrameBytes: FRAME, maxSyncFrameBytes: SYNC })
    const carol = await r.login('carol@example.com')
    const s = await open(r, 'inbox:pn-a', carol)
    rawWrite(s, clientFrame(2, false, Uint8Array.from([0, 1])))
    const part = new Uint8Array(8000).fill(0)
    for (let i = 0; i < 20; i++) rawWrite(s, clientFrame(0, false, part))
    expect((await s.closed).code).toBe(CloseCode.TooLarge)
  })

  it('[L6] a compressed (RSV1) frame is refused: permessage-deflate is not negotiated', async () => {
    const r = await relayOnSqlite({ maxFrameBytes: FRAME, maxSyncFrameBytes: SYNC })
    const carol = await r.login('carol@example.com')
    const s = await open(r, 'inbox:pn-a', carol)
    expect(s.ws.extensions).toBe('')
    rawWrite(s, clientFrame(2, true, Uint8Array.from([0, 2, 0]), true))
    const { code } = await s.closed
    expect([1002, CloseCode.Malformed]).toContain(code)
  })

  it('[L6] a member’s big first step 2s from many sockets share one budget (4529 past it)', async () => {
    const r = await relayOnSqlite({ maxFrameBytes: FRAME, maxSyncFrameBytes: SYNC })
    const carol = await r.login('carol@example.com')
    const socks = await Promise.all(Array.from({ length: 4 }, () => open(r, 'inbox:pn-a', carol)))
    // Each announces a step 2 of the sync cap and sends only its first bytes (held open).
    for (const s of socks) {
      const head = clientFrame(2, true, new Uint8Array(SYNC)).subarray(0, 14 + 2)
      head[14] = 0
      head[15] = 1
      rawWrite(s, Buffer.from(head))
    }
    await until(() => socks.filter((s) => !stillOpen(s)).length >= 2, 'two refused')
    const codes = await Promise.all(socks.filter((s) => !stillOpen(s)).map((s) => s.closed))
    for (const c of codes) expect(c.code).toBe(CloseCode.SlowConsumer)
  })

  it('[L5] one presence frame with many client ids broadcasts only the socket’s own', async () => {
    const r = await relayOnSqlite({ maxPresenceBytes: 1024, presenceUpdatesPerSecond: 2 })
    const alice = await r.login('alice@example.com')
    const carol = await r.login('carol@example.com')
    const a = await open(r, 'inbox:pn-a', alice)
    const c = await open(r, 'inbox:pn-a', carol)
    const entries = Array.from({ length: 200 }, (_, i) => ({
      clientId: 9000 + i,
      clock: 1,
      state: { n: i },
    }))
    c.ws.send(encodeAwareness(encodeAwarenessEntries(entries)))
    // Then 200 frames of one new id each, and 200 frames of ever-newer own states.
    for (let i = 0; i < 200; i++) c.ws.send(presenceFrame(20_000 + i, 1, { n: i }))
    for (let i = 2; i < 202; i++) c.ws.send(presenceFrame(9000, i, { n: i }))
    await until(
      () => presenceSeen(a).some((e) => e.clientId === 9000 && e.clock === 201),
      'last state',
    )
    const ids = new Set(presenceSeen(a).map((e) => e.clientId))
    expect([...ids].filter((id) => id !== 0 && id >= 9000)).toEqual([9000])
    // The rate holds: far fewer than 200 states of the own id reached Alice.
    expect(presenceSeen(a).filter((e) => e.clientId === 9000).length).toBeLessThan(20)
  })

  it('[L5] an oversized presence state hidden after a small one in the same frame is refused', async () => {
    const r = await relayOnSqlite({ maxPresenceBytes: 1024 })
    const alice = await r.login('alice@example.com')
    const carol = await r.login('carol@example.com')
    const a = await open(r, 'inbox:pn-a', alice)
    const c = await open(r, 'inbox:pn-a', carol)
    c.ws.send(
      encodeAwareness(
        encodeAwarenessEntries([
          { clientId: 31, clock: 1, state: { small: true } },
          { clientId: 31, clock: 2, state: { big: 'x'.repeat(5000) } },
        ]),
      ),
    )
    expect((await c.closed).code).toBe(CloseCode.TooLarge)
    expect(presenceSeen(a).some((e) => JSON.stringify(e.state ?? '').length > 1024)).toBe(false)
  })
})
