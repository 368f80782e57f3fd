/**
 * @module Every environment variable the relay reads, in one validated table.
 *
 * Each entry has a parser, a default and one line for the README; `readRelayEnv` parses them
 * all before anything touches DATA_DIR, so a mistyped setting stops the start with its name and
 * value instead of becoming NaN. An unset or empty variable takes its default.
 */
import { parseCredentialsKey } from '../providers/credentials-key.ts'

/** How one variable is read: the value it parses to, and what the README says of it. */
export interface EnvVar<T> {
  /** Turns the raw text into a value, or throws an EnvError naming `name` and `raw`. */
  parse(raw: string, name: string): T
  /** The value when the variable is unset or empty (`undefined`: the relay's own default). */
  default: T
  /** The default as the README shows it. */
  shown: string
  /** One line for the README's table. */
  about: string
}

/**
 * A setting the relay cannot start with; the message names the variable and its value (a
 * secret's only by its length, so a near-miss key never reaches a log).
 */
export class EnvError extends Error {
  readonly variable: string
  constructor(variable: string, raw: string, what: string, options: { secret?: boolean } = {}) {
    super(
      options.secret
        ? `${variable} must be ${what}, got a value of ${raw.length} characters (not shown)`
        : `${variable} must be ${what}, got '${raw}'`,
    )
    this.name = 'EnvError'
    this.variable = variable
  }
}

const invalid = (name: string, raw: string, what: string) => new EnvError(name, raw, what)

/** A non-negative whole number in `unit` (only digits: `1MB`, `2.5`, `1e3` and `-1` fail). */
const whole =
  (unit: string) =>
  (raw: string, name: string): number => {
    const value = Number(raw)
    if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(value))
      throw invalid(name, raw, `a whole number of ${unit}`)
    return value
  }

const port = (raw: string, name: string): number => {
  const value = Number(raw)
  if (!/^\d+$/.test(raw.trim()) || value > 65_535)
    throw invalid(name, raw, 'a port number from 0 to 65535')
  return value
}

const text = (raw: string): string => raw

/** A rise of a thread's nice value, which needs no privilege: 0 (as the process) to 19. */
const niceness = (raw: string, name: string): number => {
  const value = Number(raw)
  if (!/^\d+$/.test(raw.trim()) || value > 19)
    throw invalid(name, raw, 'a whole number from 0 to 19')
  return value
}

const list = (raw: string): string[] =>
  raw
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean)

/** An http(s) base URL without query, fragment or user info; a trailing slash is dropped. */
const baseUrl = (raw: string, name: string): string => {
  const what = 'an http(s) URL without query or fragment, such as https://relay.example.com'
  let url: URL
  try {
    url = new URL(raw.trim())
  } catch {
    throw invalid(name, raw, what)
  }
  if (
    (url.protocol !== 'https:' && url.protocol !== 'http:') ||
    url.search ||
    url.hash ||
    url.username ||
    url.password ||
    /[?#]/.test(raw)
  )
    throw invalid(name, raw, what)
  return url.origin + url.pathname.replace(/\/+$/, '')
}

/** Comma-separated base URLs, each checked as `baseUrl` is. */
const baseUrls = (raw: string, name: string): string[] =>
  list(raw).map((item) => baseUrl(item, name))

/** 32 bytes in base64 (the credentials key); the value is never echoed. */
const credentialsKey = (raw: string, name: string): Uint8Array => {
  const key = parseCredentialsKey(raw)
  if (!key)
    throw new EnvError(name, raw, '32 random bytes in base64 (openssl rand -base64 32)', {
      secret: true,
    })
  return key
}

/** A postgres:// URL; it may hold a password, so a bad one is named but never echoed. */
const databaseUrl = (raw: string, name: string): string => {
  const value = raw.trim()
  if (!/^postgres(ql)?:\/\/[^\s]*$/.test(value))
    throw new EnvError(
      name,
      raw,
      'a postgres:// URL (postgres://user:password@host:5432/database)',
      {
        secret: true,
      },
    )
  return value
}

/** A relay's name among several: letters, digits, `-`, `_` and `.`. */
const relayId = (raw: string, name: string): string => {
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(raw.trim()))
    throw invalid(name, raw, "1–64 letters, digits, '.', '_' or '-'")
  return raw.trim()
}

/** `0` turns it off; any other value leaves it on. */
const onUnlessZero = (raw: string): boolean => raw.trim() !== '0'

function v<T>(
  parse: (raw: string, name: string) => T,
  fallback: T,
  shown: string,
  about: string,
): EnvVar<T> {
  return { parse, default: fallback, shown, about }
}
/** No value unless set (a secret generated into DATA_DIR, a feature left off). */
const none = undefined as string | undefined
/** Left to `createRelay`'s own default, which the README's column repeats. */
const relayDefault = undefined as number | undefined

/** The table: every variable the relay and its CLI read. */
export const relayEnv = {
  PORT: v(port, 8787, '`8787`', 'TCP port; `0` picks a free one (logged as `relay listening`)'),
  HOST: v(text, '127.0.0.1', '`127.0.0.1`', 'address the server listens on'),
  DATA_DIR: v(
    text,
    './data',
    '`./data`',
    '`relay.db` (SQLite, WAL), generated secrets, `relay.pid`',
  ),
  DATABASE_URL: v(
    databaseUrl,
    none,
    'unset (SQLite in `DATA_DIR`)',
    'PostgreSQL instead of SQLite: every table of the store moves there, and several relays may share it (docs/scale-out.md); `?host=/dir` names a unix socket; then `SWITCHBOARD_SECRET` and `WEBHOOK_SECRET` must be set, the same on every relay',
  ),
  RELAY_ID: v(
    relayId,
    none,
    'the host name and port',
    "this relay's name among those sharing `DATABASE_URL`: the owner of the rooms it serves",
  ),
  RELAY_INTERNAL_URL: v(
    baseUrl,
    none,
    "this relay's own URL (`http://HOST:PORT`)",
    'with `DATABASE_URL`: where the other relays reach this one (the relay link, `/internal/link`)',
  ),
  LEASE_MS: v(
    whole('milliseconds'),
    5000,
    '`5000`',
    'with `DATABASE_URL`: a relay whose heartbeat is older than this is dead, its rooms may be taken; a relay that cannot renew within it stops serving rooms first',
  ),
  HEARTBEAT_MS: v(
    whole('milliseconds'),
    1000,
    '`1000`',
    'with `DATABASE_URL`: how often a relay renews its heartbeat (at most half of `LEASE_MS`)',
  ),
  SWITCHBOARD_SECRET: v(
    text,
    none,
    'generated once into `DATA_DIR` (mode 0600)',
    'token signing key',
  ),
  WEBHOOK_SECRET: v(text, none, 'generated once into `DATA_DIR` (mode 0600)', 'webhook HMAC key'),
  CREDENTIALS_KEY: v(
    credentialsKey,
    undefined as Uint8Array | undefined,
    'derived from `SWITCHBOARD_SECRET` (HKDF, its own label)',
    "seals providers' credentials at rest (AES-256-GCM): 32 random bytes in base64 (`openssl rand -base64 32`); keep it apart from `DATA_DIR` and its backups (docs/providers.md)",
  ),
  PUBLIC_URL: v(
    baseUrl,
    none,
    "the request's origin",
    'base URL providers call (`<PUBLIC_URL>/api/webhooks/<provider>/<phone number id>`); Twilio signs over it, so set it behind a proxy',
  ),
  WEBHOOK_PORT: v(
    port,
    undefined as number | undefined,
    'unset (webhooks on `PORT` only)',
    "also serve `/api/webhooks/*` on this port, from a thread of the relay process, off the event loop members use; `PORT` keeps answering them; point `PUBLIC_URL` (or the proxy's `/api/webhooks/`) at it (docs/providers.md)",
  ),
  WEBHOOK_NICE: v(
    niceness,
    0,
    '`0`',
    "how much nicer than the process the `WEBHOOK_PORT` thread runs (0–19, Linux): when the cores are full the members' event loop and the store's writer get them first and webhook answers wait (docs/providers.md)",
  ),
  TWILIO_API_BASE: v(
    baseUrl,
    'https://api.twilio.com',
    '`https://api.twilio.com`',
    "Twilio's REST API (tests point it at a fake on 127.0.0.1)",
  ),
  TELNYX_API_BASE: v(
    baseUrl,
    'https://api.telnyx.com',
    '`https://api.telnyx.com`',
    "Telnyx's API v2 (tests point it at a fake on 127.0.0.1)",
  ),
  QUO_API_BASE: v(
    baseUrl,
    'https://api.openphone.com',
    '`https://api.openphone.com`',
    "Quo's (OpenPhone's) public API (tests point it at a fake on 127.0.0.1)",
  ),
  ALLOWED_ORIGINS: v(
    list,
    undefined as string[] | undefined,
    'own origin + `http://localhost:5173`',
    'comma-separated; same-origin and Origin-less (non-browser) clients are always allowed',
  ),
  RELAY_PUBLIC_URLS: v(
    baseUrls,
    undefined as string[] | undefined,
    'unset (one relay)',
    'comma-separated public base URLs of every relay of the deployment, this one included: the web app moves between them (`GET /api/relays`), and their origins are allowed as `ALLOWED_ORIGINS` are (docs/scale-out.md)',
  ),
  SWITCHBOARD_DEMO_PASSWORD: v(text, none, 'random, printed', 'password of the demo accounts'),
  DEMO: v(
    onUnlessZero,
    true,
    'on',
    '`DEMO=0` starts empty; otherwise an empty `DATA_DIR` is seeded before the port opens',
  ),
  WEB_DIR: v(text, none, 'unset', 'built SPA served with an `index.html` fallback'),
  TOKEN_TTL_SECONDS: v(whole('seconds'), relayDefault, '`3600`', 'access token lifetime'),
  SESSION_TTL_SECONDS: v(
    whole('seconds'),
    relayDefault,
    '`2592000` (30 days)',
    'absolute lifetime of a session (a login): no refresh extends it',
  ),
  MAX_FRAME_BYTES: v(whole('bytes'), relayDefault, '`1048576`', 'frame cap (and webhook body cap)'),
  MAX_SYNC_FRAME_BYTES: v(
    whole('bytes'),
    relayDefault,
    '`33554432`',
    "cap of a client's sync step 2, which carries its whole delete set",
  ),
  MAX_SYNC_BYTES_PER_MEMBER: v(
    whole('bytes'),
    relayDefault,
    '`67108864`',
    "bytes of sync step 2s over `MAX_FRAME_BYTES` one member's sockets may be receiving at once; past it 4529 [L6]; 0 = no cap",
  ),
  MAX_SOCKETS_PER_MEMBER: v(
    whole('sockets'),
    relayDefault,
    '`100`',
    'open sockets one member may hold; the next is closed with 4529 [L4]; 0 = no cap',
  ),
  MAX_PRESENCE_BYTES: v(
    whole('bytes'),
    relayDefault,
    '`8192`',
    'bytes of JSON one presence (awareness) state may have; more closes the socket with 4413 [L5]; 0 = no cap',
  ),
  PRESENCE_UPDATES_PER_SECOND: v(
    whole('updates'),
    relayDefault,
    '`10`',
    'presence changes a socket may make per second (and in a burst); faster ones are coalesced, the newest kept [L5]; 0 = no cap',
  ),
  EPOCH_EVERY: v(
    whole('batches'),
    relayDefault,
    'off',
    'an inbox room starts a new epoch after this many stored batches (docs/bounded-documents.md)',
  ),
  EPOCH_LOAD_ITEMS: v(
    whole('items'),
    50_000,
    '`50000`',
    'an inbox room with this many Yjs structs starts a new epoch when nobody is connected (on load, or idle); 0 = off',
  ),
  EPOCH_LOAD_WRITERS: v(
    whole('writers'),
    2_000,
    '`2000`',
    'same, for this many writer (client) ids; 0 = off',
  ),
  HISTORY_HORIZON_MS: v(
    whole('milliseconds'),
    relayDefault,
    '`7776000000` (90 days)',
    'audit history older than this moves from inbox rooms to the archive (`GET /api/history/:pn`)',
  ),
  RESTORE_RETENTION_DAYS: v(
    whole('days'),
    relayDefault,
    '`30`',
    'how far back an owner may restore an inbox (docs/restore.md); the history archive is never pruned',
  ),
  COMPACT_EVERY: v(
    whole('batches'),
    relayDefault,
    '`500`',
    "stored batches between a room's snapshots (log → snapshot compaction)",
  ),
  COMPACT_QUIET_MS: v(
    whole('milliseconds'),
    1000,
    '`1000`',
    'a due compaction waits for a pause this long until the log outgrows the snapshot; 0 = at once',
  ),
  METRICS_TOKEN: v(
    text,
    none,
    'unset',
    '`/metrics` needs `Authorization: Bearer <token>`; unset: loopback clients only (set it behind a local proxy)',
  ),
}

export type RelayEnvName = keyof typeof relayEnv
/** The parsed settings: each variable's value, or its default. */
export type RelayEnv = { [K in RelayEnvName]: (typeof relayEnv)[K]['default'] }

/**
 * Parses `names` (all of the table by default) from `env`; the first bad value throws an EnvError
 * naming the variable and the value.
 */
export function readRelayEnv<K extends RelayEnvName = RelayEnvName>(
  env: NodeJS.ProcessEnv,
  names: readonly K[] = Object.keys(relayEnv) as K[],
): Pick<RelayEnv, K> {
  const out: Partial<Record<RelayEnvName, unknown>> = {}
  for (const name of names) {
    const entry = relayEnv[name] as EnvVar<unknown>
    const raw = env[name]
    out[name] = raw === undefined || raw === '' ? entry.default : entry.parse(raw, name)
  }
  return out as Pick<RelayEnv, K>
}
