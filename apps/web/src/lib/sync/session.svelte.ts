/**
 * @module The signed-in session: tokens in localStorage so a reload (even offline) stays
 * signed in. The replica refreshes the token and hands each new one back (`updateToken`); the
 * refresh token rotates, so every tab takes the newest one from storage.
 */
import type { Member } from '@switchboard/client'
import { login, type LoginResult } from './api.ts'

export interface Session {
  token: string
  /** Single-use refresh token (absent in sessions stored before the relay issued them). */
  refreshToken?: string
  /** Milliseconds since the epoch. */
  expiresAt: number
  member: Member
}

const KEY = 'switchboard.session'

function toMillis(value: number | string): number {
  if (typeof value === 'number') return value < 1e12 ? value * 1000 : value
  const parsed = Date.parse(value)
  return Number.isNaN(parsed) ? Date.now() + 3600_000 : parsed
}

function fromLogin(result: LoginResult): Session {
  const s: Session = {
    token: result.token,
    expiresAt: toMillis(result.expiresAt),
    member: result.member,
  }
  if (result.refreshToken) s.refreshToken = result.refreshToken
  return s
}

function load(): Session | null {
  try {
    const raw = localStorage.getItem(KEY)
    if (!raw) return null
    const s = JSON.parse(raw) as Session
    return s && typeof s.token === 'string' && s.member ? s : null
  } catch {
    return null
  }
}

class SessionState {
  current = $state<Session | null>(load())
  /** Why the last session ended without the user asking (shown on the sign-in screen). */
  notice = $state<string | null>(null)

  #storedListeners = new Set<(s: Session | null) => void>()

  constructor() {
    // Another tab signed in or out, or refreshed the tokens.
    window.addEventListener('storage', (e) => {
      if (e.key !== KEY) return
      this.current = load()
      for (const l of this.#storedListeners) l(this.current)
    })
  }

  /** Another tab stored a session (or removed it); returns an unsubscribe function. */
  onStored(listener: (s: Session | null) => void): () => void {
    this.#storedListeners.add(listener)
    return () => this.#storedListeners.delete(listener)
  }

  async signIn(
    email: string,
    password: string,
  ): Promise<{ ok: true } | { ok: false; message: string }> {
    const result = await login(email, password)
    if (!result.ok) {
      const message =
        result.code === 'unauthorized' || result.code === 'rejected'
          ? 'That email and password don’t match an account.'
          : result.message
      return { ok: false, message }
    }
    this.notice = null
    this.#set(fromLogin(result.value))
    return { ok: true }
  }

  /** Signs in with tokens the relay already issued (an accepted invite answers as a login). */
  adopt(result: LoginResult): void {
    this.notice = null
    this.#set(fromLogin(result))
  }

  /** Forgets the session on this browser; `notice` says why when the relay ended it. */
  signOut(notice: string | null = null): void {
    this.notice = notice
    this.#set(null)
  }

  /** The replica refreshes the token before it expires and reports each new one here. */
  updateToken(token: string, expiresAt: number, refreshToken?: string): void {
    const s = this.current
    if (!s || s.token === token) return
    const next = { ...s, token, expiresAt: expiresAt ? toMillis(expiresAt) : s.expiresAt }
    if (refreshToken) next.refreshToken = refreshToken
    this.#set(next)
  }

  #set(s: Session | null): void {
    this.current = s
    if (s) localStorage.setItem(KEY, JSON.stringify(s))
    else localStorage.removeItem(KEY)
  }
}

export const session = new SessionState()
