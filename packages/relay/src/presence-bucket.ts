/**
 * @module The rate of a socket's own presence changes [L5]: a token bucket refilled at the rate,
 * where a change over it waits, replaced by any newer one, and the newest is applied when due.
 */
export class PresenceBucket {
  readonly #rate: number
  #tokens: number
  #at = performance.now()
  #waiting: Uint8Array | null = null
  #timer: ReturnType<typeof setTimeout> | null = null

  /** `rate` changes per second, and in a burst; 0: no limit. */
  constructor(rate: number) {
    this.#rate = rate
    this.#tokens = rate
  }

  /**
   * True when `update` may be applied now; otherwise it waits (replacing any waiting one) and
   * `due` gets the newest once the bucket allows.
   */
  take(update: Uint8Array, due: (waiting: Uint8Array) => void): boolean {
    const rate = this.#rate
    if (rate <= 0) return true
    const t = performance.now()
    this.#tokens = Math.min(rate, this.#tokens + ((t - this.#at) * rate) / 1000)
    this.#at = t
    if (this.#tokens >= 1) {
      this.#tokens -= 1
      return true
    }
    this.#waiting = update
    const wait = Math.ceil(((1 - this.#tokens) * 1000) / rate)
    this.#timer ??= setTimeout(() => {
      this.#timer = null
      const waiting = this.#waiting
      this.#waiting = null
      if (waiting) due(waiting)
    }, wait)
    return false
  }

  stop(): void {
    if (this.#timer) clearTimeout(this.#timer)
  }
}
