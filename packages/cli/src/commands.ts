/**
 * @module The CLI's commands but `stats`: log in, list and show conversations, mark them, add a
 * note, sync, and tell the replica's status. Each checks its input before opening the replica.
 */
import { rmSync } from 'node:fs'
import type { HistoryEntry } from '@switchboard/core'
import { mentionedMembers, newDeviceId, type Member } from '@switchboard/client/node'
import { contactLabels } from './contact-label.ts'
import { clock, explain, historyLines, inboxTable, memberName, stateLabel } from './format.ts'
import {
  afterWrite,
  describe,
  findConversation,
  members,
  syncOrFail,
  withReplica,
  withReplicaOffline,
  type Ctx,
} from './replica.ts'
import { fetchRelays, parseRelayUrls } from './relays.ts'
import {
  CliError,
  dataDirFor,
  readSession,
  rememberCurrent,
  replicaDir,
  writeSession,
} from './session.ts'

const VIEWS = ['inbox', 'unread', 'done', 'all'] as const
type ViewName = (typeof VIEWS)[number]

/** The commands by name; `main` dispatches to them. */
export const commands: Record<string, (ctx: Ctx) => Promise<void>> = {
  async login(ctx) {
    const [raw] = ctx.args
    const listed = raw ?? ctx.io.env.SWITCHBOARD_RELAY_URLS
    if (!listed || ctx.args.length > 1)
      throw new CliError('usage: switchboard login <url[,url…]> --email E [--password P]', 2)
    const urls = parseRelayUrls(listed, raw ? 'login' : 'SWITCHBOARD_RELAY_URLS')
    const email = ctx.flags.email
    if (!email) throw new CliError('login needs --email', 2)
    const password = ctx.flags.password ?? ctx.io.env.SWITCHBOARD_PASSWORD ?? (await readStdin())
    if (!password) throw new CliError('login needs --password (or SWITCHBOARD_PASSWORD)', 2)
    // The first relay that answers takes the login; the relays share one store.
    const { res, url: base } = await fetchRelays(urls, '/api/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password }),
    })
    if (res.status === 401 || res.status === 403)
      throw new CliError(`login refused for ${email}: wrong email or password`)
    if (!res.ok) throw new CliError(`login failed: HTTP ${res.status}`)
    const body = (await res.json()) as {
      token: string
      expiresAt: number
      refreshToken?: string
      member: Member
    }
    // Named for the first relay listed, whichever answered: one workspace, one directory.
    const dataDir = dataDirFor(urls[0]!, ctx.flags.data, ctx.io.env)
    let deviceId = newDeviceId('cli')
    try {
      const previous = readSession(dataDir)
      const before = new Set([previous.url, ...(previous.urls ?? [])])
      if (urls.some((u) => before.has(u)) && previous.member.id === body.member.id)
        deviceId = previous.deviceId
      else rmSync(replicaDir(dataDir), { recursive: true, force: true })
    } catch {
      // first login in this directory
    }
    writeSession(dataDir, {
      url: base,
      ...(urls.length > 1 ? { urls } : {}),
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
    await withReplica(ctx, async (o) => {
      const { sb } = o
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
      const name = await contactLabels(sb, o.offline ? null : () => syncOrFail(ctx, o))
      if (ctx.flags.json) {
        const out = numbers.map((p) => ({
          ...p,
          conversations: sb
            .inbox(p.id)
            .list(view)
            .slice(0, limit)
            .map((c) => ({ ...c, name: name(c), state: stateLabel(c), why: explain(c, all) })),
        }))
        ctx.io.out(JSON.stringify({ view, phoneNumbers: out }, null, 2))
        return
      }
      if (!numbers.length) ctx.io.out('No phone numbers are shared with you.')
      for (const p of numbers) {
        const list = sb.inbox(p.id).list(view)
        ctx.io.out(`${p.name} (${p.number}) · ${p.unread} unread · ${view}: ${list.length}`)
        ctx.io.out(inboxTable(list.slice(0, limit), all, name))
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
      // Synced with the contacts room: the conversation's room was opened after the first sync.
      const name = await contactLabels(sb, o.offline ? null : () => syncOrFail(ctx, o))
      const all = members(sb)
      const history: HistoryEntry[] = inbox.history(id)
      if (ctx.flags.json) {
        ctx.io.out(
          JSON.stringify(
            {
              ...c,
              name: name(c),
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
      ctx.io.out(`${c.id} · ${name(c)} · ${stateLabel(c)}`)
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

  async reply(ctx) {
    const [id, ...words] = ctx.args
    const body = words.join(' ').trim()
    if (!id || !body) throw new CliError('usage: switchboard reply <conversation> "text"', 2)
    // A reply leaves through the relay's outbox and the number's provider: it is never queued here.
    if (ctx.flags.offline) throw new CliError('reply needs the relay: drop --offline', 2)
    await withReplica(ctx, async (o) => {
      const { sb } = o
      const { inbox } = findConversation(sb, id)
      const convo = sb.openConversation(id, inbox.phoneNumberId)
      await convo.whenLoaded
      const { activityId, delivery } = await convo.reply(body)
      const state = delivery ? `${delivery[0]!.toUpperCase()}${delivery.slice(1)}` : 'sent'
      ctx.io.out(`Reply ${activityId} to ${id} · ${state}`)
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
        `Synced with ${o.sb.relay} · pushed ${before} change${before === 1 ? '' : 's'} · ${rooms} inbox${rooms === 1 ? '' : 'es'} · 0 pending`,
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
        url: o.sb.relay,
        ...(o.session.urls ? { urls: o.session.urls } : {}),
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
const MARK_WORD = { done: 'Done', unread: 'Unread', open: 'Open', read: 'Read' } as const

async function mark(ctx: Ctx, kind: keyof typeof MARK_WORD): Promise<void> {
  if (!ctx.args.length) throw new CliError(`usage: switchboard ${kind} <conversation…>`, 2)
  await withReplica(ctx, async (o) => {
    const { sb } = o
    // Every id is checked before anything is written: a typo marks nothing.
    const targets = ctx.args.map((id) => ({ id, ...findConversation(sb, id) }))
    for (const { id, inbox } of targets) await inbox.mark(id, kind)
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
