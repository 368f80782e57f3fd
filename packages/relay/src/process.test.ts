/**
 * Child-process tests: the relay as operators run it (`tsx src/main.ts`), killed with SIGKILL
 * under a stream of marks, restarted on the same DATA_DIR; and a graceful SIGTERM.
 */
import type { ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { history, markConversation, conversationIds } from '@switchboard/core'
import { afterEach, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { author, connectProvider, trackAcks, until } from './test-helpers.ts'
import { spawnRelayProcess } from './testing/index.ts'

const children: ChildProcess[] = []
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL')
})

/** Starts the relay on a free port; resolves with its URL once it logs "relay listening". */
const startRelay = (dataDir: string, viaTsxCli = false, webDir = '') =>
  spawnRelayProcess(
    { DATA_DIR: dataDir, SWITCHBOARD_DEMO_PASSWORD: 'demo-password', WEB_DIR: webDir },
    { viaTsxCli, onSpawn: (child) => children.push(child) },
  )

const exited = (child: ChildProcess) =>
  new Promise<number | null>((r) =>
    child.exitCode !== null ? r(child.exitCode) : child.once('exit', (code) => r(code)),
  )

async function login(url: string, email: string) {
  const res = await fetch(`${url}/api/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: 'demo-password' }),
  })
  return ((await res.json()) as { token: string }).token
}

describe('the relay as a process', () => {
  it('[§4 durable] every acknowledged mark survives SIGKILL of the relay and a restart', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'relay-kill-'))
    const first = await startRelay(dataDir)
    const wsUrl = first.url.replace('http', 'ws') + '/sync'
    const token = await login(first.url, 'bob@example.com')
    const c = connectProvider(wsUrl, 'inbox:pn-sales', token, { ack: '1' })
    const acks = trackAcks(c)
    await c.synced
    const ids = conversationIds(c.doc)
    const who = author('bob', 'dev-bob-kill')
    const sent: { id: string; at: string; clock: number }[] = []
    // A stream of marks; kill the relay once a few hundred are acknowledged, mid-stream.
    const killAfterAcks = 300
    let killed = false
    while (!killed && sent.length < 20_000) {
      for (let k = 0; k < 5; k++) {
        const id = ids[sent.length % ids.length]!
        const entry = markConversation(c.doc, id, sent.length % 2 ? 'done' : 'unread', who)
        sent.push({ id, at: entry.at, clock: Y.getState(c.doc.store, c.doc.clientID) })
      }
      await new Promise((r) => setImmediate(r))
      const ackedNow = sent.filter((s) => s.clock <= acks.clock()).length
      // Flow control, like a real client: at most 200 marks in flight, so a loaded machine
      // slows the stream down instead of piling up thousands of unacknowledged marks.
      while (sent.length - sent.filter((s) => s.clock <= acks.clock()).length > 200)
        await new Promise((r) => setTimeout(r, 2))
      if (ackedNow >= killAfterAcks) {
        first.child.kill('SIGKILL')
        killed = true
      }
    }
    await exited(first.child)
    const ackedClock = acks.clock()
    c.destroy()
    const acked = sent.filter((s) => s.clock <= ackedClock)

    const second = await startRelay(dataDir)
    const token2 = await login(second.url, 'bob@example.com')
    const check = connectProvider(
      second.url.replace('http', 'ws') + '/sync',
      'inbox:pn-sales',
      token2,
    )
    await check.synced
    const found = new Set<string>()
    for (const id of new Set(sent.map((s) => s.id)))
      for (const h of history(check.doc, id)) if (h.deviceId === 'dev-bob-kill') found.add(h.at)
    const missing = acked.filter((s) => !found.has(s.at))
    console.log(
      `SIGKILL test: sent=${sent.length} acked=${acked.length} found after restart=${found.size} missing acked=${missing.length}`,
    )
    check.destroy()
    second.child.kill('SIGTERM')
    await exited(second.child)
    expect(acked.length).toBeGreaterThanOrEqual(killAfterAcks)
    expect(missing).toEqual([])
  }, 60_000)

  it('[A9] `tsx src/main.ts` starts (demo seeded, store files and secrets 0600, SPA served), answers /healthz, and SIGTERM closes sockets with 1001 and runs the shutdown to its end', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'relay-smoke-'))
    const webDir = mkdtempSync(join(tmpdir(), 'relay-web-'))
    mkdirSync(join(webDir, 'assets'))
    writeFileSync(join(webDir, 'index.html'), '<!doctype html><title>Switchboard</title>')
    writeFileSync(join(webDir, 'assets/app.js'), 'console.log(1)')
    const relay = await startRelay(dataDir, true, webDir)
    expect(relay.output()).toContain('alice@example.com')
    const health = await fetch(`${relay.url}/healthz`)
    expect(health.status).toBe(200)
    // [A9] Everything the relay creates in DATA_DIR is its user's only.
    for (const name of [
      'switchboard-secret',
      'webhook-secret',
      'relay.db',
      'relay.db-wal',
      'relay.db-shm',
      'relay.pid',
    ])
      expect([name, (statSync(join(dataDir, name)).mode & 0o777).toString(8)]).toEqual([
        name,
        '600',
      ])
    expect(await (await fetch(`${relay.url}/assets/app.js`)).text()).toBe('console.log(1)')
    expect(await (await fetch(`${relay.url}/inbox/pn-support`)).text()).toContain(
      '<title>Switchboard',
    )
    const token = await login(relay.url, 'alice@example.com')
    const c = connectProvider(relay.url.replace('http', 'ws') + '/sync', 'inbox:pn-support', token)
    await c.synced
    expect(conversationIds(c.doc).length).toBeGreaterThan(100)
    relay.child.kill('SIGTERM')
    await until(() => c.closes.some((x) => x.code === 1001), 'going-away close')
    expect(await exited(relay.child)).toBe(0)
    // The shutdown ran to its end (the store closed before the process did) and tidied up.
    expect(existsSync(join(dataDir, 'relay.pid'))).toBe(false)
    c.destroy()
  }, 60_000)
})
