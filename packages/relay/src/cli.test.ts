import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createHlc, getConversation, markConversation, readWorkspace } from '@switchboard/core'
import { describe, expect, it, vi } from 'vitest'
import * as Y from 'yjs'
import { runCli } from './cli.ts'
import { createRelay } from './relay.ts'
import { createSqliteStorage } from './storage/sqlite.ts'

describe('switchboard-relay CLI on DATA_DIR', () => {
  it('creates a member and a phone number, grants and revokes, in the tables and the workspace document', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'relay-cli-'))
    const env = { DATA_DIR: dir }
    const log = vi.spyOn(console, 'log').mockImplementation(() => {})
    expect(
      await runCli(
        [
          'create-member',
          '--email',
          'zoe@example.com',
          '--name',
          'Zoe',
          '--role',
          'admin',
          '--id',
          'zoe',
          '--password',
          'long-enough',
        ],
        env,
      ),
    ).toBe(0)
    expect(
      await runCli(
        ['create-phone-number', '--name', 'Ops', '--number', '+14155550000', '--id', 'pn-ops'],
        env,
      ),
    ).toBe(0)
    expect(
      await runCli(['grant', '--member', 'zoe@example.com', '--phone-number', 'pn-ops'], env),
    ).toBe(0)
    expect(await runCli(['create-member', '--email', 'not-an-email', '--name', 'X'], env)).toBe(1)
    const storage = createSqliteStorage({ path: join(dir, 'relay.db') })
    expect(storage.listAccess('zoe')).toEqual(['pn-ops'])
    const stored = await storage.loadRoom('workspace')
    const doc = new Y.Doc()
    for (const u of stored.updates) Y.applyUpdate(doc, u.data)
    const ws = readWorkspace(doc)
    expect(ws.members.map((m) => m.email)).toEqual(['zoe@example.com'])
    expect(ws.access.get('zoe')).toEqual(['pn-ops'])
    await storage.close()
    expect(await runCli(['revoke', '--member', 'zoe', '--phone-number', 'pn-ops'], env)).toBe(0)
    log.mockRestore()
  })

  it('[N7] list shows an archived number; restore-phone-number brings it back with its rooms and access', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'relay-cli-'))
    const env = { DATA_DIR: dir }
    const storage = createSqliteStorage({ path: join(dir, 'relay.db') })
    const relay = createRelay({
      storage,
      secret: 's',
      webhookSecret: 'w',
      upgradeWebSocket: (() => {
        throw new Error('no sockets')
      }) as never,
      log: () => {},
    })
    await relay.admin.createPhoneNumber({ id: 'pn-1', name: 'Support', number: '+14155550142' })
    await relay.admin.createMember({
      id: 'max',
      email: 'max@example.com',
      name: 'Max',
      role: 'member',
      password: 'long-enough',
    })
    await relay.admin.grant('max', 'pn-1')
    await relay.writeRoom('inbox:pn-1', (doc) => doc.getMap('meta').set('kept', true))
    await relay.admin.removePhoneNumber('pn-1', '+14155550142')
    await relay.close()

    const log = vi.spyOn(console, 'log').mockImplementation(() => {})
    const err = vi.spyOn(console, 'error').mockImplementation(() => {})
    expect(await runCli(['list'], env)).toBe(0)
    expect(log.mock.calls.map((c) => String(c[0])).join('\n')).toMatch(
      /number {2}pn-1 +\+14155550142 +Support {2}\(removed .* by operator: archived\)/,
    )
    expect(await runCli(['restore-phone-number', 'pn-1'], env)).toBe(0)
    expect(log.mock.calls.at(-1)![0]).toBe(
      'restored phone number pn-1 +14155550142 (Support) with its rooms',
    )
    expect(await runCli(['restore-phone-number', 'pn-1'], env)).toBe(1)
    expect(err.mock.calls.at(-1)![0]).toBe(
      'error: phoneNumberId: no archived phone number has this id',
    )
    const back = createSqliteStorage({ path: join(dir, 'relay.db') })
    expect(back.getPhoneNumber('pn-1')).toEqual({
      id: 'pn-1',
      name: 'Support',
      number: '+14155550142',
    })
    expect(back.listAccess('max')).toEqual(['pn-1'])
    const doc = new Y.Doc()
    const room = await back.loadRoom('inbox:pn-1')
    if (room.snapshot) Y.applyUpdate(doc, room.snapshot)
    for (const u of room.updates) Y.applyUpdate(doc, u.data)
    expect(doc.getMap('meta').get('kept')).toBe(true)
    await back.close()
    log.mockRestore()
    err.mockRestore()
  })

  it('[S6][S8][S11] set-role, remove-member, reset-password, sessions and revoke-sessions work on the store; the last owner stays', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'relay-cli-'))
    const env = { DATA_DIR: dir }
    const log = vi.spyOn(console, 'log').mockImplementation(() => {})
    const err = vi.spyOn(console, 'error').mockImplementation(() => {})
    const create = (id: string, role: string) =>
      runCli(
        ['create-member', '--email', `${id}@example.com`, '--name', id, '--role', role, '--id', id],
        env,
      )
    expect(await create('olga', 'owner')).toBe(0)
    expect(await create('max', 'member')).toBe(0)
    const seed = createSqliteStorage({ path: join(dir, 'relay.db') })
    const session = (id: string, memberId: string, createdAt: number) =>
      seed.putSession({
        id,
        memberId,
        createdAt,
        expiresAt: Date.now() + 86_400_000,
        refreshGen: 0,
        refreshedAt: createdAt,
        userAgent: 'Firefox',
      })
    session('s-phone', 'max', 1)
    session('s-laptop', 'max', 2)
    session('s-olga', 'olga', 3)
    await seed.close()
    const printed = () => log.mock.calls.map((c) => String(c[0])).join('\n')

    expect(await runCli(['sessions', '--member', 'max@example.com'], env)).toBe(0)
    expect(printed()).toMatch(/session s-laptop .*"Firefox"[\s\S]*session s-phone/)
    expect(await runCli(['revoke-sessions', '--member', 'max', '--session', 's-phone'], env)).toBe(
      0,
    )
    expect(printed()).toMatch(/ended 1 session\(s\) of max: s-phone/)
    log.mockClear()
    expect(await runCli(['sessions', '--member', 'max'], env)).toBe(0)
    expect(printed()).not.toMatch(/s-phone/)
    expect(await runCli(['sessions', '--member', 'max', '--all'], env)).toBe(0)
    expect(printed()).toMatch(/s-phone .*ended .*\(revoked\)/)

    expect(await runCli(['set-role', '--member', 'max', '--role', 'king'], env)).toBe(1)
    expect(await runCli(['set-role', '--member', 'olga', '--role', 'admin'], env)).toBe(1)
    expect(err.mock.calls.at(-1)![0]).toMatch(/last owner/)
    expect(await runCli(['remove-member', '--member', 'olga'], env)).toBe(1)
    expect(await runCli(['set-role', '--member', 'max', '--role', 'admin'], env)).toBe(0)
    expect(await runCli(['reset-password', '--member', 'olga', '--password', 'short'], env)).toBe(1)
    expect(await runCli(['reset-password', '--member', 'olga'], env)).toBe(0)
    expect(printed()).toMatch(/password: \S{12,}/)
    expect(await runCli(['remove-member', '--member', 'max@example.com'], env)).toBe(0)

    const storage = createSqliteStorage({ path: join(dir, 'relay.db') })
    expect(storage.getMember('max')).toMatchObject({ role: 'admin' })
    expect(storage.getMember('max')?.deactivatedAt).toBeGreaterThan(0)
    expect(storage.getSession('s-laptop')).toMatchObject({ endReason: 'member-removed' })
    expect(storage.getSession('s-olga')).toMatchObject({ endReason: 'password-reset' })
    const stored = await storage.loadRoom('workspace')
    const doc = new Y.Doc()
    for (const u of stored.updates) Y.applyUpdate(doc, u.data)
    expect(readWorkspace(doc).members.find((m) => m.id === 'max')).toMatchObject({
      role: 'admin',
      deactivated: true,
    })
    await storage.close()
    log.mockRestore()
    err.mockRestore()
  })

  it('lists sessions while a relay runs on the same DATA_DIR (read-only), but refuses to revoke them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'relay-cli-'))
    const seed = createSqliteStorage({ path: join(dir, 'relay.db') })
    seed.putMember({
      id: 'max',
      email: 'max@example.com',
      name: 'Max',
      role: 'member',
      passwordHash: 'x',
      createdAt: 1,
    })
    await seed.close()
    writeFileSync(join(dir, 'relay.pid'), String(process.pid))
    const log = vi.spyOn(console, 'log').mockImplementation(() => {})
    const err = vi.spyOn(console, 'error').mockImplementation(() => {})
    expect(await runCli(['sessions', '--member', 'max'], { DATA_DIR: dir })).toBe(0)
    expect(await runCli(['revoke-sessions', '--member', 'max'], { DATA_DIR: dir })).toBe(2)
    expect(err.mock.calls[0]![0]).toMatch(/DELETE \/api\/admin\/members\/:id\/sessions/)
    log.mockRestore()
    err.mockRestore()
  })

  it('refuses to write while a relay runs on the same DATA_DIR (the HTTP admin API closes sockets live)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'relay-cli-'))
    writeFileSync(join(dir, 'relay.pid'), String(process.pid))
    const err = vi.spyOn(console, 'error').mockImplementation(() => {})
    expect(await runCli(['grant', '--member', 'x', '--phone-number', 'y'], { DATA_DIR: dir })).toBe(
      2,
    )
    expect(err.mock.calls[0]![0]).toMatch(/HTTP admin API/)
    err.mockRestore()
  })

  it('[T1][T6] restore brings an inbox back to a time, as the first owner by default; bad times are refused', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'relay-cli-'))
    const env = { DATA_DIR: dir }
    const storage = createSqliteStorage({ path: join(dir, 'relay.db') })
    const relay = createRelay({
      storage,
      secret: 's',
      webhookSecret: 'w',
      upgradeWebSocket: (() => {
        throw new Error('no sockets')
      }) as never,
      log: () => {},
    })
    await relay.admin.createPhoneNumber({ id: 'pn-1', name: 'Support', number: '+14155550142' })
    await relay.admin.createMember({
      id: 'olivia',
      email: 'olivia@example.com',
      name: 'Olivia',
      role: 'owner',
      password: 'long-enough',
    })
    const at = Date.now()
    await relay.ingest({
      id: 'a1',
      conversationId: 'c1',
      phoneNumberId: 'pn-1',
      direction: 'incoming',
      kind: 'message',
      from: '+15550100',
      to: '+14155550142',
      at: at - 120_000,
    })
    const later = { memberId: 'm', deviceId: 'm-1', clock: createHlc('m-1', () => at - 60_000) }
    await relay.writeRoom('inbox:pn-1', (doc) => markConversation(doc, 'c1', 'done', later))
    await relay.close()

    const log = vi.spyOn(console, 'log').mockImplementation(() => {})
    const err = vi.spyOn(console, 'error').mockImplementation(() => {})
    const to = new Date(at - 90_000).toISOString()
    expect(await runCli(['restore', 'pn-1', '--at', to], env)).toBe(0)
    expect(log.mock.calls.at(-1)![0]).toBe(
      `restored inbox:pn-1 to ${to} by olivia: 1 conversations, 2 compensating marks`,
    )
    expect(await runCli(['restore', 'pn-1', '--at', 'last tuesday'], env)).toBe(1)
    expect(err.mock.calls.at(-1)![0]).toMatch(/^error: at: must be an ISO 8601 time/)
    expect(
      await runCli(['restore', 'pn-1', '--at', to], { ...env, RESTORE_RETENTION_DAYS: '0' }),
    ).toBe(1)
    expect(err.mock.calls.at(-1)![0]).toMatch(/older than the restore retention \(0 days\)/)
    log.mockRestore()
    err.mockRestore()

    const reopened = createSqliteStorage({ path: join(dir, 'relay.db') })
    const stored = await reopened.loadRoom('inbox:pn-1')
    const doc = new Y.Doc()
    if (stored.snapshot) Y.applyUpdate(doc, stored.snapshot)
    for (const u of stored.updates) Y.applyUpdate(doc, u.data)
    expect(getConversation(doc, 'c1')).toMatchObject({ status: 'open', unread: true })
    await reopened.close()
  })
})
