/**
 * @module A throwaway PostgreSQL cluster for tests, benchmarks and the reliability suite, from
 * Debian's `postgresql` package (scripts/ensure-tools.sh installs it): initdb in a temporary
 * directory, a unix socket only (no TCP port to clash with a cluster the machine already runs),
 * one database per test file. Run as root, the server runs as the `postgres` user (initdb refuses
 * root).
 */
import { execFile, execFileSync } from 'node:child_process'
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir, userInfo } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { connectPostgres } from '../storage/postgres-connect.ts'

const run = promisify(execFile)

/**
 * Set to `postgres` to run the relay's socket and route suites over PostgreSQL instead of the
 * default stores (`pnpm --filter @switchboard/relay test:postgres`).
 */
export const TEST_STORE_ENV = 'SWITCHBOARD_TEST_STORE'

export const testStoreIsPostgres = (): boolean => process.env[TEST_STORE_ENV] === 'postgres'

/** Where the suite's shared cluster listens (its socket directory), once a global setup started it. */
export const TEST_POSTGRES_ENV = 'SWITCHBOARD_TEST_PG_SOCKET'

export interface TestPostgres {
  /** The directory holding the server's unix socket. */
  socketDir: string
  /** A `DATABASE_URL` for one database of this cluster. */
  url(database: string): string
  /** Creates an empty database and returns its URL. */
  createDatabase(name?: string): Promise<string>
  /** Stops the server: `fast` waits for nothing; `immediate` is a crash (no shutdown checkpoint). */
  stop(mode?: 'fast' | 'immediate'): Promise<void>
  /** Starts the stopped server again on the same data and socket. */
  start(): Promise<void>
  /**
   * SIGSTOPs every process of the server (postmaster and backends): connections stay open and
   * nothing answers, as with a database host that hangs; `resume()` SIGCONTs them.
   */
  pause(): void
  resume(): void
  /** Stops the server and deletes its files. */
  destroy(): Promise<void>
}

export interface StartPostgresOptions {
  /** Extra server settings (`-c name=value`), e.g. `{ fsync: 'off' }`. */
  settings?: Record<string, string>
}

/** The newest PostgreSQL server binaries Debian installed, or a clear error naming the fix. */
export function postgresBinDir(): string {
  const root = '/usr/lib/postgresql'
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : []
  if (versions.length === 0) {
    throw new Error(
      'PostgreSQL server not found under /usr/lib/postgresql: install it with ' +
        '`bash scripts/ensure-tools.sh postgresql` (Debian package postgresql)',
    )
  }
  return join(root, versions[0]!, 'bin')
}

const asRoot = userInfo().uid === 0

/** Runs a server binary, as the `postgres` user when we are root. */
async function pg(bin: string, args: string[]): Promise<void> {
  const file = join(postgresBinDir(), bin)
  if (asRoot) await run('runuser', ['-u', 'postgres', '--', file, ...args])
  else await run(file, args)
}

let counter = 0

/** Clusters this process started and has not destroyed: stopped if the process exits first. */
const running = new Map<string, () => void>()
let exitHooked = false
function stopOnExit(dir: string, stopNow: () => void): void {
  running.set(dir, stopNow)
  if (exitHooked) return
  exitHooked = true
  // A test run that is interrupted must not leave servers behind (SIGKILL still can).
  process.on('exit', () => {
    for (const stop of running.values()) stop()
  })
}

/** Starts a new cluster in a temporary directory; `destroy()` removes it. */
export async function startTestPostgres(options: StartPostgresOptions = {}): Promise<TestPostgres> {
  const dir = mkdtempSync(join(tmpdir(), 'sbpg-'))
  if (asRoot) {
    const { uid, gid } = await postgresIds()
    chownSync(dir, uid, gid)
  }
  const data = join(dir, 'data')
  await pg('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8'])
  const settings: Record<string, string> = {
    listen_addresses: "''",
    unix_socket_directories: `'${dir}'`,
    synchronous_commit: 'on',
    max_connections: '200',
    ...options.settings,
  }
  const serverArgs = Object.entries(settings)
    .map(([k, v]) => `-c ${k}=${v}`)
    .join(' ')
  const start = () =>
    pg('pg_ctl', ['-D', data, '-l', join(dir, 'log'), '-w', '-o', serverArgs, 'start'])
  await start()
  stopOnExit(dir, () => {
    try {
      const args = ['-D', data, '-m', 'immediate', '-w', 'stop']
      const bin = join(postgresBinDir(), 'pg_ctl')
      if (asRoot)
        execFileSync('runuser', ['-u', 'postgres', '--', bin, ...args], { stdio: 'ignore' })
      else execFileSync(bin, args, { stdio: 'ignore' })
    } catch {
      // Already stopped.
    }
    rmSync(dir, { recursive: true, force: true })
  })
  let up = true
  const url = (database: string) => databaseUrl(dir, database)
  return {
    socketDir: dir,
    url,
    createDatabase: (name) => createDatabaseAt(dir, name),
    async stop(mode = 'fast') {
      if (!up) return
      await pg('pg_ctl', ['-D', data, '-m', mode, '-w', 'stop'])
      up = false
    },
    async start() {
      if (up) return
      await start()
      up = true
    },
    pause: () => signalServer(data, 'SIGSTOP'),
    resume: () => signalServer(data, 'SIGCONT'),
    async destroy() {
      if (up) await pg('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => {})
      up = false
      running.delete(dir)
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** Signals the server's postmaster (its pid file's first line) and every child of it. */
function signalServer(data: string, signal: 'SIGSTOP' | 'SIGCONT'): void {
  const postmaster = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0])
  const children = readdirSync('/proc')
    .filter((name) => /^[0-9]+$/.test(name))
    .filter((pid) => {
      try {
        // The parent pid is the field after the state, past the command's closing parenthesis.
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === postmaster
      } catch {
        return false
      }
    })
    .map(Number)
  // Stopped first, the postmaster forks nothing new while its children are being stopped.
  const order = signal === 'SIGSTOP' ? [postmaster, ...children] : [...children, postmaster]
  for (const pid of order) {
    try {
      process.kill(pid, signal)
    } catch {
      // Gone meanwhile.
    }
  }
}

async function postgresIds(): Promise<{ uid: number; gid: number }> {
  const { stdout } = await run('id', ['postgres']).catch(() => {
    throw new Error('no `postgres` user: install the Debian package postgresql')
  })
  const uid = /uid=(\d+)/.exec(stdout)
  const gid = /gid=(\d+)/.exec(stdout)
  if (!uid || !gid) throw new Error(`cannot read the postgres user's ids from: ${stdout}`)
  return { uid: Number(uid[1]), gid: Number(gid[1]) }
}

/** The URL of one database of the cluster listening in `socketDir`. */
function databaseUrl(socketDir: string, database: string): string {
  return `postgres://postgres@localhost/${database}?host=${encodeURIComponent(socketDir)}`
}

async function createDatabaseAt(socketDir: string, name?: string): Promise<string> {
  const database = name ?? `t${process.pid}_${Date.now().toString(36)}_${counter++}`
  const sql = connectPostgres(databaseUrl(socketDir, 'postgres'), { max: 1 })
  try {
    await sql.unsafe(`create database "${database}" template template0`)
  } finally {
    await sql.end()
  }
  return databaseUrl(socketDir, database)
}

/**
 * A new database on the suite's shared cluster (started by the package's vitest global setup,
 * `postgres-global-setup.ts`), so each test file has its own.
 */
export async function createTestDatabase(): Promise<string> {
  const socketDir = process.env[TEST_POSTGRES_ENV]
  if (!socketDir) {
    throw new Error(
      `${TEST_POSTGRES_ENV} is not set: run the tests through vitest (its global setup starts PostgreSQL)`,
    )
  }
  return createDatabaseAt(socketDir)
}
