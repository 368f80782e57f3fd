/**
 * @module The relays a replica may use and the one it uses now. Every room's socket and every
 * HTTP call goes to the current relay; a connection failure there (refused, reset, 502/503, a
 * socket closed 1001 or 1006, or one that never opened) moves the whole replica to the next
 * relay in the list, so its sockets never split over relays. The relay that last answered is
 * remembered (`onRelay`), so a caller can start there next time.
 */
import { CloseCode } from '@switchboard/protocol'
import { Listeners } from './listeners.ts'

/** An http(s) base URL without a trailing slash, or an Error naming what is wrong. */
function relayBase(raw: string): string {
  let url: URL
  try {
    url = new URL(raw.trim())
  } catch {
    throw new Error(`createSwitchboard: relay URL ${JSON.stringify(raw)} is not a URL`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new Error(`createSwitchboard: relay URL ${JSON.stringify(raw)} must be http(s)`)
  return raw.trim().replace(/\/+$/, '')
}

/**
 * The relay list of `createSwitchboard`'s options: `url` first (where to start, such as the
 * relay that last answered), then `urls`, each once.
 */
export function relayUrls(options: { url?: string; urls?: readonly string[] }): string[] {
  const all = [options.url, ...(options.urls ?? [])].filter((u): u is string => u !== undefined)
  const list = [...new Set(all.map(relayBase))]
  if (list.length === 0) throw new Error('createSwitchboard: give the relay as `url` or `urls`')
  return list
}

/** Close codes that say the relay (not the room) is gone: the replica moves to the next one. */
export function isRelayFailure(code: number): boolean {
  return code === CloseCode.GoingAway || code === 1006
}

/** HTTP answers of a proxy whose relay is down, or of a relay shutting down: nothing was done. */
export function isRelayDown(status: number): boolean {
  return status === 502 || status === 503
}

export class RelayList {
  /** Every relay, http(s) base URLs without a trailing slash. */
  readonly urls: readonly string[]
  private index = 0
  private good: string | null = null
  private readonly moved = new Listeners<[string]>()
  private readonly onGood: ((url: string) => void) | undefined

  constructor(urls: readonly string[], onGood?: (url: string) => void) {
    this.urls = urls
    this.onGood = onGood
  }

  /** The relay every socket and call goes to now. */
  get current(): string {
    return this.urls[this.index]!
  }

  /** `ws(s)://<current relay>/sync`: a room's socket is `<wsBase>/<room>`. */
  get wsBase(): string {
    return this.current.replace(/^http/, 'ws') + '/sync'
  }

  /** The relay that last answered (a socket opened, an HTTP call was answered). */
  get lastGood(): string | null {
    return this.good
  }

  /** Turns a `ws(s)://…/sync` base back into the relay's http(s) base. */
  static httpBase(wsBase: string): string {
    return wsBase.replace(/^ws/, 'http').replace(/\/sync$/, '')
  }

  /**
   * A connection to `url` failed: when it is the current relay, the replica moves to the next
   * one (listeners hear it); a failure of a relay already left changes nothing. True when moved.
   */
  failed(url: string): boolean {
    if (url !== this.current || this.urls.length < 2) return false
    this.index = (this.index + 1) % this.urls.length
    this.moved.emit(this.current)
    return true
  }

  /** `url` answered: remember it as the last good relay. */
  succeeded(url: string): void {
    if (this.good === url) return
    this.good = url
    this.onGood?.(url)
  }

  /** Listener hears the new current relay after a move; returns unsubscribe. */
  onMove(listener: (url: string) => void): () => void {
    return this.moved.add(listener)
  }
}
