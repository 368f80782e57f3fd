/**
 * @module The admin commands, for owners and admins: `members`, `numbers` (and `numbers add|
 * rename|remove`) and `invite`. They talk to the relay's admin API directly (no replica): what
 * they show is the relay's, and a refusal is the relay's message (docs/team-admin.md "CLI").
 */
import { parseArgs } from 'node:util'
import { relayCall, type HttpCtx } from './admin-http.ts'
import { clock } from './format.ts'
import { CliError } from './session.ts'

export const ADMIN_USAGE = `  members [--all] [--json]                            members: role, numbers, last seen (admins)
  numbers [--json]                                    phone numbers, provider, who has access
  numbers add --name N --number +E164 | rename <id> --name N | remove <id> --confirm +E164
  invite <email> --role admin|member|viewer [--numbers ID,…] [--json]   prints the invite link`

export const ADMIN_COMMANDS = new Set(['members', 'numbers', 'invite'])

interface AdminMember {
  id: string
  name: string
  email: string
  role: string
  deactivatedAt: number | null
  phoneNumberIds?: string[]
  lastSeenAt?: number | null
  online?: boolean
}

interface AdminNumber {
  id: string
  name: string
  number: string
  provider?: string
  providerStatus?: string
  memberIds: string[]
  webhookUrl: string
}

interface Invite {
  id: string
  email: string
  role: string
  phoneNumberIds: string[]
  expiresAt: number
  url: string
}

export interface AdminIo {
  out(line: string): void
  env: NodeJS.ProcessEnv
}

/** Columns padded to their widest cell; the last one is not padded. */
export function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)))
  return rows.map((r) =>
    r
      .map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd(),
  )
}

function parse(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        data: { type: 'string' },
        json: { type: 'boolean' },
        all: { type: 'boolean' },
        role: { type: 'string' },
        numbers: { type: 'string' },
        name: { type: 'string' },
        number: { type: 'string' },
        confirm: { type: 'string' },
        timeout: { type: 'string' },
        offline: { type: 'boolean' },
      },
    })
  } catch (e) {
    throw new CliError(`${(e as Error).message.split('\n')[0]} (see switchboard --help)`, 2)
  }
}

const listNumbers = async (http: HttpCtx) =>
  (await relayCall<{ phoneNumbers: AdminNumber[] }>(http, 'GET', '/api/admin/phone-numbers'))
    .phoneNumbers

/** An id, or a number's name or E.164 number (case-insensitive), as the number's id. */
function numberId(numbers: AdminNumber[], ref: string): string {
  const wanted = ref.trim().toLowerCase()
  const found =
    numbers.find((n) => n.id === ref.trim()) ??
    numbers.find(
      (n) => n.name.toLowerCase() === wanted || n.number === wanted.replace(/[\s().-]/g, ''),
    )
  if (!found) throw new CliError(`unknown phone number '${ref}' (see switchboard numbers)`)
  return found.id
}

function lastSeen(m: AdminMember): string {
  if (m.online) return 'online'
  if (m.lastSeenAt === undefined) return '—'
  return m.lastSeenAt === null ? 'never' : clock(m.lastSeenAt)
}

/** Runs `members`, `numbers` or `invite` (`argv` starts with the command). */
export async function admin(argv: string[], io: AdminIo): Promise<void> {
  const { positionals, values } = parse(argv)
  const [command, ...args] = positionals
  if (values.offline) throw new CliError(`${command} needs the relay: drop --offline`, 2)
  const http: HttpCtx = { data: values.data, env: io.env }
  const json = (value: unknown) => io.out(JSON.stringify(value, null, 2))

  if (command === 'members') {
    if (args.length) throw new CliError('usage: switchboard members [--all] [--json]', 2)
    const [{ members }, numbers] = await Promise.all([
      relayCall<{ members: AdminMember[] }>(http, 'GET', '/api/admin/members'),
      listNumbers(http),
    ])
    const shown = members.filter((m) => values.all || m.deactivatedAt === null)
    if (values.json) return json(shown)
    const names = new Map(numbers.map((n) => [n.id, n.name]))
    const numbersOf = (m: AdminMember) =>
      (m.phoneNumberIds ?? numbers.filter((n) => n.memberIds.includes(m.id)).map((n) => n.id))
        .map((id) => names.get(id) ?? id)
        .join(', ') || '—'
    const rows = shown.map((m) => [
      m.name,
      m.email,
      m.deactivatedAt === null ? m.role : `${m.role} (removed)`,
      lastSeen(m),
      numbersOf(m),
    ])
    for (const line of table([['NAME', 'EMAIL', 'ROLE', 'LAST SEEN', 'NUMBERS'], ...rows]))
      io.out(line)
    return
  }

  if (command === 'numbers') {
    const [sub, id] = args
    if (sub === undefined) {
      const [numbers, { members }] = await Promise.all([
        listNumbers(http),
        relayCall<{ members: AdminMember[] }>(http, 'GET', '/api/admin/members'),
      ])
      if (values.json) return json(numbers)
      const who = new Map(members.map((m) => [m.id, m.name.split(/\s+/)[0]!.toLowerCase()]))
      const rows = numbers.map((n) => [
        n.id,
        n.name,
        n.number,
        (n.provider ?? 'webhook') + (n.providerStatus ? ' (credentials rejected)' : ''),
        n.memberIds.map((m) => who.get(m) ?? m).join(', ') || '—',
      ])
      for (const line of table([['ID', 'NAME', 'NUMBER', 'PROVIDER', 'ACCESS'], ...rows]))
        io.out(line)
      return
    }
    if (sub === 'add') {
      if (!values.name || !values.number)
        throw new CliError('usage: switchboard numbers add --name N --number +E164', 2)
      const res = await relayCall<{ id: string; webhookUrl: string }>(
        http,
        'POST',
        '/api/admin/phone-numbers',
        { name: values.name, number: values.number },
      )
      if (values.json) return json(res)
      io.out(`Added ${values.name} as ${res.id} · webhooks to ${res.webhookUrl}`)
      io.out('Connect a provider and choose who has access in Settings → Phone numbers.')
      return
    }
    if (sub === 'rename' || sub === 'remove') {
      if (!id) throw new CliError(`usage: switchboard numbers ${sub} <id|name> …`, 2)
      const target = numberId(await listNumbers(http), id)
      const path = `/api/admin/phone-numbers/${encodeURIComponent(target)}`
      if (sub === 'rename') {
        if (!values.name) throw new CliError('usage: switchboard numbers rename <id> --name N', 2)
        await relayCall(http, 'PATCH', path, { name: values.name })
        io.out(`Renamed ${target} to ${values.name.trim()}`)
        return
      }
      if (!values.confirm)
        throw new CliError('usage: switchboard numbers remove <id> --confirm <its number>', 2)
      await relayCall(http, 'DELETE', path, { confirm: values.confirm })
      io.out(`Removed ${target}: its conversations are archived (docs/team-admin.md)`)
      return
    }
    throw new CliError(`unknown numbers command '${sub}' (add, rename, remove)`, 2)
  }

  // invite <email> --role R [--numbers a,b]
  const [email] = args
  if (!email || args.length > 1 || !values.role)
    throw new CliError('usage: switchboard invite <email> --role <role> [--numbers ID,…]', 2)
  const refs = (values.numbers ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
  const numbers = refs.length ? await listNumbers(http) : []
  const invite = await relayCall<Invite>(http, 'POST', '/api/admin/invites', {
    email,
    role: values.role,
    phoneNumberIds: refs.map((r) => numberId(numbers, r)),
  })
  if (values.json) return json(invite)
  const names = new Map(numbers.map((n) => [n.id, n.name]))
  const granted = invite.phoneNumberIds.map((id) => names.get(id) ?? id).join(', ') || 'no numbers'
  io.out(
    `Invited ${invite.email} as ${invite.role} (${granted}); the link expires ${clock(invite.expiresAt)}:`,
  )
  io.out(invite.url)
}
