/**
 * Issue 8 §4 — hostile frames [DESIGN §4 "Hostile input"].
 *
 * The relay runs as a child process with an event-loop delay monitor. A control run drives ten
 * normal inbox rooms (one deterministic writer each: fixed Yjs clientID, fixed HLC clock) and
 * measures writer→reader latency; the attack run repeats the same workload while the known crash
 * inputs of Yjs servers and a stream of fuzzed frames hit one other room. Targets: the relay stays
 * up, no loop stall over 100 ms, the normal rooms' documents byte-identical to the control run,
 * their p99 latency within 2× of the control's, and every room still loads after a restart.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import { createHash } from 'node:crypto'
import { rmSync } from 'node:fs'
import { createHlc, inboxRoots, markConversation, readMark, type MarkKind } from '@switchboard/core'
import { MessageType } from '@switchboard/protocol'
import { afterAll, describe, expect, it } from 'vitest'
import * as encoding from 'lib0/encoding'
import WebSocket from 'ws'
import { WebsocketProvider } from 'y-websocket'
import * as Y from 'yjs'
import { percentile, recordFigures, scale, sleep, SOAK, waitFor } from './support/figures.ts'
import { FIXTURES, login, spawnRelay, tempDir, type RelayProcess } from './support/relay.ts'
import { closeOf, openSocket } from './support/sockets.ts'

const NORMAL_ROOMS = 10
const FUZZ_FRAMES = scale(5_000, 100_000)
const MIN_MARKS = scale(40, 150)
const MARK_EVERY_MS = 40
const BASE = Date.now() - 3_600_000
const workspace = {
  phoneNumbers: [...Array.from({ length: NORMAL_ROOMS }, (_, i) => `pn-n${i}`), 'pn-fuzz'],
  members: [
    ['norm', 'member', Array.from({ length: NORMAL_ROOMS }, (_, i) => `pn-n${i}`)],
    ['attacker', 'member', ['pn-fuzz']],
  ],
}

/** Five conversations in each normal room, the ones its writer marks (the same in both runs). */
const conversations = Array.from({ length: NORMAL_ROOMS }, (_, i) =>
  Array.from({ length: 5 }, (_, c) => ({
    id: `seed-n${i}c${c}`,
    conversationId: `n${i}c${c}`,
    phoneNumberId: `pn-n${i}`,
    direction: 'incoming' as const,
    kind: 'message' as const,
    from: '+15550100000',
    to: '+14155551000',
    body: 'hello',
    at: BASE - 1000,
  })),
).flat()

const children: ChildProcess[] = []
afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL')
})

function ask<T>(child: ChildProcess, type: string): Promise<T> {
  return new Promise((resolve) => {
    const on = (m: { type: string }) => {
      if (m.type !== type) return
      child.off('message', on)
      resolve(m as T)
    }
    child.on('message', on)
    child.send({ type })
  })
}

async function startMonitored(dataDir: string, port = 0): Promise<RelayProcess> {
  const relay = await spawnRelay(
    {
      DATA_DIR: dataDir,
      PORT: String(port),
      WORKSPACE: JSON.stringify(workspace),
      INGEST: JSON.stringify(conversations),
    },
    `${FIXTURES}/monitored-relay.ts`,
  )
  children.push(relay.child)
  return relay
}

interface WorkloadResult {
  marks: number
  latenciesMs: number[]
  roomHashes: string[]
}

/** Ten rooms, one deterministic writer and one reader each; `keepGoing` extends the run. */
async function normalWorkload(
  wsUrl: string,
  token: string,
  marksPerRoom: number,
  keepGoing: () => boolean,
): Promise<WorkloadResult> {
  const latencies: number[] = []
  const providers: WebsocketProvider[] = []
  /** Each provider's closes (code and reason), for a time-out's report. */
  const closes = new Map<WebsocketProvider, string[]>()
  // y-websocket adds a process exit listener per provider: room for the three per normal room.
  const listenerLimit = process.getMaxListeners()
  process.setMaxListeners(listenerLimit + 3 * NORMAL_ROOMS)
  const connect = (room: string, doc: Y.Doc) => {
    const p = new WebsocketProvider(wsUrl, room, doc, {
      params: { token },
      WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
      disableBc: true,
    })
    providers.push(p)
    const seen: string[] = []
    closes.set(p, seen)
    p.on('connection-close', (event: CloseEvent | null) => {
      if (event) seen.push(`${event.code} ${event.reason}`.trim())
    })
    return new Promise<void>((resolve) => p.once('sync', () => resolve()))
  }
  const rooms = Array.from({ length: NORMAL_ROOMS }, (_, i) => {
    const writer = new Y.Doc()
    writer.clientID = 1000 + i
    const reader = new Y.Doc()
    const sentAt = new Map<string, number>()
    inboxRoots.marks(reader).observe((event) => {
      const now = performance.now()
      for (const key of event.keysChanged) {
        const at = readMark(reader, key)?.at
        const t0 = at === undefined ? undefined : sentAt.get(at)
        if (t0 !== undefined) {
          latencies.push(now - t0)
          sentAt.delete(at!)
        }
      }
    })
    return { name: `inbox:pn-n${i}`, writer, reader, sentAt, wall: BASE }
  })
  await Promise.all(rooms.flatMap((r) => [connect(r.name, r.writer), connect(r.name, r.reader)]))
  const kinds: MarkKind[] = ['done', 'unread', 'open', 'read']
  let k = 0
  for (; k < marksPerRoom || keepGoing(); k++) {
    for (const [i, r] of rooms.entries()) {
      r.wall = BASE + k * 1000
      const author = {
        memberId: 'norm',
        deviceId: `w${i}`,
        clock: createHlc(`w${i}`, () => r.wall),
      }
      const entry = markConversation(r.writer, `n${i}c${k % 5}`, kinds[(k + i) % 4]!, author)
      r.sentAt.set(entry.at, performance.now())
    }
    await sleep(MARK_EVERY_MS)
  }
  const sv = (d: Y.Doc) => Buffer.from(Y.encodeStateVector(d)).toString('hex')
  const caughtUp = () => rooms.every((r) => sv(r.reader) === sv(r.writer))
  await waitFor(caughtUp, 'readers catch up').catch((e: Error) => {
    // Which room lagged, and how: a reader missing structs (pending ones waiting for them) or a
    // writer whose socket was closed, so the next failure names its cause.
    const lag = rooms
      .map((r, i) => ({ r, pw: providers[2 * i]!, pr: providers[2 * i + 1]! }))
      .filter(({ r }) => sv(r.reader) !== sv(r.writer))
      .map(({ r, pw, pr }) => ({
        room: r.name,
        writerClock: Y.getState(r.writer.store, r.writer.clientID),
        readerClock: r.reader.store.clients.has(r.writer.clientID)
          ? Y.getState(r.reader.store, r.writer.clientID)
          : 0,
        readerPending: r.reader.store.pendingStructs !== null,
        writer: { connected: pw.wsconnected, synced: pw.synced, closes: closes.get(pw) },
        reader: { connected: pr.wsconnected, synced: pr.synced, closes: closes.get(pr) },
      }))
    throw new Error(`${e.message}: ${JSON.stringify(lag)}`)
  })
  // What a fresh client gets from the relay, per room.
  const roomHashes: string[] = []
  for (const r of rooms) {
    const fresh = new Y.Doc()
    await connect(r.name, fresh)
    await waitFor(() => sv(fresh) === sv(r.writer), `fresh copy of ${r.name}`)
    // The writer's structs and every deletion: the relay's own records carry its random client id.
    const others = new Map(
      [...fresh.store.clients.keys()]
        .filter((c) => c !== r.writer.clientID)
        .map((c) => [c, Y.getState(fresh.store, c)]),
    )
    const written = Y.encodeStateAsUpdate(fresh, Y.encodeStateVector(others))
    roomHashes.push(createHash('sha256').update(written).digest('hex'))
  }
  for (const p of providers) p.destroy()
  process.setMaxListeners(listenerLimit)
  return { marks: k, latenciesMs: latencies, roomHashes }
}

interface AttackResult {
  fuzzFrames: number
  fuzzSockets: number
  unansweredProbes: number
  cases: { name: string; code: number | null; ok: boolean }[]
}

/** The attack runs in its own process, so it does not slow the clients that measure latency. */
function attack(wsUrl: string, token: string, seed: number): Promise<AttackResult> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(FIXTURES, 'attacker.ts')], {
    cwd: FIXTURES,
    env: {
      ...process.env,
      WS_URL: wsUrl,
      TOKEN: token,
      SEED: String(seed),
      FRAMES: String(FUZZ_FRAMES),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  children.push(child)
  let out = ''
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()))
  return new Promise((resolve, reject) =>
    child.once('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('RESULT '))
      if (code !== 0 || !line)
        reject(new Error(`attacker exited with ${code}: ${out.slice(-2000)}`))
      else resolve(JSON.parse(line.slice(7)) as AttackResult)
    }),
  )
}

interface Eld {
  maxMs: number
  p99Ms: number
  rssBytes: number
  rssPeakBytes: number
  metrics: string
}

describe('[§4] hostile frames against one room while ten normal rooms run', () => {
  it('the relay stays up without stalling, normal rooms are byte-identical to a control run and keep their latency, and every room still loads after a restart', async () => {
    // Attack run first: the control then repeats exactly as many marks per room.
    const attackDir = tempDir('hostile-attack')
    const relayA = await startMonitored(attackDir)
    const wsA = relayA.url.replace('http', 'ws') + '/sync'
    const normA = (await login(relayA.url, 'norm@example.com')).token
    const attacker = (await login(relayA.url, 'attacker@example.com')).token
    await ask(relayA.child, 'eld-reset')
    let attacking = true
    const attackDone = attack(wsA, attacker, 8).finally(() => (attacking = false))
    const underAttack = await normalWorkload(wsA, normA, MIN_MARKS, () => attacking)
    const attackResult = await attackDone
    const eldA = await ask<Eld>(relayA.child, 'eld')
    const health = await fetch(`${relayA.url}/healthz`)
    expect(relayA.child.exitCode).toBeNull()
    expect(health.status).toBe(200)
    // Restart on the same data: every room (the attacked one too) must load.
    relayA.child.kill('SIGTERM')
    await relayA.exited
    const again = await startMonitored(attackDir)
    const tokenAgain = (await login(again.url, 'attacker@example.com')).token
    const reopen = await openSocket(
      `${again.url.replace('http', 'ws')}/sync/inbox:pn-fuzz?token=${tokenAgain}`,
    )
    const reopenClose = reopen ? await closeOf(reopen, 1000) : -2
    reopen?.terminate()
    again.child.kill('SIGTERM')
    await again.exited

    const controlDir = tempDir('hostile-control')
    const relayC = await startMonitored(controlDir)
    const wsC = relayC.url.replace('http', 'ws') + '/sync'
    const normC = (await login(relayC.url, 'norm@example.com')).token
    await ask(relayC.child, 'eld-reset')
    const control = await normalWorkload(wsC, normC, underAttack.marks, () => false)
    const eldC = await ask<Eld>(relayC.child, 'eld')
    relayC.child.kill('SIGTERM')
    await relayC.exited
    rmSync(attackDir, { recursive: true, force: true })
    rmSync(controlDir, { recursive: true, force: true })

    const identical = control.roomHashes.filter((h, i) => h === underAttack.roomHashes[i]).length
    const p99Control = percentile(control.latenciesMs, 99)
    const p99Attack = percentile(underAttack.latenciesMs, 99)
    const rejected = [
      ...eldA.metrics.matchAll(/^switchboard_frames_rejected_total\{reason="([^"]+)"\} (\d+)/gm),
    ].map((m) => `${m[1]}=${m[2]}`)
    recordFigures('hostile', {
      fuzzFrames: attackResult.fuzzFrames,
      fuzzSockets: attackResult.fuzzSockets,
      unansweredProbes: attackResult.unansweredProbes,
      knownInputs: attackResult.cases,
      normalRooms: NORMAL_ROOMS,
      marksPerRoom: underAttack.marks,
      relayUp: true,
      eventLoopMaxStallMs: Math.round(eldA.maxMs),
      eventLoopMaxStallControlMs: Math.round(eldC.maxMs),
      roomsByteIdentical: `${identical}/${NORMAL_ROOMS}`,
      p50ControlMs: Math.round(percentile(control.latenciesMs, 50) * 10) / 10,
      p99ControlMs: Math.round(p99Control * 10) / 10,
      p50AttackMs: Math.round(percentile(underAttack.latenciesMs, 50) * 10) / 10,
      p99AttackMs: Math.round(p99Attack * 10) / 10,
      p99Ratio: Math.round((p99Attack / Math.max(p99Control, 1)) * 100) / 100,
      attackedRoomLoadsAfterRestart: reopenClose === null,
      relayRssAfterAttackMiB: Math.round(eldA.rssBytes / 1048576),
      rejectedByReason: rejected,
    })
    expect(attackResult.cases.filter((c) => !c.ok)).toEqual([])
    expect(identical).toBe(NORMAL_ROOMS)
    expect(reopenClose).toBeNull()
    expect(attackResult.fuzzFrames).toBe(FUZZ_FRAMES)
    // Timing targets are asserted in the long profile only (DEVELOPERS guide: no timed assertions in the
    // default run on shared cores); the short profile records them.
    if (SOAK) {
      expect(eldA.maxMs).toBeLessThan(100)
      expect(p99Attack).toBeLessThanOrEqual(2 * Math.max(p99Control, 1))
    }
  })
})

const LIMITS_WORKSPACE = {
  phoneNumbers: ['pn-l'],
  members: [
    ['watcher', 'member', ['pn-l']],
    ['attacker', 'member', ['pn-l']],
  ],
}

async function startLimited(env: Record<string, string> = {}): Promise<RelayProcess> {
  const relay = await spawnRelay(
    { DATA_DIR: tempDir('limits'), PORT: '0', WORKSPACE: JSON.stringify(LIMITS_WORKSPACE), ...env },
    `${FIXTURES}/monitored-relay.ts`,
  )
  children.push(relay.child)
  return relay
}

/** A client frame header (FIN, binary, masked with a zero key) announcing `length` payload bytes. */
function frameHeader(length: number): Buffer {
  const head = Buffer.alloc(14)
  head[0] = 0x82
  head[1] = 0x80 | 127
  head.writeUInt32BE(Math.floor(length / 2 ** 32), 2)
  head.writeUInt32BE(length >>> 0, 6)
  return head
}

const rawStream = (ws: WebSocket) =>
  (ws as unknown as { _socket: { write(b: Uint8Array): boolean } })._socket

const presenceFrame = (clientId: number, clock: number, state: unknown) => {
  const json = Buffer.from(JSON.stringify(state))
  const e = encoding.createEncoder()
  encoding.writeVarUint(e, MessageType.Awareness)
  const inner = encoding.createEncoder()
  encoding.writeVarUint(inner, 1)
  encoding.writeVarUint(inner, clientId)
  encoding.writeVarUint(inner, clock)
  encoding.writeVarUint8Array(inner, json)
  encoding.writeVarUint8Array(e, encoding.toUint8Array(inner))
  return encoding.toUint8Array(e)
}

describe('[L5][L6] limits under attack (issue 20): oversized frames, presence amplification', () => {
  it('[L6] ten 30 MiB frames that are not sync step 2 are refused by their header: relay RSS barely moves', async () => {
    const relay = await startLimited()
    const wsUrl = relay.url.replace('http', 'ws') + '/sync/inbox:pn-l'
    const token = (await login(relay.url, 'attacker@example.com')).token
    /** The peak RSS of the relay during `attack`, above its RSS (after a collection) before. */
    const peakDuring = async <T>(attack: () => Promise<T>) => {
      await ask(relay.child, 'gc')
      await ask(relay.child, 'eld-reset')
      const base = (await ask<Eld>(relay.child, 'eld')).rssBytes
      const result = await attack()
      await sleep(300)
      return { result, growth: (await ask<Eld>(relay.child, 'eld')).rssPeakBytes - base }
    }
    const FRAMES = 10
    const SIZE = 30 * 1024 * 1024
    const body = Buffer.alloc(SIZE - 2) // zeros; the mask key is 0, so they go as they are
    /** Sends the frames on their own sockets at once; their close codes. */
    const attackWith = async (firstBytes: [number, number]) => {
      const sockets = await Promise.all(
        Array.from({ length: FRAMES }, () => openSocket(`${wsUrl}?token=${token}`)),
      )
      const codes = sockets.map((ws) => (ws ? closeOf(ws, 60_000) : Promise.resolve(-2)))
      for (const ws of sockets) {
        ws!.on('error', () => {})
        const stream = rawStream(ws!)
        stream.write(Buffer.concat([frameHeader(SIZE), Buffer.from(firstBytes)]))
        stream.write(body)
      }
      const result = await Promise.all(codes)
      for (const ws of sockets) ws?.terminate()
      return result
    }
    // Warm-up: the room loaded and sockets served once, so the figure is the frames' alone.
    for (const ws of await Promise.all(
      Array.from({ length: FRAMES }, () => openSocket(`${wsUrl}?token=${token}`)),
    ))
      ws?.terminate()
    await sleep(500)
    const before = (await ask<Eld>(relay.child, 'eld')).rssBytes
    const { result: refused, growth: refusedGrowth } = await peakDuring(() => attackWith([0, 2])) // [0 sync][2 update]: the 1 MiB cap
    // What remains: a socket's first sync step 2 may be up to 32 MiB, buffered before it is read,
    // as long as the member's budget of such bytes (64 MiB) has room; past it, 4529.
    const { result: allowed, growth: step2Growth } = await peakDuring(() => attackWith([0, 1]))
    relay.child.kill('SIGTERM')
    await relay.exited
    const mib = (n: number) => Math.round((n / 1048576) * 10) / 10
    recordFigures('limits-frames', {
      frames: FRAMES,
      frameMiB: SIZE / 1048576,
      refusedCodes: [...new Set(refused)],
      rssBeforeMiB: mib(before),
      rssPeakGrowthNonStep2MiB: mib(refusedGrowth),
      // Measured on the commit before the frame gate (issue 20): +313 MB for the same attack.
      rssGrowthBeforeGateMB: 313,
      step2Codes: [...new Set(allowed)],
      rssPeakGrowthStep2MiB: mib(step2Growth),
    })
    expect(refused.every((c) => c === 4413)).toBe(true)
    // Buffered, these frames took 300 MB or more. The peak while the relay reads and drops the
    // rest of the attacker's bytes read 35–71 MiB across runs on the shared machine: a third of
    // the buffered figure is the bound, not the noise.
    expect(refusedGrowth).toBeLessThan(100 * 1048576)
    expect(allowed.filter((c) => c === 4529).length).toBeGreaterThanOrEqual(FRAMES - 3)
  })

  it('[L5] five 900 KB presence states: bytes the relay pushes per byte sent, limits off (before) and on', async () => {
    const WATCHERS = 20
    const STATES = 5
    const STATE_BYTES = 900_000
    const run = async (env: Record<string, string>) => {
      const relay = await startLimited(env)
      const wsUrl = relay.url.replace('http', 'ws') + '/sync/inbox:pn-l'
      const watcherToken = (await login(relay.url, 'watcher@example.com')).token
      const attackerToken = (await login(relay.url, 'attacker@example.com')).token
      let received = 0
      const watchers = await Promise.all(
        Array.from({ length: WATCHERS }, () => openSocket(`${wsUrl}?token=${watcherToken}`)),
      )
      for (const ws of watchers) ws!.on('message', (d: Buffer) => (received += d.byteLength))
      await sleep(300)
      received = 0
      let sent = 0
      const codes: (number | null)[] = []
      for (let i = 0; i < STATES; i++) {
        const ws = (await openSocket(`${wsUrl}?token=${attackerToken}`))!
        const frame = presenceFrame(9000 + i, 1, {
          deviceId: `web-a${i}`,
          pad: 'x'.repeat(STATE_BYTES),
        })
        ws.send(frame)
        sent += frame.byteLength
        codes.push(await closeOf(ws, 1500))
        ws.terminate()
      }
      await sleep(500)
      // A flood of presence changes just under the size cap, as fast as the socket takes them.
      const flood = (await openSocket(`${wsUrl}?token=${attackerToken}`))!
      const floodBefore = received
      const FLOOD = 200
      let floodSent = 0
      const t0 = Date.now()
      for (let clock = 1; clock <= FLOOD; clock++) {
        const frame = presenceFrame(9100, clock, { pad: 'y'.repeat(7_000) })
        flood.send(frame)
        floodSent += frame.byteLength
      }
      await sleep(1500)
      const floodMs = Date.now() - t0
      const floodPushed = received - floodBefore
      flood.terminate()
      for (const ws of watchers) ws!.terminate()
      relay.child.kill('SIGTERM')
      await relay.exited
      return {
        oversizedFactor: Math.round(((floodBefore - 0) / sent) * 100) / 100,
        oversizedPushedMB: Math.round(floodBefore / 1e5) / 10,
        attackerCloses: [...new Set(codes)],
        floodFactor: Math.round((floodPushed / floodSent) * 100) / 100,
        floodPushedMBps: Math.round((floodPushed / 1e6 / (floodMs / 1000)) * 10) / 10,
      }
    }
    const off = await run({ MAX_PRESENCE_BYTES: '0', PRESENCE_UPDATES_PER_SECOND: '0' })
    const on = await run({})
    recordFigures('limits-presence', {
      watchers: WATCHERS,
      states: STATES,
      stateBytes: STATE_BYTES,
      before: off,
      after: on,
    })
    expect(on.attackerCloses).toEqual([4413])
    expect(on.oversizedFactor).toBeLessThan(0.1)
    expect(off.oversizedFactor).toBeGreaterThan(WATCHERS / 2)
    expect(on.floodFactor).toBeLessThan(off.floodFactor / 4)
  })
})
