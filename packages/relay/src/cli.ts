/**
 * @module `switchboard-relay <command>`: workspace administration on DATA_DIR.
 *
 * Works on the store directly, through the same admin functions as the HTTP routes (so the
 * workspace document stays in step). While a relay runs on the same DATA_DIR it refuses and
 * points at the HTTP admin API, which also closes revoked sockets live.
 */
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { runMigrate } from './cli-migrate.ts'
import { credentialOptions, credentialsFrom } from './cli-credentials.ts'
import { EnvError, readRelayEnv } from './node/env.ts'
import { secretFrom } from './node/secrets.ts'
import { createRelay, AdminError } from './relay.ts'
import { webhookUrl } from './routes/admin.ts'
import { retentionMs } from './restore.ts'
import { createSqliteStorage } from './storage/sqlite.ts'
import { memberRoles, type MemberRole, type PhoneNumberRecord } from './storage/relay-storage.ts'

const usage = (
  dataDir: string,
) => `Usage: switchboard-relay <command> [options]   (DATA_DIR=${dataDir})

  create-member --email <email> --name <name> [--role owner|admin|member|viewer] [--password <pw>] [--id <id>]
  create-phone-number --name <name> --number <e164> [--id <id>]
      [--provider twilio|telnyx|quo (--credentials-file <file.json | -> | <credential flags>)]
      connects the number through its provider and prints the webhook URL to paste there
      (<PUBLIC_URL>/api/webhooks/<provider>/<id>); credential flags: Twilio --account-sid
      --auth-token, Telnyx --api-key --public-key, Quo --api-key --webhook-secret; the file holds
      the same fields as JSON ({ "accountSid": …, "authToken": … }), or - reads it from stdin
  set-credentials --phone-number <id> [--provider twilio|telnyx|quo] (--credentials-file <f> | <flags>)
      replaces a number's credentials (a rotation), or connects a number that had none
  restore-phone-number <id>                  brings back a removed (archived) number with its rooms
      and the access of members still active; without credentials (docs/team-admin.md)
  grant --member <id|email> --phone-number <id>
  revoke --member <id|email> --phone-number <id>
  restore <inbox:phoneNumberId | phoneNumberId> --at <ISO 8601 time with zone | ms> [--by <owner id|email>]
      brings the inbox's conversations back to how they stood at that time (docs/restore.md);
      within RESTORE_RETENTION_DAYS (default 30); --by defaults to the first owner
  set-role --member <id|email> --role owner|admin|member|viewer
  remove-member --member <id|email>          deactivate: no login, every session ended
  reset-password --member <id|email> [--password <pw>]   ends every session of the member
  sessions --member <id|email> [--all]       live sessions (--all: ended ones too)
  revoke-sessions --member <id|email> [--session <id>]   one session, or all of them
  list
  migrate --to <postgres://…>      copies DATA_DIR's SQLite store into an empty PostgreSQL database
  migrate --from <postgres://…>    copies a PostgreSQL database into DATA_DIR's (empty) SQLite store
      either way every room and directory record is then compared with its source (docs/scale-out.md);
      no relay may run on either store meanwhile
Options: --data-dir <dir> (default $DATA_DIR or ./data)`

/** Commands that only read the store, allowed while a relay runs on it. */
const READ_ONLY = new Set(['list', 'sessions'])

function relayRunning(dataDir: string): number | null {
  const pidFile = join(dataDir, 'relay.pid')
  if (!existsSync(pidFile)) return null
  const pid = Number(readFileSync(pidFile, 'utf8'))
  try {
    process.kill(pid, 0)
    return pid
  } catch {
    return null
  }
}

/** [K8] The URL to paste at the provider; without PUBLIC_URL the CLI knows no address to print. */
function printWebhookUrl(publicUrl: string | undefined, pn: PhoneNumberRecord) {
  console.log(`webhook URL: ${webhookUrl(publicUrl ?? '<PUBLIC_URL>', pn)}`)
  if (!publicUrl)
    console.log(
      'PUBLIC_URL is not set: put the address providers reach this relay by in its place, and set PUBLIC_URL for the relay',
    )
}

export async function runCli(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      'data-dir': { type: 'string' },
      email: { type: 'string' },
      name: { type: 'string' },
      role: { type: 'string' },
      password: { type: 'string' },
      id: { type: 'string' },
      number: { type: 'string' },
      member: { type: 'string' },
      'phone-number': { type: 'string' },
      at: { type: 'string' },
      by: { type: 'string' },
      session: { type: 'string' },
      all: { type: 'boolean' },
      to: { type: 'string' },
      from: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
      ...credentialOptions,
    },
  })
  // Read before the store is opened: a mistyped setting changes nothing.
  let settings
  try {
    settings = readRelayEnv(env, [
      'DATA_DIR',
      'RESTORE_RETENTION_DAYS',
      'SWITCHBOARD_SECRET',
      'CREDENTIALS_KEY',
      'PUBLIC_URL',
    ])
  } catch (err) {
    if (!(err instanceof EnvError)) throw err
    console.error(`error: ${err.message}`)
    return 1
  }
  const help = usage(settings.DATA_DIR)
  const command = positionals[0]
  if (!command || values.help || command === 'help') {
    console.log(help)
    return command ? 0 : 1
  }
  const dataDir = resolve(values['data-dir'] ?? settings.DATA_DIR)
  const pid = relayRunning(dataDir)
  if (pid !== null && !READ_ONLY.has(command)) {
    console.error(
      `A relay (pid ${pid}) is running on ${dataDir}. Use its HTTP admin API instead ` +
        `(POST /api/admin/members, /api/admin/phone-numbers, POST|DELETE /api/admin/access, ` +
        `POST /api/admin/restore {room, at}, ` +
        `PATCH|DELETE /api/admin/members/:id, POST /api/admin/members/:id/password, ` +
        `DELETE /api/admin/members/:id/sessions[/:sessionId]), ` +
        `so connected sockets see the change; or stop it first.`,
    )
    return 2
  }
  if (command === 'migrate') {
    const args = {
      ...(values.to !== undefined ? { to: values.to } : {}),
      ...(values.from !== undefined ? { from: values.from } : {}),
    }
    return runMigrate(args, dataDir)
  }
  const restoreRetentionMs = retentionMs(settings.RESTORE_RETENTION_DAYS)
  // [K2] Credentials are sealed with the key the relay on this DATA_DIR will open them with.
  const sealing =
    command === 'set-credentials' ||
    (command === 'create-phone-number' &&
      (values.provider !== undefined || values['credentials-file'] !== undefined))
  if (sealing) mkdirSync(dataDir, { recursive: true, mode: 0o700 })
  const secret = sealing
    ? secretFrom(dataDir, 'switchboard-secret', settings.SWITCHBOARD_SECRET)
    : 'cli-does-not-sign-tokens'
  const storage = createSqliteStorage({ path: join(dataDir, 'relay.db') })
  const relay = createRelay({
    storage,
    restoreRetentionMs,
    secret,
    ...(settings.CREDENTIALS_KEY ? { credentialsKey: settings.CREDENTIALS_KEY } : {}),
    webhookSecret: 'cli-does-not-verify-webhooks',
    upgradeWebSocket: (() => {
      throw new Error('the CLI serves no sockets')
    }) as never,
    log: () => {},
  })
  const memberId = (ref: string | undefined) => {
    if (!ref) throw new AdminError(400, 'member', '--member is required')
    return storage.getMemberByEmail(ref)?.id ?? ref
  }
  const time = (ms: number | null) => (ms === null ? '-' : new Date(ms).toISOString())
  try {
    switch (command) {
      case 'create-member': {
        const role = (values.role ?? 'member') as MemberRole
        if (!memberRoles.includes(role))
          throw new AdminError(400, 'role', `must be one of ${memberRoles.join(', ')}`)
        const password = values.password ?? randomBytes(12).toString('base64url')
        const m = await relay.admin.createMember({
          email: values.email ?? '',
          name: values.name ?? '',
          role,
          password,
          ...(values.id ? { id: values.id } : {}),
        })
        console.log(`created member ${m.id} <${m.email}> (${m.role})`)
        if (!values.password) console.log(`password: ${password}`)
        break
      }
      case 'create-phone-number': {
        const given = credentialsFrom(values)
        if (given.warning) console.error(given.warning)
        const pn = await relay.admin.createPhoneNumber({
          name: values.name ?? '',
          number: values.number ?? '',
          ...(values.id ? { id: values.id } : {}),
          ...(values.provider !== undefined ? { provider: values.provider } : {}),
          ...(given.credentials ? { credentials: given.credentials } : {}),
        })
        console.log(
          `created phone number ${pn.id} ${pn.number} (${pn.name})` +
            (pn.provider ? `, connected through ${pn.provider}` : ''),
        )
        if (pn.provider) printWebhookUrl(settings.PUBLIC_URL, pn)
        break
      }
      case 'set-credentials': {
        const id = values['phone-number']
        if (!id) throw new AdminError(400, 'phone-number', '--phone-number is required')
        const given = credentialsFrom(values)
        if (given.warning) console.error(given.warning)
        const pn = await relay.admin.setCredentials(id, {
          ...(values.provider !== undefined ? { provider: values.provider } : {}),
          credentials: given.credentials,
        })
        console.log(`credentials of ${pn.id} ${pn.number} replaced (${pn.provider})`)
        printWebhookUrl(settings.PUBLIC_URL, pn)
        break
      }
      case 'restore-phone-number': {
        const pn = await relay.admin.restorePhoneNumber(positionals[1] ?? '')
        console.log(`restored phone number ${pn.id} ${pn.number} (${pn.name}) with its rooms`)
        break
      }
      case 'grant':
      case 'revoke': {
        const m = memberId(values.member)
        const pn = values['phone-number']
        if (!pn) throw new AdminError(400, 'phone-number', '--phone-number is required')
        await (command === 'grant' ? relay.admin.grant(m, pn) : relay.admin.revoke(m, pn))
        console.log(
          `${command === 'grant' ? 'granted' : 'revoked'} ${pn} ${command === 'grant' ? 'to' : 'from'} ${m}`,
        )
        break
      }
      case 'restore': {
        if (!values.at) throw new AdminError(400, 'at', '--at is required')
        const owner = values.by
          ? memberId(values.by)
          : storage
              .listMembers()
              .filter((m) => m.role === 'owner')
              .sort((a, b) => a.createdAt - b.createdAt)[0]?.id
        if (!owner) throw new AdminError(400, 'by', 'no owner in this workspace: pass --by')
        const report = await relay.admin.restore(positionals[1] ?? '', values.at, owner)
        console.log(
          `restored ${report.room} to ${report.toIso} by ${report.by}: ` +
            `${report.conversations} conversations, ${report.marks} compensating marks`,
        )
        break
      }
      case 'set-role': {
        const role = values.role as MemberRole
        if (!values.role) throw new AdminError(400, 'role', '--role is required')
        const m = await relay.admin.setRole(memberId(values.member), role)
        console.log(`member ${m.id} is now ${m.role}`)
        break
      }
      case 'remove-member': {
        const m = await relay.admin.removeMember(memberId(values.member))
        console.log(`removed member ${m.id} <${m.email}>: cannot log in, sessions ended`)
        break
      }
      case 'reset-password': {
        const m = memberId(values.member)
        const password = values.password ?? randomBytes(12).toString('base64url')
        await relay.admin.resetPassword(m, password)
        console.log(`password of ${m} reset; every session ended`)
        if (!values.password) console.log(`password: ${password}`)
        break
      }
      case 'sessions': {
        const list = relay.admin.listSessions(memberId(values.member), { all: values.all })
        for (const x of list)
          console.log(
            `session ${x.id} created ${time(x.createdAt)} refreshed ${time(x.refreshedAt)} ` +
              `expires ${time(x.expiresAt)}` +
              (x.endedAt !== null ? ` ended ${time(x.endedAt)} (${x.endReason})` : '') +
              (x.ip ? ` ip ${x.ip}` : '') +
              (x.userAgent ? ` ${JSON.stringify(x.userAgent)}` : ''),
          )
        if (list.length === 0) console.log('no sessions')
        break
      }
      case 'revoke-sessions': {
        const m = memberId(values.member)
        const ended = relay.admin.revokeSessions(m, values.session)
        console.log(
          `ended ${ended.length} session(s) of ${m}${ended.length ? ': ' + ended.join(', ') : ''}`,
        )
        break
      }
      case 'list': {
        for (const m of storage.listMembers())
          console.log(
            `member  ${m.id.padEnd(12)} ${m.email.padEnd(28)} ${m.role.padEnd(7)} ${storage.listAccess(m.id).join(',')}` +
              (m.deactivatedAt !== undefined ? '  (removed)' : ''),
          )
        for (const pn of storage.listPhoneNumbers())
          console.log(
            `number  ${pn.id.padEnd(12)} ${pn.number.padEnd(28)} ${pn.name}` +
              (pn.provider ? `  (${pn.provider})` : ''),
          )
        for (const pn of relay.admin.listArchivedPhoneNumbers())
          console.log(
            `number  ${pn.id.padEnd(12)} ${pn.number.padEnd(28)} ${pn.name}  (removed ${time(pn.archivedAt)} by ${pn.by}: archived)`,
          )
        break
      }
      default:
        console.error(`unknown command ${command}\n${help}`)
        return 1
    }
    return 0
  } catch (err) {
    if (err instanceof AdminError) {
      console.error(`error: ${err.field}: ${err.message}`)
      return 1
    }
    throw err
  } finally {
    await relay.close()
  }
}
