/**
 * @module The `switchboard` CLI: a second real client and an offline replica.
 * Every command opens the replica in `<data>/replica` (file storage, locked to this process),
 * syncs unless `--offline`, acts, and closes it. Bad input never touches the replica.
 */
import { rmSync } from 'node:fs'
import { parseArgs } from 'node:util'
import type { Conversation, HistoryEntry } from '@switchboard/core'
import {
  createSwitchboard,
  ErrorCode,
  mentionedMembers,
  newDeviceId,
  SwitchboardError,
  type Inbox,
  type Member,
  type Switchboard,
} from '@switchboard/client/node'
import { clock, explain, historyLines, inboxTable, memberName, stateLabel } from './format.ts'
import {
  CliError,
  currentDataDir,
  dataDirFor,
  readSession,
  rememberCurrent,
  replicaDir,
  writeSession,
  type Session,
} from './session.ts'
import { stats, STATS_USAGE } from './stats-command.ts'

export interface Io {
  out(line: string): void
  err(line: string): void
  env: NodeJS.ProcessEnv
}

const USAGE = `usage: switchboard <command> [options]
  login <url> --email E [--password P] [--data DIR]   log in and create the local replica
  inbox [--number NAME] [--view inbox|unread|done|all] [--limit N] [--json]
  show <conversation> [--json]
  done|unread|open|read <conversation…>
  note <conversation> "text @bob"
  sync                                                push local marks, pull the rest
  status [--json]                                     online?, pending count, last synced
${STATS_USAGE}
options: --offline (never touch the network), --data DIR, --timeout SECONDS`

const VIEWS = ['inbox', 'unread', 'done', 'all'] as const
type ViewName = (typeof VIEWS)[number]

interface Flags {
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

function parse(argv: string[]): { command: string; args: string[]; flags: Flags } {
  let parsed
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        email: { type: 'string' },
        password: { type: 'string' },
        data: { type: 'string' },
        number: { type: 'string' },
        view: { type: 'string' },
        json: { type: 'boolean' },
        offline: { type: 'boolean' },
        timeout: { type: 'string' },
        limit: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    })
  } catch (e) {
    throw new CliError(`${(e as Error).message.split('\n')[0]} (see switchboard --help)`, 2)
  }
  const [command = 'help', ...args] = parsed.positionals
  return { command, args, flags: parsed.values as Flags }
}

/** Runs one command; returns the exit code. Errors become one line on stderr. */
export async function main(argv: string[], io: Io = defaultIo()): Promise<number> {
  try {
    if (argv[0] === 'stats') {
      await stats(argv.slice(1), io, (flags, fn) =>
        withReplica({ args: [], flags, io }, ({ sb }) => fn(sb)),
      )
      return 0
    }
    const { command, args, flags } = parse(argv)
    if (flags.help || command === 'help') {
      io.out(USAGE)
      return 0
    }
    const run = commands[command]
    if (!run) throw new CliError(`unknown command '${command}' (see switchboard --help)`, 2)
    await run({ args, flags, io })
    return 0
  } catch (e) {
    io.err(`switchboard: ${describe(e)}`)
    return e instanceof CliError ? e.exitCode : 1
  }
}

function defaultIo(): Io {
  return {
    out: (line) => process.stdout.write(line + '\n'),
    err: (line) => process.stderr.write(line + '\n'),
    env: process.env,
  }
}

function describe(e: unknown): string {
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

interface Ctx {
  args: string[]
  flags: Flags
  io: Io
}

// ---- opening the replica ----------------------------------------------------------------

interface Opened {
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

async function withReplica<T>(
  ctx: Ctx,
  fn: (o: Opened) => Promise<T>,
  renewed = false,
): Promise<T> {
  const dataDir = currentDataDir(ctx.flags.data, ctx.io.env)
  const session = readSession(dataDir)
  const offline = !!ctx.flags.offline
  const sb = createSwitchboard({
    url: session.url,
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
async function syncOrFail(ctx: Ctx, o: Opened, progress = false): Promise<void> {
  const { sb, session } = o
  const limit = timeoutMs(ctx)
  let off = () => {}
  let timer: ReturnType<typeof setTimeout> | undefined
  let shown = -1
  try {
    await new Promise<void>((resolve, reject) => {
      timer = setTimeout(
        () => reject(new CliError(`relay at ${session.url} did not sync within ${limit / 1000}s`)),
        limit,
      )
      off = sb.onStatus((status, pending) => {
        if (status === 'offline')
          reject(
            sb.error ??
              new CliError(`relay unreachable at ${session.url} (use --offline to work locally)`),
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

function members(sb: Switchboard): Member[] {
  return sb.members()
}

function findConversation(
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

// ---- commands ---------------------------------------------------------------------------

const commands: Record<string, (ctx: Ctx) => Promise<void>> = {
  async login(ctx) {
    const [url] = ctx.args
    if (!url || ctx.args.length > 1)
      throw new CliError('usage: switchboard login <url> --email E [--password P]', 2)
    if (!/^https?:\/\/[^/]+/.test(url)) throw new CliError(`not a relay URL: ${url}`, 2)
    const email = ctx.flags.email
    if (!email) throw new CliError('login needs --email', 2)
    const password = ctx.flags.password ?? ctx.io.env.SWITCHBOARD_PASSWORD ?? (await readStdin())
    if (!password) throw new CliError('login needs --password (or SWITCHBOARD_PASSWORD)', 2)
    const base = url.replace(/\/+$/, '')
    let res: Response
    try {
      res = await fetch(base + '/api/login', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email, password }),
      })
    } catch {
      throw new CliError(`relay unreachable at ${base}`)
    }
    if (res.status === 401 || res.status === 403)
      throw new CliError(`login refused for ${email}: wrong email or password`)
    if (!res.ok) throw new CliError(`login failed: HTTP ${res.status}`)
    const body = (await res.json()) as {
      token: string
      expiresAt: number
      refreshToken?: string
      member: Member
    }
    const dataDir = dataDirFor(base, ctx.flags.data, ctx.io.env)
    let deviceId = newDeviceId('cli')
    try {
      const previous = readSession(dataDir)
      if (previous.url === base && previous.member.id === body.member.id)
        deviceId = previous.deviceId
      else rmSync(replicaDir(dataDir), { recursive: true, force: true })
    } catch {
      // first login in this directory
    }
    writeSession(dataDir, {
      url: base,
      token: body.token,
      refreshToken: body.refreshToken,
      expiresAt: body.expiresAt,
      member: body.member,
      deviceId,
      lastSyncedAt: null,
    })
    rememberCurrent(dataDir, ctx.io.env)
    ctx.io.out(`Logged in as ${body.member.name} <${body.member.email}> · replica ${dataDir}`)
    await withReplica({ ...ctx, flags: { ...ctx.flags, data: dataDir } }, async ({ sb }) => {
      const n = sb.phoneNumbers()
      ctx.io.out(
        `Synced ${n.length} phone number${n.length === 1 ? '' : 's'}: ${n.map((p) => p.name).join(', ')}`,
      )
    })
  },

  async inbox(ctx) {
    const view = (ctx.flags.view ?? 'inbox') as ViewName
    if (!VIEWS.includes(view))
      throw new CliError(`unknown view '${ctx.flags.view}' (inbox, unread, done or all)`, 2)
    if (ctx.args.length) throw new CliError(`inbox takes no arguments (got '${ctx.args[0]}')`, 2)
    const limit = ctx.flags.limit === undefined ? Infinity : Number(ctx.flags.limit)
    if (!(limit > 0)) throw new CliError('--limit must be a positive number', 2)
    await withReplica(ctx, async ({ sb }) => {
      let numbers = sb.phoneNumbers()
      if (ctx.flags.number) {
        const want = ctx.flags.number.toLowerCase()
        numbers = numbers.filter(
          (p) =>
            p.id.toLowerCase() === want ||
            p.name.toLowerCase() === want ||
            p.number === ctx.flags.number,
        )
        if (!numbers.length) throw new CliError(`unknown phone number '${ctx.flags.number}'`)
      }
      const all = members(sb)
      if (ctx.flags.json) {
        const out = numbers.map((p) => ({
          ...p,
          conversations: sb
            .inbox(p.id)
            .list(view)
            .slice(0, limit)
            .map((c) => ({ ...c, state: stateLabel(c), why: explain(c, all) })),
        }))
        ctx.io.out(JSON.stringify({ view, phoneNumbers: out }, null, 2))
        return
      }
      if (!numbers.length) ctx.io.out('No phone numbers are shared with you.')
      for (const p of numbers) {
        const list = sb.inbox(p.id).list(view)
        ctx.io.out(`${p.name} (${p.number}) · ${p.unread} unread · ${view}: ${list.length}`)
        ctx.io.out(inboxTable(list.slice(0, limit), all))
        if (list.length > limit) ctx.io.out(`  … ${list.length - limit} more (--limit)`)
      }
      if (sb.pending > 0)
        ctx.io.out(`${sb.pending} local change(s) not yet on the relay: run switchboard sync`)
    })
  },

  async show(ctx) {
    const [id] = ctx.args
    if (!id || ctx.args.length > 1) throw new CliError('usage: switchboard show <conversation>', 2)
    await withReplica(ctx, async (o) => {
      const { sb } = o
      const { inbox, conversation: c } = findConversation(sb, id)
      const convo = sb.openConversation(id, inbox.phoneNumberId)
      await convo.whenLoaded
      if (!o.offline) await syncOrFail(ctx, o)
      const all = members(sb)
      const history: HistoryEntry[] = inbox.history(id)
      if (ctx.flags.json) {
        ctx.io.out(
          JSON.stringify(
            {
              ...c,
              state: stateLabel(c),
              why: explain(c, all),
              history,
              activities: convo.activities(),
              notes: convo.notes(),
            },
            null,
            2,
          ),
        )
        convo.close()
        return
      }
      ctx.io.out(`${c.id} · ${c.contactName ?? c.participants.join(', ')} · ${stateLabel(c)}`)
      const why = explain(c, all)
      if (why) ctx.io.out(`  ${why}`)
      ctx.io.out('Activity:')
      for (const a of convo.activities()) {
        const text =
          a.body ??
          a.transcript ??
          (a.kind === 'call'
            ? a.missed
              ? 'missed call'
              : `call ${a.durationSeconds ?? 0}s`
            : a.kind)
        ctx.io.out(`  ${clock(a.at)}  ${a.direction === 'incoming' ? '←' : '→'} ${text}`)
      }
      if (!convo.activities().length && c.lastActivity)
        ctx.io.out(`  ${clock(c.lastActivity.at)}  ${c.lastActivity.preview}`)
      const notes = convo.notes()
      if (notes.length) {
        ctx.io.out('Notes:')
        for (const n of notes)
          ctx.io.out(`  ${clock(n.at)}  ${memberName(all, n.author)}: ${n.body}`)
      }
      if (history.length) {
        ctx.io.out('History:')
        for (const line of historyLines(history, all)) ctx.io.out(line)
      }
      convo.close()
    })
  },

  done: (ctx) => mark(ctx, 'done'),
  unread: (ctx) => mark(ctx, 'unread'),
  open: (ctx) => mark(ctx, 'open'),
  read: (ctx) => mark(ctx, 'read'),

  async note(ctx) {
    const [id, ...words] = ctx.args
    const body = words.join(' ').trim()
    if (!id || !body) throw new CliError('usage: switchboard note <conversation> "text @bob"', 2)
    await withReplica(ctx, async (o) => {
      const { sb } = o
      const { inbox } = findConversation(sb, id)
      const convo = sb.openConversation(id, inbox.phoneNumberId)
      await convo.whenLoaded
      const mentions = mentionedMembers(body, members(sb))
      const note = await convo.addNote(body, mentions)
      if (!o.offline) await syncOrFail(ctx, o)
      const who = mentions.map((m) => '@' + memberName(members(sb), m)).join(' ')
      ctx.io.out(
        `Note ${note.id} added to ${id}${who ? ` · mentioned ${who}` : ''}${afterWrite(o)}`,
      )
      convo.close()
    })
  },

  async sync(ctx) {
    if (ctx.flags.offline) throw new CliError('sync needs the relay: drop --offline', 2)
    await withReplicaOffline(ctx, async (o) => {
      const before = o.sb.pending
      o.sb.connect()
      await syncOrFail(ctx, o, true)
      const rooms = o.sb.phoneNumbers().length
      ctx.io.out(
        `Synced with ${o.session.url} · pushed ${before} change${before === 1 ? '' : 's'} · ${rooms} inbox${rooms === 1 ? '' : 'es'} · 0 pending`,
      )
    })
  },

  async status(ctx) {
    await withReplicaOffline(ctx, async (o) => {
      let online = false
      let reason = 'offline (--offline)'
      if (!ctx.flags.offline) {
        o.sb.connect()
        try {
          await syncOrFail(
            { ...ctx, flags: { ...ctx.flags, timeout: ctx.flags.timeout ?? '5' } },
            o,
          )
          online = true
        } catch (e) {
          reason = `offline: ${describe(e)}`
        }
      }
      const info = {
        url: o.session.url,
        online,
        member: o.session.member,
        deviceId: o.session.deviceId,
        replica: replicaDir(o.dataDir),
        pending: o.sb.pending,
        lastSyncedAt: o.session.lastSyncedAt,
      }
      if (ctx.flags.json) {
        ctx.io.out(JSON.stringify(info, null, 2))
        return
      }
      const last = info.lastSyncedAt ? clock(info.lastSyncedAt) : 'never'
      ctx.io.out(`Relay      ${info.url} · ${online ? 'online' : reason}`)
      ctx.io.out(`Member     ${info.member.name} <${info.member.email}>`)
      ctx.io.out(`Device     ${info.deviceId}`)
      ctx.io.out(`Replica    ${info.replica}`)
      ctx.io.out(`Pending    ${info.pending}`)
      ctx.io.out(`Last sync  ${last}`)
    })
  },
}

/** Opens the replica without connecting; the command decides. */
function withReplicaOffline<T>(ctx: Ctx, fn: (o: Opened) => Promise<T>): Promise<T> {
  return withReplica({ ...ctx, flags: { ...ctx.flags, offline: true } }, (o) =>
    fn({ ...o, offline: !!ctx.flags.offline }),
  )
}

function afterWrite(o: Opened): string {
  if (!o.offline) return ' (synced)'
  const n = o.sb.pending
  return ` (stored locally · ${n} pending · run switchboard sync)`
}

const MARK_WORD = { done: 'Done', unread: 'Unread', open: 'Open', read: 'Read' } as const

async function mark(ctx: Ctx, kind: keyof typeof MARK_WORD): Promise<void> {
  if (!ctx.args.length) throw new CliError(`usage: switchboard ${kind} <conversation…>`, 2)
  await withReplica(ctx, async (o) => {
    const { sb } = o
    // Every id is checked before anything is written: a typo marks nothing.
    const targets = ctx.args.map((id) => ({ id, ...findConversation(sb, id) }))
    for (const { id, inbox } of targets) {
      if (kind === 'done') await inbox.markDone(id)
      else if (kind === 'unread') await inbox.markUnread(id)
      else if (kind === 'open') await inbox.markOpen(id)
      else await inbox.markRead(id)
    }
    if (!o.offline) await syncOrFail(ctx, o)
    const all = members(sb)
    for (const { id, inbox } of targets) {
      const c = inbox.get(id)!
      ctx.io.out(`${id} → ${MARK_WORD[kind]} · now ${stateLabel(c)} · ${explain(c, all)}`)
    }
    ctx.io.out(
      afterWrite(o)
        .trim()
        .replace(/^\(|\)$/g, ''),
    )
  })
}

async function readStdin(): Promise<string | undefined> {
  if (process.stdin.isTTY) return undefined
  let data = ''
  for await (const chunk of process.stdin) data += chunk
  return data.split('\n')[0]?.trim() || undefined
}
