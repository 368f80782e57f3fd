/**
 * @module The fixture of the access tests (sessions, roles, the red team's review): relays on fresh
 * SQLite files with an admin, provider clients and raw sockets on them, all closed after each test.
 */
import { afterEach } from 'vitest'
import {
  api,
  connectProvider,
  PASSWORD,
  rawSocket,
  startSqliteRelayWithAdmin,
  until,
  type Client,
  type RawSocket,
  type TestRelay,
} from './test-helpers.ts'

/** Call at a test file's top level: what it opens is closed after each of its tests. */
export function accessFixture() {
  const cleanups: (() => unknown)[] = []
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c()
  })
  return {
    /** A relay on a fresh SQLite file, with bob (admin) besides the harness's members. */
    relayOnSqlite: (options: Parameters<typeof startSqliteRelayWithAdmin>[1] = {}) =>
      startSqliteRelayWithAdmin((fn) => cleanups.push(fn), options),

    /** A y-websocket client of `room`. */
    socket(r: TestRelay, room: string, token: string): Client {
      const c = connectProvider(r.wsUrl, room, token)
      cleanups.push(() => c.destroy())
      return c
    },

    /** Opens a raw socket and waits for the relay's first message; or its close when refused. */
    async open(r: TestRelay, room: string, token: string, params = ''): Promise<RawSocket> {
      const s = rawSocket(`${r.wsUrl}/${room}?token=${token}${params}`)
      cleanups.push(() => s.ws.terminate())
      await s.opened
      await Promise.race([s.next(() => true), s.closed])
      return s
    },
  }
}

export const loginAs = (r: TestRelay, email: string, password = PASSWORD, headers = {}) =>
  api(r, '/api/login', { body: { email, password }, headers })

export const refresh = (r: TestRelay, refreshToken: string) =>
  api(r, '/api/refresh', { body: { refreshToken } })

export const stillOpen = (s: RawSocket) => s.ws.readyState === s.ws.OPEN

/**
 * Waits for `c` to be closed with `code` and stops its provider from reconnecting. The close is
 * synchronous with the change; the reliability suite holds it to 1 s (reliability/src/auth.test.ts).
 */
export async function closedWith(c: Client, code: number, what: string) {
  await until(() => c.closes.some((x) => x.code === code), what)
  c.provider.shouldConnect = false
}
