import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import * as Y from 'yjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createHlc,
  ingestActivity,
  markConversation,
  compactInbox,
  inboxRoots,
  teamFigures,
  type Activity,
  type HistoryEntry,
} from '@switchboard/core'
import { ErrorCode, SwitchboardError } from '@switchboard/client/node'
import { incoming, startRelay, tempDir, type TestRelay } from '@switchboard/client/testing'
import type { Switchboard } from '@switchboard/client/node'
import { duration, parseSince, stats } from './stats-command.ts'
import { CliError } from './session.ts'

const D = Date.UTC(2025, 5, 16)
const MIN = 60_000
const HOUR = 60 * MIN

function act(id: string, conversationId: string, at: number, extra: Partial<Activity> = {}) {
  return {
    id,
    conversationId,
    phoneNumberId: 'pn1',
    direction: 'incoming',
    kind: 'message',
    from: '+15550100',
    to: '+15559999',
    body: 'hi',
    at,
    ...extra,
  } satisfies Activity
}

/** A replica stand-in over one hand-built inbox document. */
function fakeReplica(doc: Y.Doc, archived: () => Promise<HistoryEntry[]> = async () => []) {
  const sb = {
    phoneNumbers: () => [{ id: 'pn1', name: 'Support', number: '+15559999', unread: 0 }],
    members: () => [{ id: 'alice', email: 'a@x', name: 'Alice', role: 'member' }],
    inbox: () => ({ doc, whenLoaded: Promise.resolve(), archivedHistory: archived }),
  } as unknown as Switchboard
  return (_flags: unknown, fn: (sb: Switchboard) => Promise<void>) => fn(sb)
}

function handBuilt() {
  const doc = new Y.Doc()
  let wall = D
  const author = {
    memberId: 'alice',
    deviceId: 'alice-web',
    clock: createHlc('alice-web', () => wall),
  }
  ingestActivity(doc, act('a1', 'c1', D + HOUR))
  ingestActivity(doc, act('a2', 'c2', D + HOUR))
  ingestActivity(doc, act('a3', 'c2', D + HOUR + 4 * MIN, { direction: 'outgoing', from: 'alice' }))
  wall = D + HOUR + 20 * MIN
  markConversation(doc, 'c1', 'done', author)
  return doc
}

describe('switchboard stats', () => {
  it('parses --since as a duration, today or a date, and rejects the rest with exit code 2', () => {
    const now = D + 12 * HOUR
    expect(parseSince('7d', now)).toBe(now - 7 * 24 * HOUR)
    expect(parseSince('24h', now)).toBe(now - 24 * HOUR)
    expect(parseSince('2025-06-01', now)).toBe(Date.UTC(2025, 5, 1))
    expect(() => parseSince('soon', now)).toThrow(CliError)
    expect(duration(4 * MIN)).toBe('4m')
    expect(duration(3 * HOUR + 5 * MIN)).toBe('3h 05m')
    expect(duration(null)).toBe('—')
  })

  it('--json prints exactly what teamFigures computes on the replica, with the review lists', async () => {
    const doc = handBuilt()
    const out: string[] = []
    const now = D + 10 * HOUR
    await stats(['--since', '1d', '--json'], { out: (l) => out.push(l) }, fakeReplica(doc), now)
    const json = JSON.parse(out.join('\n'))
    const timeZone = Intl.DateTimeFormat().resolvedOptions().timeZone
    expect(json.figures).toEqual(
      JSON.parse(
        JSON.stringify(teamFigures([doc], { from: now - 24 * HOUR, to: now, now, timeZone })),
      ),
    )
    expect(json.figures.responseTime).toEqual({
      median: 4 * MIN,
      p90: 20 * MIN,
      count: 2,
      waiting: 0,
    })
    expect(json.figures.completionRate).toEqual({
      done: 1,
      received: 2,
      doneOfReceived: 1,
      rate: 0.5,
    })
    expect(json.review.openWithoutResponse).toEqual([])
  })

  it("[E1] reads the relay's history archive, so marks an epoch moved out of the room still count", async () => {
    const doc = handBuilt()
    const now = D + 10 * HOUR
    const json = async (replica: ReturnType<typeof fakeReplica>) => {
      const out: string[] = []
      await stats(['--since', '1d', '--json'], { out: (l) => out.push(l) }, replica, now)
      return JSON.parse(out.join('\n'))
    }
    const before = await json(fakeReplica(doc))
    const epoch = compactInbox(doc, { epoch: 'e1', historySince: now, now })
    expect(inboxRoots.history(epoch.doc).length).toBe(0)
    const after = await json(fakeReplica(epoch.doc, async () => epoch.archived))
    expect(after.figures).toEqual(before.figures)
    expect(after.archivedHistory).toEqual({ entries: 1, unavailable: false })
    const unreachable = await json(
      fakeReplica(epoch.doc, async () => {
        throw new SwitchboardError(ErrorCode.Unavailable, 'offline')
      }),
    )
    expect(unreachable.archivedHistory).toEqual({ entries: 0, unavailable: true })
    expect(unreachable.figures.completionRate.done).toBe(0)
  })

  it('prints the figures for people, saying that reading is not responding', async () => {
    const out: string[] = []
    await stats(
      ['--since', '1d'],
      { out: (l) => out.push(l) },
      fakeReplica(handBuilt()),
      D + 10 * HOUR,
    )
    const text = out.join('\n')
    expect(text).toContain('reading is not responding')
    expect(text).toMatch(/First response\s+median 4m · p90 20m · 2 answered · 0 waiting/)
    expect(text).toMatch(/Completion\s+50% \(1 of 2 conversations with incoming\)/)
    expect(text).toMatch(/Alice\s+2\s+4m\s+20m\s+1\s+1/)
  })
})

describe('switchboard stats against a real relay', () => {
  let relay: TestRelay
  const home = tempDir('sb-stats-home-')
  const data = tempDir('sb-stats-data-')
  const bin = fileURLToPath(new URL('../bin/switchboard.mjs', import.meta.url))
  const env = { ...process.env, SWITCHBOARD_HOME: home.dir, SWITCHBOARD_TIMEOUT: '20', TZ: 'UTC' }
  const run = (...args: string[]) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve, reject) => {
      const child = spawn(process.execPath, [bin, ...args, '--data', data.dir], { env })
      let stdout = ''
      let stderr = ''
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString()))
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()))
      child.on('error', reject)
      child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }))
    })

  beforeAll(async () => {
    relay = await startRelay()
    await relay.ingest(incoming('c1', 'Is my order shipped?'))
    await relay.ingest(incoming('c2', 'Can I move my appointment?'))
  })
  afterAll(async () => {
    await relay?.stop()
    home.remove()
    data.remove()
  })

  it('counts a Done made from the CLI as a response and a completion', async () => {
    const login = await run(
      'login',
      relay.url,
      '--email',
      'bob@example.com',
      '--password',
      'demo-password',
    )
    expect(login.code).toBe(0)
    expect((await run('done', 'c1')).code).toBe(0)
    const r = await run('stats', '--since', '1d', '--json')
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    const { figures, phoneNumbers } = JSON.parse(r.stdout)
    expect(phoneNumbers).toContain('pn1')
    expect(figures.completionRate).toEqual({ done: 1, received: 2, doneOfReceived: 1, rate: 0.5 })
    expect(figures.responseTime).toMatchObject({ count: 1, waiting: 1 })
    expect(figures.marksByMember).toMatchObject([{ memberId: 'bob', done: 1, completed: 1 }])
    const text = await run('stats', '--number', 'pn1', '--offline')
    expect(text.code).toBe(0)
    expect(text.stdout).toMatch(/Completion\s+50%/)
    const bad = await run('stats', '--since', 'soon', '--offline')
    expect(bad.code).toBe(2)
    expect(bad.stderr.trim().split('\n')).toHaveLength(1)
  })
})
