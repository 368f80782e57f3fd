/**
 * The installed `switchboard` command (put on PATH by the root's `pnpm link-cli`) run as a child
 * process from outside the repository, against a real relay: members, numbers and invite, and
 * the refusals a person can act on. Also the README's `pnpm --filter … exec switchboard`.
 */
import { execFile, spawn } from 'node:child_process'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startRelay, tempDir, type TestRelay } from '@switchboard/client/testing'

const repo = fileURLToPath(new URL('../../..', import.meta.url))
const run = promisify(execFile)

interface Run {
  code: number
  stdout: string
  stderr: string
}

describe('the installed switchboard command: members, numbers, invite', () => {
  let relay: TestRelay
  const bin = tempDir('sb-cli-bin-')
  const home = tempDir('sb-cli-admin-home-')
  const bobData = tempDir('sb-cli-bob-')
  const carolData = tempDir('sb-cli-carol-')
  const aliceData = tempDir('sb-cli-alice-')
  const PATH = `${join(bin.dir, 'bin')}${delimiter}${process.env.PATH}`

  /** `switchboard …` found on PATH, run from a directory outside the repository. */
  const sb = (args: string[], data: string): Promise<Run> =>
    new Promise((resolve, reject) => {
      const child = spawn('switchboard', [...args, '--data', data], {
        cwd: tmpdir(),
        env: { ...process.env, PATH, SWITCHBOARD_HOME: home.dir, TZ: 'UTC' },
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      let stdout = ''
      let stderr = ''
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString()))
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()))
      child.on('error', reject)
      child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }))
    })
  const as =
    (data: string) =>
    (...args: string[]) =>
      sb(args, data)
  const bob = as(bobData.dir)
  const carol = as(carolData.dir)
  const alice = as(aliceData.dir)

  beforeAll(async () => {
    // The documented one-liner, into a bin directory of the test's own.
    const linked = await run(process.execPath, [
      join(repo, 'scripts/link-cli.mjs'),
      '--bin-dir',
      join(bin.dir, 'bin'),
    ])
    expect(linked.stdout).toContain('switchboard →')
    relay = await startRelay()
    for (const [who, data] of [
      ['bob', bobData.dir],
      ['carol', carolData.dir],
      ['alice', aliceData.dir],
    ] as const) {
      const r = await sb(
        ['login', relay.url, '--email', `${who}@example.com`, '--password', 'demo-password'],
        data,
      )
      expect(r.stderr).toBe('')
      expect(r.code).toBe(0)
    }
  }, 60_000)

  afterAll(async () => {
    await relay?.stop()
    for (const d of [bin, home, bobData, carolData, aliceData]) d.remove()
  })

  it('the README’s `pnpm --filter @switchboard/cli exec switchboard` runs the CLI', async () => {
    const r = await run('pnpm', ['--filter', '@switchboard/cli', 'exec', 'switchboard', '--help'], {
      cwd: repo,
    })
    expect(r.stdout).toContain('usage: switchboard <command>')
    expect(r.stdout).toContain('invite <email> --role')
  })

  it('members lists name, email, role, last seen and numbers', async () => {
    const r = await bob('members')
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    const lines = r.stdout.trimEnd().split('\n')
    expect(lines[0]).toMatch(/^NAME\s+EMAIL\s+ROLE\s+LAST SEEN\s+NUMBERS$/)
    const alice = lines.find((l) => l.startsWith('Alice Martin'))!
    expect(alice).toMatch(/alice@example\.com\s+owner\s+\S.*\s+Support$/)
    expect(lines.find((l) => l.startsWith('Carol Diaz'))).toMatch(/carol@example\.com\s+member/)
    const json = JSON.parse((await bob('members', '--json')).stdout) as { id: string }[]
    expect(json.map((m) => m.id).sort()).toEqual(['alice', 'bob', 'carol'])
  })

  it('numbers lists each number with its provider and who has access; add, rename, and remove (owner only)', async () => {
    const list = await bob('numbers')
    expect(list.code).toBe(0)
    expect(list.stdout).toMatch(/^ID\s+NAME\s+NUMBER\s+PROVIDER\s+ACCESS/)
    expect(list.stdout).toMatch(/pn1\s+Support\s+\+15550001\s+webhook\s+alice, bob, carol/)

    const bad = await bob('numbers', 'add', '--name', 'Billing', '--number', '555-0100')
    expect(bad.code).toBe(1)
    expect(bad.stderr).toMatch(/^switchboard: number: number must be in E\.164/)
    const added = await bob('numbers', 'add', '--name', 'Billing', '--number', '+1 415 555 0177')
    expect(added.code).toBe(0)
    const id = /as (pn-[0-9a-f]+)/.exec(added.stdout)![1]!
    expect(added.stdout).toContain(`${relay.url}/api/webhooks/activity`)
    expect((await bob('numbers', 'rename', 'Billing', '--name', 'Billing desk')).code).toBe(0)
    expect((await bob('numbers')).stdout).toMatch(
      new RegExp(`${id}\\s+Billing desk\\s+\\+14155550177`),
    )

    const admin = await bob('numbers', 'remove', id, '--confirm', '+14155550177')
    expect(admin.code).toBe(1)
    expect(admin.stderr).toBe('switchboard: role: only an owner can remove a phone number\n')
    const wrong = await alice('numbers', 'remove', id, '--confirm', '+15550001')
    expect(wrong.stderr).toMatch(/^switchboard: confirm: type the number, \+14155550177/)
    const removed = await alice('numbers', 'remove', id, '--confirm', '+1 415 555 0177')
    expect(removed.stderr).toBe('')
    expect(removed.code).toBe(0)
    expect((await bob('numbers')).stdout).not.toContain(id)
  })

  it('invite prints a single-use link the relay knows, for the numbers named', async () => {
    const r = await bob('invite', 'dave@example.com', '--role', 'member', '--numbers', 'Support')
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('Invited dave@example.com as member (Support)')
    const url = r.stdout.trim().split('\n').at(-1)!
    expect(url).toMatch(new RegExp(`^${relay.url}/invite/\\S+$`))
    const token = url.slice(url.lastIndexOf('/') + 1)
    const peek = await fetch(`${relay.url}/api/invites/${token}`)
    expect(peek.status).toBe(200)
    expect(await peek.json()).toMatchObject({ email: 'dave@example.com', role: 'member' })
    const json = JSON.parse(
      (await bob('invite', 'erin@example.com', '--role', 'viewer', '--numbers', 'pn1', '--json'))
        .stdout,
    ) as { email: string; phoneNumberIds: string[]; url: string }
    expect(json).toMatchObject({ email: 'erin@example.com', phoneNumberIds: ['pn1'] })
  })

  it('refusals are one clear line and exit 1: not an admin, an unknown number, a member already, an owner by an admin', async () => {
    for (const args of [
      ['members'],
      ['numbers'],
      ['invite', 'x@example.com', '--role', 'member'],
    ]) {
      const r = await carol(...args)
      expect(r.code).toBe(1)
      expect(r.stderr).toBe('switchboard: owner or admin role required\n')
    }
    const unknown = await bob('invite', 'x@example.com', '--role', 'member', '--numbers', 'pn-nope')
    expect(unknown.code).toBe(1)
    expect(unknown.stderr).toBe(
      "switchboard: unknown phone number 'pn-nope' (see switchboard numbers)\n",
    )
    const member = await bob('invite', 'carol@example.com', '--role', 'member')
    expect(member.stderr).toBe('switchboard: email: this email is already a member\n')
    const owner = await bob('invite', 'x@example.com', '--role', 'owner')
    expect(owner.stderr).toBe('switchboard: role: only an owner can invite owners\n')
    const usage = await bob('invite', 'x@example.com')
    expect(usage.code).toBe(2)
  })
})
