/** Test harness: a relay on port 0, logged-in clients over file or memory storage. */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createSwitchboard, fileStorage, type Switchboard } from '../src/node.ts'
import type { ClientStorage } from '../src/storage/client-storage.ts'
import type { Member } from '../src/types.ts'
export { startRelay, startRelayProcess, DEMO_PASSWORD, type TestRelay } from './relay.ts'
import { DEMO_PASSWORD } from './relay.ts'

export async function login(
  url: string,
  email: string,
): Promise<{ token: string; expiresAt: number; refreshToken: string; member: Member }> {
  const res = await fetch(url + '/api/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: DEMO_PASSWORD }),
  })
  if (!res.ok) throw new Error(`login ${email}: HTTP ${res.status}`)
  return (await res.json()) as {
    token: string
    expiresAt: number
    refreshToken: string
    member: Member
  }
}

export function tempDir(prefix = 'sb-client-'): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) }
}

export async function openClient(
  relay: { url: string },
  email: string,
  options: {
    storage?: ClientStorage | 'memory'
    dir?: string
    deviceId?: string
    connect?: boolean
  } = {},
): Promise<Switchboard> {
  const session = await login(relay.url, email)
  const storage = options.storage ?? (options.dir ? fileStorage(options.dir) : 'memory')
  const sb = createSwitchboard({
    url: relay.url,
    token: session.token,
    refreshToken: session.refreshToken,
    expiresAt: session.expiresAt,
    member: session.member,
    storage,
    deviceId: options.deviceId,
    connect: options.connect,
  })
  await sb.whenLoaded
  return sb
}

/** Resolves when `predicate` holds, re-checking on every status or workspace change. */
export function until(sb: Switchboard, predicate: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const check = () => {
      if (predicate()) {
        offs.forEach((off) => off())
        clearInterval(timer)
        resolve()
      }
    }
    const offs = [sb.onStatus(check), sb.onWorkspaceChange(check)]
    const timer = setInterval(check, 20)
    check()
  })
}

import type { Activity } from '@switchboard/core'

let seq = 0
export function incoming(conversationId: string, body: string, phoneNumberId = 'pn1'): Activity {
  seq++
  return {
    id: `a${Date.now().toString(36)}${seq}`,
    conversationId,
    phoneNumberId,
    direction: 'incoming',
    kind: 'message',
    from: '+15551230000',
    to: '+15550001',
    body,
    at: Date.now(),
  }
}
