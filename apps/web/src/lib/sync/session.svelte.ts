/**
 * @module The signed-in session: token in localStorage so a reload (even offline) stays
 * signed in. The replica refreshes the token and hands each new one back (`updateToken`).
 */
import type { Member } from '@switchboard/client'
import { login, type LoginResult } from './api.ts'

export interface Session {
  token: string
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
  return { token: result.token, expiresAt: toMillis(result.expiresAt), member: result.member }
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

  constructor() {
    // Another tab signed in or out.
    window.addEventListener('storage', (e) => {
      if (e.key === KEY) this.current = load()
    })
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
    this.#set(fromLogin(result.value))
    return { ok: true }
  }

  signOut(): void {
    this.#set(null)
  }

  /** The replica refreshes the token before it expires and reports each new one here. */
  updateToken(token: string, expiresAt: number): void {
    const s = this.current
    if (!s || s.token === token) return
    this.#set({ ...s, token, expiresAt: expiresAt ? toMillis(expiresAt) : s.expiresAt })
  }

  #set(s: Session | null): void {
    this.current = s
    if (s) localStorage.setItem(KEY, JSON.stringify(s))
    else localStorage.removeItem(KEY)
  }
}

export const session = new SessionState()
