import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { readWorkspace } from '@switchboard/core'
import { describe, expect, it, vi } from 'vitest'
import * as Y from 'yjs'
import { runCli } from './cli.ts'
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
})
