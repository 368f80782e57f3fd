/**
 * @module Login throttling [A1]–[A4]: every attempt is counted before its password is hashed, a
 * key over its allowance waits a delay that doubles with each further attempt, and at most a few
 * scrypt hashes run at once behind a short queue.
 *
 * Keys: the client address (across emails), and either the email (from an address the member
 * never signed in from) or the pair (email, address) from an address where that member signed
 * in before. So an attacker's failures slow every unknown address down for that email, while the
 * member keeps signing in from a known address, limited only by that address's own failures.
 */

/** Login throttling settings (`RelayOptions.loginLimit`). */
export interface LoginLimits {
  /** Attempts an email (or an email from one known address) has before each further one waits. */
  perEmail: number
  /** Attempts one client address has, across emails, before each further one waits. */
  perIp: number
  /** A key is forgotten this long after its last attempt or the end of its wait. */
  windowMs: number
  /** The first wait past the allowance, doubled by each further attempt. Default 1 s. */
  baseDelayMs?: number
  /** The longest wait. Default 15 min. */
  maxDelayMs?: number
  /** Password hashes running at once. Default 2: more only slows each, the owner's too. */
  concurrentHashes?: number
  /** Logins waiting for a hash; past them a login gets 429 at once. Default 16. */
  queuedHashes?: number
  /** How long an address where a member signed in stays known for that member. Default 30 days. */
  knownAddressMs?: number
}

export const DEFAULT_LOGIN_LIMITS: Required<LoginLimits> = {
  perEmail: 5,
  perIp: 50,
  windowMs: 15 * 60_000,
  baseDelayMs: 1000,
  maxDelayMs: 15 * 60_000,
  concurrentHashes: 2,
  queuedHashes: 16,
  knownAddressMs: 30 * 86_400_000,
}

interface Entry {
  /** Attempts counted (a success takes its own back). */
  count: number
  lastAt: number
  /** No attempt is admitted before this time. */
  until: number
}

/** What admitting an attempt counted, so a success or an unhashed attempt can settle it. */
export interface LoginTicket {
  readonly email: string
  readonly address: string
  /** The keys counted: the address's, and the email's or the pair's. */
  readonly keys: readonly string[]
  /** Whether the address was known for this email. */
  readonly known: boolean
}

export type LoginAdmission =
  | { ok: true; ticket: LoginTicket }
  | { ok: false; retryAfterMs: number; limitedBy: 'email' | 'address' }

/**
 * Where attempts are counted: this relay's memory (LoginThrottle), or the database every relay
 * of a PostgreSQL store shares (storage/postgres-lockouts.ts), so guesses spread over several
 * relays, or a restart, buy no extra attempts.
 */
export interface LoginCounts {
  /** Admits and counts an attempt before its hash [A1], or says how long it must wait [A3]. */
  admit(email: string, address: string, now: number): LoginAdmission | Promise<LoginAdmission>
  /** The password was right: the email's (or pair's) count is cleared, the address's given back. */
  succeeded(ticket: LoginTicket, now: number): void | Promise<void>
  /** The password was never checked (no hash slot): the attempt does not count. */
  cancel(ticket: LoginTicket): void | Promise<void>
}

/**
 * Admits an attempt through `counts`, or null when they cannot be read (PostgreSQL lost): the
 * attempt is then refused, never hashed uncounted [A1].
 */
export async function admitAttempt(
  counts: LoginCounts,
  email: string,
  address: string,
  now: number,
  log: (event: Record<string, unknown>) => void,
): Promise<LoginAdmission | null> {
  try {
    return await counts.admit(email, address, now)
  } catch (error) {
    log({ level: 'error', msg: 'login attempt not counted: store unreachable', err: String(error) })
    return null
  }
}

/** The answer to an attempt that could not be counted. */
export const UNCOUNTED = {
  status: 503,
  retryAfter: '1',
  error: 'sign-in is unavailable: the relay cannot reach its store, try again in a moment',
} as const

/** Counts login attempts per key in this relay's memory and tells how long a key must wait. */
export class LoginThrottle implements LoginCounts {
  readonly #limits: Required<LoginLimits>
  readonly #entries = new Map<string, Entry>()
  /** email → address → when the member last signed in from it. */
  readonly #known = new Map<string, Map<string, number>>()

  constructor(limits: LoginLimits) {
    this.#limits = { ...DEFAULT_LOGIN_LIMITS, ...limits }
  }

  /** Whether the member of `email` signed in from `address` within knownAddressMs. */
  isKnown(email: string, address: string, now: number): boolean {
    const at = this.#known.get(email)?.get(address)
    return at !== undefined && now - at < this.#limits.knownAddressMs
  }

  /** Admits and counts an attempt, or says how long it must wait; nothing is counted then. */
  admit(email: string, address: string, now: number): LoginAdmission {
    const known = this.isKnown(email, address, now)
    const addressKey = `a ${address}`
    const emailKey = known ? `p ${email} ${address}` : `e ${email}`
    const addressWait = this.#waitOf(addressKey, now)
    const emailWait = this.#waitOf(emailKey, now)
    if (addressWait > 0 || emailWait > 0)
      return addressWait >= emailWait
        ? { ok: false, retryAfterMs: addressWait, limitedBy: 'address' }
        : { ok: false, retryAfterMs: emailWait, limitedBy: 'email' }
    this.#count(addressKey, this.#limits.perIp, now)
    this.#count(emailKey, this.#limits.perEmail, now)
    return { ok: true, ticket: { email, address, keys: [addressKey, emailKey], known } }
  }

  /** The password was right: the email's (or pair's) count is cleared, the address's given back. */
  succeeded(ticket: LoginTicket, now: number): void {
    const [addressKey, emailKey] = ticket.keys
    this.#entries.delete(emailKey!)
    this.#giveBack(addressKey!)
    let addresses = this.#known.get(ticket.email)
    if (!addresses) {
      // Bounded: the oldest member's addresses go first.
      if (this.#known.size >= 100_000) this.#known.delete(this.#known.keys().next().value!)
      addresses = new Map()
      this.#known.set(ticket.email, addresses)
    }
    addresses.delete(ticket.address)
    addresses.set(ticket.address, now)
    if (addresses.size > 16) addresses.delete(addresses.keys().next().value!)
  }

  /** The password was never checked (no hash slot): the attempt does not count. */
  cancel(ticket: LoginTicket): void {
    for (const key of ticket.keys) this.#giveBack(key)
  }

  #waitOf(key: string, now: number): number {
    const entry = this.#entries.get(key)
    if (!entry) return 0
    if (now - Math.max(entry.lastAt, entry.until) >= this.#limits.windowMs) {
      this.#entries.delete(key)
      return 0
    }
    return Math.max(0, entry.until - now)
  }

  #count(key: string, allowance: number, now: number): void {
    let entry = this.#entries.get(key)
    if (!entry) {
      if (this.#entries.size >= 100_000) this.#sweep(now)
      entry = { count: 0, lastAt: now, until: 0 }
      this.#entries.set(key, entry)
    }
    entry.count++
    entry.lastAt = now
    // The attempt that uses up the allowance already makes the next one wait.
    const over = entry.count - allowance
    if (over >= 0) {
      const { baseDelayMs, maxDelayMs } = this.#limits
      entry.until = now + Math.min(maxDelayMs, baseDelayMs * 2 ** Math.min(over, 40))
    }
  }

  #giveBack(key: string): void {
    const entry = this.#entries.get(key)
    if (entry && entry.count > 0) entry.count--
  }

  #sweep(now: number): void {
    for (const [key, e] of this.#entries)
      if (now - Math.max(e.lastAt, e.until) >= this.#limits.windowMs) this.#entries.delete(key)
    // Still full (a flood of fresh keys): forget the oldest half rather than grow.
    if (this.#entries.size >= 100_000) {
      let drop = this.#entries.size / 2
      for (const key of this.#entries.keys()) {
        if (drop-- <= 0) break
        this.#entries.delete(key)
      }
    }
  }
}

/**
 * At most `size` password hashes at once, `queued` more waiting; none past that. A login from
 * an address known for its member waits in a lane of its own, served first, so a flood of
 * guesses from elsewhere cannot keep the member out.
 */
export class HashSlots {
  readonly #size: number
  readonly #queued: number
  #running = 0
  readonly #waiting: (() => void)[] = []
  readonly #first: (() => void)[] = []

  constructor(size: number, queued: number) {
    this.#size = Math.max(1, size)
    this.#queued = Math.max(0, queued)
  }

  /** Hashes running and waiting (for tests and metrics). */
  get load(): { running: number; waiting: number } {
    return { running: this.#running, waiting: this.#waiting.length + this.#first.length }
  }

  /** Runs `fn` in a slot; null at once when every slot is taken and its lane is full. */
  run<T>(fn: () => Promise<T>, first = false): Promise<T> | null {
    const lane = first ? this.#first : this.#waiting
    if (this.#running >= this.#size && lane.length >= this.#queued) return null
    const slot =
      this.#running < this.#size
        ? (this.#running++, Promise.resolve())
        : new Promise<void>((resolve) => lane.push(resolve))
    return slot.then(fn).finally(() => {
      // The slot passes straight to the next waiter, so a newcomer cannot overtake the queue.
      const next = this.#first.shift() ?? this.#waiting.shift()
      if (next) next()
      else this.#running--
    })
  }
}
