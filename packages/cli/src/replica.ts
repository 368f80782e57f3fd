/**
 * @module Opening the replica for one command: the session's switchboard on file storage, synced
 * unless `--offline`, a renewed device id when the relay gave this one to another member [L1],
 * and the words a failure is told in.
 */
import type { Conversation } from '@switchboard/core'
import {
  createSwitchboard,
  ErrorCode,
  newDeviceId,
  SwitchboardError,
  type Inbox,
  type Member,
  type Switchboard,
} from '@switchboard/client/node'
import { sessionRelays } from './relays.ts'
import {
  CliError,
  currentDataDir,
  readSession,
  replicaDir,
  writeSession,
  type Session,
} from './session.ts'

export interface Io {
  out(line: string): void
  err(line: string): void
  env: NodeJS.ProcessEnv
}

/** The options every command parses (`parseArgs` in main.ts). */
export interface Flags {
  email?: string
  password?: string
  data?: string
  number?: string
  view?: string
  json?: boolean
  offline?: boolean
  timeout?: string
  limit?: string
  help?: boolean
}

/** One line for stderr that says what went wrong and, where there is one, what to do. */
export function describe(e: unknown): string {
  if (e instanceof CliError) return e.message
  if (e instanceof SwitchboardError) {
    switch (e.code) {
      case 'replica-locked':
        return `${e.message} (another switchboard command is running)`
      case 'unauthorized':
        return 'session expired or revoked: run `switchboard login` again'
      case 'forbidden':
        return `no access: ${e.message}`
      case 'rejected':
        return `the relay rejected a change: ${e.message}`
      default:
        return e.message
    }
  }
  return (e as Error)?.message ?? String(e)
}

/** What a command runs with. */
export interface Ctx {
  args: string[]
  flags: Flags
  io: Io
}

/** The replica a command acts on, its session, and whether it may touch the network. */
export interface Opened {
  sb: Switchboard
  session: Session
  dataDir: string
  offline: boolean
}

function timeoutMs(ctx: Ctx): number {
  const raw = ctx.flags.timeout ?? ctx.io.env.SWITCHBOARD_TIMEOUT ?? '15'
  const s = Number(raw)
  if (!Number.isFinite(s) || s <= 0) throw new CliError(`--timeout must be a number of seconds`, 2)
  return s * 1000
}

/** Opens the replica, syncs it unless offline, runs `fn`, and always closes it. */
export async function withReplica<T>(
  ctx: Ctx,
  fn: (o: Opened) => Promise<T>,
  renewed = false,
): Promise<T> {
  const dataDir = currentDataDir(ctx.flags.data, ctx.io.env)
  const session = readSession(dataDir)
  const offline = !!ctx.flags.offline
  const sb = createSwitchboard({
    url: session.url,
    urls: sessionRelays(session, ctx.io.env),
    // The next run starts at the relay that answered this one.
    onRelay: (url) => writeSession(dataDir, { ...readSession(dataDir), url }),
    token: session.token,
    refreshToken: session.refreshToken,
    expiresAt: session.expiresAt,
    member: session.member,
    deviceId: session.deviceId,
    storage: 'file',
    dir: replicaDir(dataDir),
    connect: !offline,
    // The refresh token rotates: the next run must use the one this refresh returned.
    onToken: (token, expiresAt, refreshToken) =>
      writeSession(dataDir, { ...readSession(dataDir), token, expiresAt, refreshToken }),
  })
  // A refused change or a revoked number is told on stderr, whatever the command (docs/recovery.md).
  const offNotice = sb.onNotice((n) => ctx.io.err(`switchboard: ${n.message}`))
  try {
    await sb.whenLoaded
    const opened = { sb, session, dataDir, offline }
    if (!offline) await syncOrFail(ctx, opened)
    return await fn(opened)
  } catch (err) {
    // The relay bound this session's device id to another member [L1]: mint a new one and run
    // the command again, once. It is refused when connecting, which a command does before it
    // writes (online) or without writing (sync, status), so nothing is done twice.
    if (renewed || (err as { code?: unknown }).code !== ErrorCode.DeviceTaken) throw err
    const deviceId = newDeviceId('cli')
    ctx.io.err(
      `device ${session.deviceId} belongs to another member; this replica is now ${deviceId}`,
    )
    writeSession(dataDir, { ...readSession(dataDir), deviceId })
    await sb.destroy()
    return withReplica(ctx, fn, true)
  } finally {
    await sb.destroy()
    offNotice()
  }
}

/** Waits until every open room is synced and nothing is pending; fails fast when unreachable. */
export async function syncOrFail(ctx: Ctx, o: Opened, progress = false): Promise<void> {
  const { sb, session } = o
  const where = sessionRelays(session, ctx.io.env).join(', ')
  const limit = timeoutMs(ctx)
  let off = () => {}
  let timer: ReturnType<typeof setTimeout> | undefined
  let shown = -1
  try {
    await new Promise<void>((resolve, reject) => {
      timer = setTimeout(
        () => reject(new CliError(`relay at ${where} did not sync within ${limit / 1000}s`)),
        limit,
      )
      off = sb.onStatus((status, pending) => {
        if (status === 'offline')
          reject(
            sb.error ??
              new CliError(`relay unreachable at ${where} (use --offline to work locally)`),
          )
        if (progress && pending > 0 && pending !== shown) {
          shown = pending
          ctx.io.err(`syncing… ${pending} change${pending === 1 ? '' : 's'} to push`)
        }
      })
      sb.whenSynced().then(resolve, reject)
    })
  } finally {
    off()
    clearTimeout(timer)
  }
  o.session = { ...readSession(o.dataDir), lastSyncedAt: Date.now() }
  writeSession(o.dataDir, o.session)
}

/** The workspace's members, as this replica knows them. */
export function members(sb: Switchboard): Member[] {
  return sb.members()
}

/** The conversation and the inbox holding it, among every phone number shared with the member. */
export function findConversation(
  sb: Switchboard,
  id: string,
): { inbox: Inbox; conversation: Conversation } {
  for (const p of sb.phoneNumbers()) {
    const inbox = sb.inbox(p.id)
    const conversation = inbox.get(id)
    if (conversation) return { inbox, conversation }
  }
  throw new CliError(`unknown conversation '${id}' (see switchboard inbox --view all)`)
}

/** Opens the replica without connecting; the command decides. */
export function withReplicaOffline<T>(ctx: Ctx, fn: (o: Opened) => Promise<T>): Promise<T> {
  return withReplica({ ...ctx, flags: { ...ctx.flags, offline: true } }, (o) =>
    fn({ ...o, offline: !!ctx.flags.offline }),
  )
}

/** How a write ended: synced, or stored locally with the pending count. */
export function afterWrite(o: Opened): string {
  if (!o.offline) return ' (synced)'
  const n = o.sb.pending
  return ` (stored locally · ${n} pending · run switchboard sync)`
}
