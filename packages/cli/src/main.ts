/**
 * @module The `switchboard` CLI: a second real client and an offline replica.
 * Every command opens the replica in `<data>/replica` (file storage, locked to this process),
 * syncs unless `--offline`, acts, and closes it. Bad input never touches the replica.
 */
import { parseArgs } from 'node:util'
import { admin, ADMIN_COMMANDS, ADMIN_USAGE } from './admin-commands.ts'
import { commands } from './commands.ts'
import { contactLabels } from './contact-label.ts'
import { describe, syncOrFail, withReplica, type Flags, type Io } from './replica.ts'
import { CliError } from './session.ts'
import { stats, STATS_USAGE } from './stats-command.ts'

export type { Io } from './replica.ts'

const USAGE = `usage: switchboard <command> [options]
  login <url[,url…]> --email E [--password P] [--data DIR]
                                                      log in and create the local replica
                                                      (several relays: comma-separated, or
                                                      SWITCHBOARD_RELAY_URLS)
  inbox [--number NAME] [--view inbox|unread|done|all] [--limit N] [--json]
  show <conversation> [--json]
  done|unread|open|read <conversation…>
  note <conversation> "text @bob"
  reply <conversation> "text"                         send a reply (through the number's provider)
  sync                                                push local marks, pull the rest
  status [--json]                                     online?, pending count, last synced
${STATS_USAGE}
${ADMIN_USAGE}
options: --offline (never touch the network), --data DIR, --timeout SECONDS`

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
        withReplica({ args: [], flags, io }, async (o) => {
          const ctx = { args: [], flags, io }
          const name = await contactLabels(o.sb, o.offline ? null : () => syncOrFail(ctx, o))
          return fn(o.sb, name)
        }),
      )
      return 0
    }
    if (argv[0] && ADMIN_COMMANDS.has(argv[0])) {
      await admin(argv, io)
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
