import { spawn } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  incoming,
  openClient,
  startRelay,
  tempDir,
  until,
  type TestRelay,
} from '@switchboard/client/testing'
import type { Switchboard } from '@switchboard/client/node'

const bin = fileURLToPath(new URL('../bin/switchboard.mjs', import.meta.url))

interface Run {
  code: number
  stdout: string
  stderr: string
}

function cli(args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], {
      env: { ...process.env, ...env, TZ: 'UTC' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()))
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }))
  })
}

describe('switchboard CLI session against a real relay', () => {
  let relay: TestRelay
  let alice: Switchboard
  const home = tempDir('sb-cli-home-')
  const data = tempDir('sb-cli-data-')
  const env = { SWITCHBOARD_HOME: home.dir, SWITCHBOARD_TIMEOUT: '20' }
  const run = (...args: string[]) => cli([...args, '--data', data.dir], env)

  beforeAll(async () => {
    relay = await startRelay()
    await relay.ingest(incoming('c1', 'Is my order shipped?'))
    await relay.ingest(incoming('c2', 'Can I move my appointment?'))
    alice = await openClient(relay, 'alice@example.com')
    await until(alice, () => alice.inbox('pn1').list('all').length === 2)
  })

  afterAll(async () => {
    await alice?.destroy()
    await relay?.stop()
    home.remove()
    data.remove()
  })

  it('logs in, storing a token and a replica directory', async () => {
    const r = await cli(
      [
        'login',
        relay.url,
        '--email',
        'bob@example.com',
        '--password',
        'demo-password',
        '--data',
        data.dir,
      ],
      env,
    )
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('Logged in as Bob Nguyen')
  })

  it('[P1] marks offline, syncs, and a web-style client sees the result', async () => {
    const offline = await run('done', 'c1', '--offline')
    expect(offline.code).toBe(0)
    expect(offline.stdout).toMatch(/c1 → Done/)
    expect(offline.stdout).toMatch(/stored locally · 1 pending/)
    const status = await run('status', '--offline', '--json')
    expect(JSON.parse(status.stdout)).toMatchObject({ pending: 1, online: false })
    expect(alice.inbox('pn1').get('c1')?.status).toBe('open')

    const sync = await run('sync')
    expect(sync.code).toBe(0)
    expect(sync.stdout).toMatch(/pushed 1 change · .* 0 pending/)
    await until(alice, () => alice.inbox('pn1').get('c1')?.status === 'done')
    expect(alice.inbox('pn1').get('c1')?.decidedBy).toMatchObject({ memberId: 'bob', kind: 'done' })

    const after = await run('status', '--json')
    expect(JSON.parse(after.stdout)).toMatchObject({ pending: 0, online: true })
  })

  it('[L1] a session whose device id belongs to another member mints a new one and runs the command', async () => {
    const path = join(data.dir, 'session.json')
    const session = JSON.parse(readFileSync(path, 'utf8')) as { deviceId: string }
    // Alice's replica declared its device on connect: the relay bound it to her.
    writeFileSync(path, JSON.stringify({ ...session, deviceId: alice.deviceId }))
    const r = await run('sync')
    expect(r.stderr).toMatch(/belongs to another member; this replica is now cli-/)
    expect(r.code).toBe(0)
    const renewed = JSON.parse(readFileSync(path, 'utf8')) as { deviceId: string }
    expect(renewed.deviceId).not.toBe(alice.deviceId)
    const status = await run('status', '--json')
    expect(JSON.parse(status.stdout)).toMatchObject({ online: true, deviceId: renewed.deviceId })
  })

  it('[P3] explains the merge: Done by bob, reopened by a new SMS', async () => {
    await relay.ingest(incoming('c1', 'one more thing'))
    const r = await run('inbox')
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(
      /c1\s+Open·Unread.*Done by bob \d\d:\d\d · reopened by new SMS \d\d:\d\d/,
    )
    const json = JSON.parse((await run('inbox', '--view', 'all', '--json')).stdout)
    const c1 = json.phoneNumbers[0].conversations.find((c: { id: string }) => c.id === 'c1')
    expect(c1).toMatchObject({ status: 'open', unread: true, reopenedBy: expect.any(String) })
  })

  it('[C7] names conversations by the name the team gave the contact: inbox, show and --json', async () => {
    await alice.contacts().update('+15551230000', { name: 'Dana Whitfield' })
    const inbox = await run('inbox', '--view', 'all')
    expect(inbox.code).toBe(0)
    expect(inbox.stdout).toMatch(/c1\s+\S+\s+Dana Whitfield/)
    expect(inbox.stdout).toMatch(/c2\s+\S+\s+Dana Whitfield/)
    const show = await run('show', 'c2')
    expect(show.stdout.split('\n')[0]).toMatch(/^c2 · Dana Whitfield · /)
    const json = JSON.parse((await run('show', 'c2', '--json')).stdout) as { name: string }
    expect(json.name).toBe('Dana Whitfield')
    // Cleared, the conversation falls back to its number (the provider gave no name here).
    await alice.contacts().update('+15551230000', { name: null })
    const after = await run('inbox', '--view', 'all')
    expect(after.stdout).toMatch(/c1\s+\S+\s+\+15551230000/)
  })

  it('adds a note whose @mention reaches the mentioned member', async () => {
    const r = await run('note', 'c2', 'customer wants Friday, @alice can you call?')
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('mentioned @alice')
    await until(alice, () => alice.inbox('pn1').mentions('alice').length === 1)
    expect(alice.inbox('pn1').mentions('alice')[0]).toMatchObject({
      conversationId: 'c2',
      by: 'bob',
    })
  })

  it('replies to a conversation: the teammate sees the outgoing message, signed by its sender; offline it refuses', async () => {
    const r = await run('reply', 'c2', 'Friday at 10 works for us')
    expect(r.code).toBe(0)
    expect(r.stdout.trim()).toMatch(/^Reply \S+ to c2 · sent$/)
    const convo = alice.openConversation('c2', 'pn1')
    await convo.whenLoaded
    await until(alice, () => convo.activities().some((a) => a.direction === 'outgoing'))
    expect(convo.activities().find((a) => a.direction === 'outgoing')).toMatchObject({
      body: 'Friday at 10 works for us',
      from: 'bob',
    })
    convo.close()
    const offline = await run('reply', 'c2', 'later', '--offline')
    expect(offline.code).toBe(2)
    expect(offline.stderr.trim()).toBe('switchboard: reply needs the relay: drop --offline')
  })

  it('a note written offline is pushed by the next sync, conversation room and mention alike', async () => {
    const r = await run('note', 'c1', 'called back, @alice please confirm the refund', '--offline')
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/stored locally · 2 pending/)
    expect((await run('sync')).code).toBe(0)
    await until(alice, () => alice.inbox('pn1').mentions('alice').length === 2)
    const convo = alice.openConversation('c1', 'pn1')
    await convo.whenLoaded
    await until(alice, () => convo.notes().length === 1)
    expect(convo.notes()[0]).toMatchObject({ author: 'bob', mentions: ['alice'] })
    convo.close()
  })

  it('bad input is one line on stderr and a non-zero exit, and leaves the replica intact', async () => {
    const unknown = await run('done', 'c1', 'nope', '--offline')
    expect(unknown.code).not.toBe(0)
    expect(unknown.stderr.trim().split('\n')).toEqual([
      "switchboard: unknown conversation 'nope' (see switchboard inbox --view all)",
    ])
    const usage = await run('inbox', '--view', 'bogus')
    expect(usage.code).toBe(2)
    expect(usage.stderr.trim().split('\n')).toHaveLength(1)
    const noLogin = await cli(['inbox', '--data', home.dir + '/nobody'], env)
    expect(noLogin.code).toBe(1)
    expect(noLogin.stderr).toMatch(/^switchboard: not logged in/)
    // 'nope' failed the whole command before anything was written: c1 is not Done again.
    const status = JSON.parse((await run('status', '--offline', '--json')).stdout)
    expect(status.pending).toBe(0)
  })

  it('relay unreachable: one clear line and a non-zero exit; --offline still reads the replica', async () => {
    await relay.kill()
    const r = await run('inbox', '--timeout', '10')
    expect(r.code).toBe(1)
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
    expect(r.stderr).toMatch(/relay unreachable at http:\/\/127\.0\.0\.1:\d+/)
    const local = await run('inbox', '--offline', '--view', 'all', '--json')
    expect(local.code).toBe(0)
    expect(JSON.parse(local.stdout).phoneNumbers[0].conversations).toHaveLength(2)
  })
})

describe('switchboard CLI when its session expires while offline', () => {
  let relay: TestRelay
  const home = tempDir('sb-cli-home-')
  const data = tempDir('sb-cli-data-')
  const env = { SWITCHBOARD_HOME: home.dir, SWITCHBOARD_TIMEOUT: '20' }
  const run = (...args: string[]) => cli([...args, '--data', data.dir], env)
  const login = () =>
    run('login', relay.url, '--email', 'carol@example.com', '--password', 'demo-password')

  beforeAll(async () => {
    // The session itself ends (a refresh token would renew a mere access token).
    relay = await startRelay({ tokenTtlSeconds: 2, sessionTtlSeconds: 2 })
    await relay.ingest(incoming('c1', 'hello'))
  })

  afterAll(async () => {
    await relay?.stop()
    home.remove()
    data.remove()
  })

  it('keeps offline marks through an expired session and pushes them after logging in again', async () => {
    expect((await login()).code).toBe(0)
    expect((await run('done', 'c1', '--offline')).code).toBe(0)
    const session = readFileSync(join(data.dir, 'session.json'), 'utf8')
    const { expiresAt } = JSON.parse(session) as { expiresAt: number }
    await new Promise((r) => setTimeout(r, Math.max(0, expiresAt - Date.now()) + 500))

    const expired = await run('sync')
    expect(expired.code).toBe(1)
    expect(expired.stderr.trim().split('\n').at(-1)).toMatch(/session expired.*switchboard login/)

    const pending = JSON.parse((await run('status', '--offline', '--json')).stdout)
    expect(pending.pending).toBe(1)

    // Logging in again keeps this replica (same relay, same member) and pushes what it holds.
    // (Tokens live 2 s here, so what follows reads the replica offline and asks another client.)
    expect((await login()).code).toBe(0)
    const status = JSON.parse((await run('status', '--offline', '--json')).stdout)
    expect(status.pending).toBe(0)
    const alice = await openClient(relay, 'alice@example.com')
    try {
      await until(alice, () => alice.inbox('pn1').get('c1')?.status === 'done')
      expect(alice.inbox('pn1').get('c1')?.decidedBy?.memberId).toBe('carol')
    } finally {
      await alice.destroy()
    }
  })
})

describe('switchboard CLI when access to a number is revoked while it holds offline marks', () => {
  let relay: TestRelay
  const home = tempDir('sb-cli-home-')
  const data = tempDir('sb-cli-data-')
  const env = { SWITCHBOARD_HOME: home.dir, SWITCHBOARD_TIMEOUT: '20' }
  const run = (...args: string[]) => cli([...args, '--data', data.dir], env)

  beforeAll(async () => {
    relay = await startRelay()
    await relay.ingest(incoming('c1', 'hello'))
  })

  afterAll(async () => {
    await relay?.stop()
    home.remove()
    data.remove()
  })

  it('[R4] sync prints the notice, drops that number from the replica and exits cleanly', async () => {
    const login = await run(
      'login',
      relay.url,
      '--email',
      'carol@example.com',
      '--password',
      'demo-password',
    )
    expect(login.code).toBe(0)
    expect((await run('done', 'c1', '--offline')).code).toBe(0)
    await relay.admin!.revoke('carol', 'pn1')

    const sync = await run('sync')
    expect(sync.code).toBe(0)
    expect(sync.stderr).toMatch(
      /^switchboard: You no longer have access to the inbox of Support \(\+15550001\): its data was removed from this device\. Never stored by the relay and lost: 1 change \(mark done on c1\)\.$/m,
    )
    const status = JSON.parse((await run('status', '--offline', '--json')).stdout)
    expect(status.pending).toBe(0)
    const again = await run('sync')
    expect(again.code).toBe(0)
    expect(again.stderr).toBe('')
  })
})
