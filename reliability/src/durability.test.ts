/**
 * Issue 8 §2 — SIGKILL durability [DESIGN §4 "Durable before visible"].
 *
 * The relay runs as operators run it (`node --import tsx src/main.ts`, demo workspace, SQLite).
 * Twenty writers (the client library) mark at 10 marks/s each; the relay is SIGKILLed at random
 * moments and restarted on the same port and data. A mark counts as acknowledged once its
 * writer's `pending` fell to 0 after it was made (type-100 acks). After every restart a fresh
 * replica must hold every acknowledged mark. Then a client process is SIGKILLed mid-write: its
 * file store must reopen with every mark it had reported as stored locally.
 */
import { spawn } from 'node:child_process'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { conversationIds, history, inboxRoots, markKey, readMark } from '@switchboard/core'
import { createPrng } from '@switchboard/core/testing'
import { createSwitchboard, type Switchboard } from '@switchboard/client/node'
import { afterAll, describe, expect, it } from 'vitest'
import { recordFigures, scale, sleep, waitFor } from './support/figures.ts'
import {
  FIXTURES,
  RELAY_PACKAGE,
  login,
  spawnRelay,
  startLocalRelay,
  tempDir,
  webhookSignature,
  type RelayProcess,
} from './support/relay.ts'

const WRITERS = 20
const MARKS_PER_SECOND = 10
const KILLS = scale(5, 50)
const CLIENT_KILLS = scale(2, 10)
const MEMBERS: [string, string[]][] = [
  ['alice', ['pn-support', 'pn-sales', 'pn-frontdesk']],
  ['bob', ['pn-support', 'pn-sales']],
  ['carol', ['pn-support']],
  ['dan', ['pn-sales', 'pn-frontdesk']],
  ['erin', ['pn-frontdesk']],
]

const PHONE_NUMBERS = ['pn-support', 'pn-sales', 'pn-frontdesk']
const WORKSPACE = JSON.stringify({
  phoneNumbers: PHONE_NUMBERS,
  members: MEMBERS.map(([id, numbers]) => [id, 'member', numbers]),
})

/**
 * The relay process: the relay's test harness (the production server setup) over SQLite with a
 * small seeded workspace (fixtures/monitored-relay.ts); SIGKILL hits the relay itself.
 */
const startRelay = (dataDir: string, port = 0) =>
  spawnRelay(
    { DATA_DIR: dataDir, PORT: String(port), WORKSPACE },
    join(FIXTURES, 'monitored-relay.ts'),
  )

async function seedConversations(url: string, perNumber: number, numbers = PHONE_NUMBERS) {
  const activities = numbers.flatMap((pn) =>
    Array.from({ length: perNumber }, (_, i) => ({
      id: `seed-${pn}-${i}`,
      conversationId: `${pn}-c${i}`,
      phoneNumberId: pn,
      direction: 'incoming',
      kind: 'message',
      from: `+1555010${String(i).padStart(4, '0')}`,
      to: '+14155550100',
      body: 'Hello',
      at: Date.now() - 60_000,
    })),
  )
  const raw = JSON.stringify(activities)
  const res = await fetch(`${url}/api/webhooks/activity`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-switchboard-signature': webhookSignature(raw),
    },
    body: raw,
  })
  if (res.status !== 202) throw new Error(`webhook: ${res.status} ${await res.text()}`)
}

const figures: Record<string, unknown> = {}
const live: RelayProcess[] = []
afterAll(() => {
  for (const r of live) if (r.child.exitCode === null) r.child.kill('SIGKILL')
  recordFigures('durability', figures)
})

interface Mark {
  writer: number
  pn: string
  id: string
  at: string
}

describe('[§4] SIGKILL durability', () => {
  it(`every acknowledged mark survives ${KILLS} SIGKILLs of the relay under ${WRITERS} writers × ${MARKS_PER_SECOND} marks/s`, async () => {
    const prng = createPrng(2026)
    const dataDir = tempDir('kill')
    let relay = await startRelay(dataDir)
    live.push(relay)
    const port = relay.port
    await seedConversations(relay.url, 30)
    const writers: { sb: Switchboard; pn: string; marks: Mark[]; acked: number }[] = []
    for (let w = 0; w < WRITERS; w++) {
      const [member, numbers] = MEMBERS[w % MEMBERS.length]!
      const session = await login(relay.url, `${member}@example.com`)
      const sb = createSwitchboard({
        url: relay.url,
        token: session.token,
        expiresAt: session.expiresAt,
        member: session.member,
        storage: 'memory',
        deviceId: `writer-${w}`,
      })
      const pn = numbers[w % numbers.length]!
      sb.inbox(pn)
      const writer = { sb, pn, marks: [] as Mark[], acked: 0 }
      // pending 0: every mark made so far is stored by the relay.
      sb.onStatus((_s, pending) => {
        if (pending === 0) writer.acked = writer.marks.length
      })
      writers.push(writer)
    }
    await Promise.all(writers.map((w) => w.sb.whenSynced()))
    let writing = true
    const writeLoop = async (i: number) => {
      const w = writers[i]!
      const inbox = w.sb.inbox(w.pn)
      const ids = conversationIds(inbox.doc)
      while (writing) {
        const started = Date.now()
        const id = prng.pick(ids)
        await (prng.chance(0.5) ? inbox.markDone(id) : inbox.markUnread(id))
        const at = readMark(inbox.doc, markKey(id, 'status', `writer-${i}`))!.at
        w.marks.push({ writer: i, pn: w.pn, id, at })
        if (w.sb.pending === 0) w.acked = w.marks.length
        await sleep(Math.max(0, 1000 / MARKS_PER_SECOND - (Date.now() - started)))
      }
    }
    const loops = writers.map((_, i) => writeLoop(i))
    let lost = 0
    let ackedTotal = 0
    const restartMs: number[] = []
    for (let kill = 0; kill < KILLS; kill++) {
      await sleep(prng.range(300, 1500))
      relay.child.kill('SIGKILL')
      await relay.exited
      // What the writers hold as acknowledged at the moment of the kill.
      const acked = writers.flatMap((w) => w.marks.slice(0, w.acked))
      for (const w of writers) w.sb.disconnect()
      const t0 = Date.now()
      relay = await startRelay(dataDir, port)
      live.push(relay)
      restartMs.push(Date.now() - t0)
      const check = await login(relay.url, 'alice@example.com')
      const verifier = createSwitchboard({
        url: relay.url,
        token: check.token,
        expiresAt: check.expiresAt,
        member: check.member,
        storage: 'memory',
        deviceId: `verifier-${kill}`,
      })
      const pns = [...new Set(acked.map((m) => m.pn))]
      for (const pn of pns) verifier.inbox(pn)
      await verifier.whenSynced()
      const stored = () => {
        const keys = new Set<string>()
        for (const pn of pns)
          for (const h of inboxRoots.history(verifier.inbox(pn).doc).toArray())
            keys.add(`${h.deviceId}|${h.at}`)
        return keys
      }
      const missingNow = () => {
        const keys = stored()
        return acked.filter((m) => !keys.has(`writer-${m.writer}|${m.at}`))
      }
      // A cold join's last frames may trail whenSynced by a moment (docs/reliability.md).
      await waitFor(() => missingNow().length === 0, 'acknowledged marks', 5_000).catch(() => {})
      const missing = missingNow()
      lost += missing.length
      ackedTotal = acked.length
      if (missing.length)
        console.log(
          `kill ${kill}: ${missing.length} acknowledged marks missing`,
          missing.slice(0, 5),
        )
      await verifier.destroy()
      for (const w of writers) w.sb.connect()
    }
    writing = false
    await Promise.all(loops)
    // Everything the writers made is eventually stored.
    await Promise.all(writers.map((w) => w.sb.whenSynced()))
    const made = writers.reduce((s, w) => s + w.marks.length, 0)
    for (const w of writers) await w.sb.destroy()
    relay.child.kill('SIGTERM')
    await relay.exited
    rmSync(dataDir, { recursive: true, force: true })
    Object.assign(figures, {
      writers: WRITERS,
      marksPerSecondPerWriter: MARKS_PER_SECOND,
      relayKills: KILLS,
      marksMade: made,
      marksAcknowledged: ackedTotal,
      acknowledgedLost: lost,
      restartP50Ms: restartMs.sort((a, b) => a - b)[Math.floor(restartMs.length / 2)],
    })
    expect(ackedTotal).toBeGreaterThan(KILLS * WRITERS)
    expect(lost).toBe(0)
  })

  it(`a client process SIGKILLed mid-write reopens its file store with every mark it reported as stored (${CLIENT_KILLS} kills)`, async () => {
    const relay = await startLocalRelay({
      workspace: { phoneNumbers: ['pn-support'], members: [['carol', 'member', ['pn-support']]] },
    })
    await seedConversations(relay.url, 10, ['pn-support'])
    let reported = 0
    let lostLocal = 0
    for (let k = 0; k < CLIENT_KILLS; k++) {
      const dir = tempDir(`client-${k}`)
      // Prepare the replica (synced once, in this process), then the child writes to it offline.
      {
        const session = await login(relay.url, 'carol@example.com')
        const sb = createSwitchboard({
          url: relay.url,
          token: session.token,
          expiresAt: session.expiresAt,
          member: session.member,
          storage: 'file',
          dir,
          deviceId: `killed-${k}`,
          connect: false,
        })
        await sb.whenLoaded
        sb.connect()
        await sb.whenSynced()
        // Asked for only now: a handle taken before the first sync stayed empty (report).
        const inbox = sb.inbox('pn-support')
        await sb.whenSynced()
        await waitFor(() => conversationIds(inbox.doc).length > 0, 'replica prepared')
        await sb.flush()
        await sb.destroy()
      }
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', join(FIXTURES, 'client-writer.ts')],
        {
          cwd: RELAY_PACKAGE,
          env: {
            ...process.env,
            RELAY_URL: relay.url,
            EMAIL: 'carol@example.com',
            DIR: dir,
            DEVICE_ID: `killed-${k}`,
            PHONE_NUMBER: 'pn-support',
          },
          stdio: ['ignore', 'pipe', 'inherit'],
        },
      )
      const stored: { id: string; at: string }[] = []
      let out = ''
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString()
        const lines = out.split('\n')
        out = lines.pop()!
        for (const line of lines) {
          const m = /^STORED (\S+) (\S+)$/.exec(line)
          if (m) stored.push({ id: m[1]!, at: m[2]! })
        }
      })
      const exited = new Promise((r) => child.once('exit', r))
      await waitFor(
        () => stored.length >= 20 + k * 7,
        'the client process stores marks',
        60_000,
      ).finally(() => child.kill('SIGKILL'))
      await exited
      const reports = [...stored]
      const session = await login(relay.url, 'carol@example.com')
      const sb = createSwitchboard({
        url: relay.url,
        token: session.token,
        expiresAt: session.expiresAt,
        member: session.member,
        storage: 'file',
        dir,
        deviceId: `killed-${k}`,
        connect: false,
      })
      await sb.whenLoaded
      const inbox = sb.inbox('pn-support')
      await inbox.whenLoaded
      const missing = reports.filter(
        (r) => !history(inbox.doc, r.id).some((h) => h.deviceId === `killed-${k}` && h.at === r.at),
      )
      reported += reports.length
      lostLocal += missing.length
      await sb.destroy()
      rmSync(dir, { recursive: true, force: true })
    }
    await relay.close()
    rmSync(relay.dataDir, { recursive: true, force: true })
    Object.assign(figures, {
      clientKills: CLIENT_KILLS,
      clientMarksReportedStored: reported,
      clientMarksLostLocally: lostLocal,
    })
    expect(lostLocal).toBe(0)
  })
})
