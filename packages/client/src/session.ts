/**
 * @module The session with the relay: the access token and its refresh before expiry (the
 * refresh token is single-use and rotates), the member, sign-out, and authenticated HTTP.
 * A refresh answered `session-ended` ends the session like a 4410; `session-expired` means
 * logging in again (docs/protocol.md "Sessions"). Calls go to the replica's current relay; one
 * that finds it down moves the replica to the next relay and is sent there when that is safe
 * (`send`): the relays share one store, so a token from one is good on every other.
 */
import { ErrorCode, SwitchboardError } from './errors.ts'
import { isRelayDown, type RelayList } from './relays.ts'
import type { SyncStatus } from './status.ts'
import type { Member, SwitchboardOptions } from './types.ts'

/** The `exp` claim of a JWT in ms, or null when the token is not a JWT. */
export function tokenExpiry(token: string): number | null {
  const part = token.split('.')[1]
  if (!part) return null
  try {
    const json = atob(part.replace(/-/g, '+').replace(/_/g, '/'))
    const exp = (JSON.parse(json) as { exp?: unknown }).exp
    return typeof exp === 'number' ? exp * 1000 : null
  } catch {
    return null
  }
}

/** What the session asks of the rooms; the composition root wires them. */
export interface SessionHooks {
  /** A new token was installed: the rooms' sockets use it from their next connect. */
  tokenChanged(): void
  /** Stop every room's socket (the session ended). */
  disconnectRooms(): void
  /** Reconnect every room (a refresh brought the session back). */
  connectRooms(): void
  /** The member was learnt from the relay (`/api/me`). */
  memberLearnt(): void
}

export interface SessionOptions extends Pick<
  SwitchboardOptions,
  'token' | 'refreshToken' | 'expiresAt' | 'member' | 'onToken'
> {
  /** Every call goes to the current relay, and to the next one when that one is down. */
  relays: RelayList
  deviceId: string
  fetch: typeof fetch
  /** Whether to connect at once (`SwitchboardOptions.connect`). */
  online: boolean
  status: SyncStatus
  hooks: SessionHooks
}

const idempotent = (init: RequestInit) => (init.method ?? 'GET') === 'GET'

/** Whether a failed fetch never reached a server (Node tells; a browser does not, so: no). */
function refused(err: unknown): boolean {
  const code = (err as { cause?: { code?: unknown } } | null)?.cause?.code
  return code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EHOSTUNREACH'
}

const unref = (timer: ReturnType<typeof setTimeout>) => (timer as { unref?: () => void }).unref?.()

export class Session {
  member: Member | null
  /** Whether the replica means to be online: false once disconnected, signed out or ended. */
  wantsOnline: boolean
  private token: string
  private refreshToken: string | null
  private expiresAt: number | null
  private refreshTimer: ReturnType<typeof setTimeout> | null = null
  private refreshing: Promise<boolean> | null = null
  private closed = false
  private readonly o: SessionOptions

  constructor(options: SessionOptions) {
    this.o = options
    this.token = options.token
    this.refreshToken = options.refreshToken ?? null
    this.expiresAt = options.expiresAt ?? tokenExpiry(options.token)
    this.member = options.member ?? null
    this.wantsOnline = options.online
  }

  /** Starts the refresh schedule and learns the member; refreshes at once if the token expired. */
  start(): void {
    if (!this.wantsOnline) return
    this.scheduleRefresh()
    void this.fetchMember()
    if (this.expiresAt && this.expiresAt <= Date.now()) void this.reauthenticate()
  }

  get isRefreshing(): boolean {
    return this.refreshing !== null
  }

  /** Every socket declares the device it writes as, which the relay binds to the member [L1]. */
  socketParams(): Record<string, string> {
    return { token: this.token, ack: '1', device: this.o.deviceId }
  }

  /** Whether the current token is good for a few more seconds. */
  tokenIsFresh(): boolean {
    return !!this.expiresAt && this.expiresAt - Date.now() > 5_000
  }

  /** Online again (`connect()`): refreshes on schedule and learns the member if unknown. */
  resume(): void {
    this.wantsOnline = true
    this.scheduleRefresh()
    void this.fetchMember()
  }

  /** Offline (`disconnect()`, sign-out): no more refreshes. */
  pause(): void {
    this.wantsOnline = false
    this.clearTimer()
  }

  /** For good (`destroy()`). */
  close(): void {
    this.closed = true
    this.clearTimer()
  }

  setToken(next: string, nextExpiresAt?: number, nextRefreshToken?: string): void {
    this.token = next
    this.expiresAt = nextExpiresAt ?? tokenExpiry(next)
    if (nextRefreshToken) this.refreshToken = nextRefreshToken
    this.o.hooks.tokenChanged()
    this.o.onToken?.(this.token, this.expiresAt ?? 0, this.refreshToken ?? undefined)
    this.scheduleRefresh()
  }

  /**
   * The relay ended this session (sign-out elsewhere, an admin, removal): stop every room and
   * say so; only logging in again (a new session) brings the replica back online.
   */
  end(message: string): void {
    this.pause()
    this.o.hooks.disconnectRooms()
    this.o.status.fail(new SwitchboardError(ErrorCode.SessionEnded, message))
  }

  /** POST /api/refresh with the refresh token, which rotates; true when new tokens were installed. */
  refresh(): Promise<boolean> {
    if (this.refreshing) return this.refreshing
    this.refreshing = this.exchange().finally(() => {
      this.refreshing = null
      this.o.status.notify()
    })
    this.o.status.notify()
    return this.refreshing
  }

  /** Refreshes, then reconnects every room; stops them when the session is over, else retries. */
  async reauthenticate(): Promise<void> {
    const ok = await this.refresh()
    const code = this.o.status.error?.code
    if (ok) this.o.hooks.connectRooms()
    else if (code === ErrorCode.Unauthorized || code === ErrorCode.SessionEnded)
      this.o.hooks.disconnectRooms()
    else setTimeout(() => void this.reauthenticate(), 5_000)
    this.o.status.notify()
  }

  /** GET a relay API path with this session's token; errors are SwitchboardErrors. */
  get<T>(path: string): Promise<T> {
    return this.request<T>(path)
  }

  /** POST JSON to a relay API path with this session's token; errors are SwitchboardErrors. */
  post<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })
  }

  private async request<T>(
    path: string,
    init: { method?: string; headers?: Record<string, string>; body?: string } = {},
  ): Promise<T> {
    let res: Response
    try {
      res = await this.send(path, {
        ...init,
        headers: { ...init.headers, authorization: `Bearer ${this.token}` },
      })
    } catch (cause) {
      throw new SwitchboardError(ErrorCode.Unavailable, `cannot reach the relay for ${path}`, {
        cause,
      })
    }
    if (res.ok) return (await res.json()) as T
    const body = await res.text().catch(() => '')
    const code =
      res.status === 401
        ? ErrorCode.Unauthorized
        : res.status === 403
          ? ErrorCode.Forbidden
          : res.status >= 500
            ? ErrorCode.Unavailable
            : ErrorCode.Rejected
    throw new SwitchboardError(code, `${path}: ${res.status} ${body.slice(0, 200)}`)
  }

  /** POST /api/logout; false when the relay could not be told. */
  async logout(): Promise<boolean> {
    try {
      const res = await this.send('/api/logout', {
        method: 'POST',
        headers: { authorization: `Bearer ${this.token}`, 'content-type': 'application/json' },
        body: JSON.stringify(this.refreshToken ? { refreshToken: this.refreshToken } : {}),
      })
      // 401: the session had already ended, which is what signing out asks for.
      return res.ok || res.status === 401
    } catch {
      return false
    }
  }

  private async exchange(): Promise<boolean> {
    const { status } = this.o
    try {
      if (!this.refreshToken) {
        status.fail(new SwitchboardError(ErrorCode.Unauthorized, 'session expired: log in again'))
        return false
      }
      const res = await this.send('/api/refresh', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ refreshToken: this.refreshToken }),
      })
      if (res.status === 401 || res.status === 403) {
        const { code } = (await res.json().catch(() => ({}))) as { code?: string }
        if (code === 'session-ended') this.end('signed out: this session was ended on the relay')
        else
          status.fail(new SwitchboardError(ErrorCode.Unauthorized, 'session expired: log in again'))
        return false
      }
      if (!res.ok) throw new Error(`refresh: HTTP ${res.status}`)
      const body = (await res.json()) as {
        token: string
        expiresAt: number
        refreshToken?: string
        member?: Member
      }
      if (body.member) this.member = body.member
      this.setToken(body.token, body.expiresAt, body.refreshToken)
      return true
    } catch {
      // relay unreachable: try again shortly, the current token may still be valid
      this.clearTimer()
      this.refreshTimer = setTimeout(() => void this.refresh(), 15_000)
      unref(this.refreshTimer)
      return false
    }
  }

  /**
   * Sends to the current relay; when it is down, the replica moves to the next relay and the
   * request goes there too — a GET whatever failed, a POST only when it surely was not handled
   * (connection refused, or 502/503 from the relay or its proxy), so a reply is never sent twice.
   */
  private async send(path: string, init: RequestInit): Promise<Response> {
    const { relays } = this.o
    for (let tries = relays.urls.length; ; tries--) {
      const base = relays.current
      let res: Response
      try {
        res = await this.o.fetch(base + path, init)
      } catch (err) {
        relays.failed(base)
        if (tries <= 1 || !(idempotent(init) || refused(err))) throw err
        continue
      }
      if (!isRelayDown(res.status)) {
        relays.succeeded(base)
        return res
      }
      relays.failed(base)
      if (tries <= 1) return res
    }
  }

  private scheduleRefresh(): void {
    this.clearTimer()
    if (!this.expiresAt || this.closed || !this.wantsOnline) return
    const left = this.expiresAt - Date.now()
    const delay = Math.max(1_000, left - Math.min(60_000, left / 5))
    this.refreshTimer = setTimeout(() => void this.refresh(), Math.min(delay, 2 ** 31 - 1))
    unref(this.refreshTimer)
  }

  private clearTimer(): void {
    if (this.refreshTimer) clearTimeout(this.refreshTimer)
    this.refreshTimer = null
  }

  private async fetchMember(): Promise<void> {
    if (this.member || !this.wantsOnline) return
    try {
      const res = await this.send('/api/me', {
        headers: { authorization: `Bearer ${this.token}` },
      })
      if (!res.ok) return
      const me = (await res.json()) as { member: Member }
      this.member = me.member
      this.o.hooks.memberLearnt()
    } catch {
      // offline: the member is learnt on a later connect
    }
  }
}
