/**
 * @module The signed-in member's replica (@switchboard/client) wrapped in runes: connection
 * status, pending count, workspace (phone numbers, members) and presence as reactive state.
 */
import {
  claimDeviceId,
  createSwitchboard,
  indexeddbStorage,
  type DeviceClaim,
} from '@switchboard/client'
import type {
  ConnectionStatus,
  Inbox,
  Member,
  PhoneNumberWithUnread,
  Switchboard,
  SwitchboardError,
  SyncNotice,
  Viewer,
} from '@switchboard/client'
import { listMutes, muteOf, RULE_DEVICE, type Conversation, type MuteView } from '@switchboard/core'
import { displayName } from '../util/inbox-view.ts'
import { outageOf, type Outage } from '../util/outage.ts'
import { installFastUtf8 } from './fast-utf8.ts'
import { relayUrls } from './relays.ts'
import { ContactNames } from './contact-names.svelte.ts'
import { SearchState } from './search.svelte.ts'
import type { Session } from './session.svelte.ts'
import { snapshotView, ViewCache, viewKey, type CachedView } from './view-cache.ts'

/** Re-run a callback at most once per frame-ish tick, however many events arrive. */
export function coalesce(fn: () => void, ms = 16): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined
  return () => {
    if (timer !== undefined) return
    timer = setTimeout(() => {
      timer = undefined
      fn()
    }, ms)
  }
}

export class Replica {
  readonly sb: Switchboard
  readonly memberId: string
  #sbStatus = $state<ConnectionStatus>('connecting')
  #browserOnline = $state(navigator.onLine)
  /** The replica's connection state; offline as soon as the browser says so. */
  status = $derived<ConnectionStatus>(this.#browserOnline ? this.#sbStatus : 'offline')
  pending = $state(0)
  phoneNumbers = $state.raw<PhoneNumberWithUnread[]>([])
  members = $state.raw<Member[]>([])
  /** Bumped whenever the workspace is read again (members, numbers, access changed). */
  workspaceVersion = $state(0)
  /** Bumped whenever presence changes; read it to make a computation depend on presence. */
  presenceVersion = $state(0)
  /** The last error that stopped a room or the session (tell the user). */
  error = $state.raw<SwitchboardError | null>(null)
  /** Refused changes and revoked numbers not yet dismissed (docs/recovery.md): tell the user. */
  notices = $state.raw<SyncNotice[]>([])
  /** Offline, the relay unreachable, or signed out (util/outage.ts); null when none. */
  outage = $derived<Outage | null>(
    outageOf({
      browserOnline: this.#browserOnline,
      status: this.#sbStatus,
      errorCode: this.error?.code ?? null,
    }),
  )
  /** Bumped on any inbox change, mentions and history included (`Inbox.onUpdate`). */
  updateVersion = $state(0)
  /** Bumped whenever any inbox changes (for unread badges and notifications). */
  inboxVersion = $state(0)
  /** The first rows of each tab as last shown (view-cache.ts), read once at start. */
  // Replaced whole, never mutated: a raw state holding a plain Map is enough.
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  cachedViews = $state.raw<ReadonlyMap<string, CachedView>>(new Map())
  #viewCache: ViewCache | null = null
  // Bookkeeping only, never read by the UI.
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  #unsavedViews = new Map<string, CachedView>()
  #viewTimer: ReturnType<typeof setTimeout> | undefined
  #offs: (() => void)[] = []
  // Bookkeeping only, never read by the UI.
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  #inboxes = new Map<string, Inbox>()

  /** Claims this tab's device id (reused across reloads, never shared by two tabs) first. */
  static async create(
    session: Session,
    onToken: (token: string, expiresAt: number, refreshToken?: string) => void,
    onDeviceTaken: () => void = () => {},
  ): Promise<Replica> {
    installFastUtf8()
    // Device ids and local replicas are per member: a teammate signing in on this browser after
    // someone else must neither reuse their replica nor write under their device id.
    const claim = await claimDeviceId({
      prefix: 'web',
      key: `switchboard:device-ids:${session.member.id}`,
    })
    const urls = await relayUrls(location.origin)
    return new Replica(session, claim, urls, onToken, onDeviceTaken)
  }

  readonly #claim: DeviceClaim
  #search: SearchState | null = null
  /** The names the team gave contacts [C7], which name conversations everywhere. */
  readonly contactNames: ContactNames

  /** The replica's search index, built in idle time from its first use (search.svelte.ts). */
  get search(): SearchState {
    this.#search ??= new SearchState(
      this.sb.contacts(),
      `switchboard:${this.memberId}:`,
      this.contactNames,
    )
    return this.#search
  }

  /** The name a conversation is shown by [C7]: the team's for its contact, else the provider's. */
  conversationName = (c: Pick<Conversation, 'contactName' | 'participants'>): string =>
    displayName(c, this.contactNames.nameOf(c))

  private constructor(
    session: Session,
    claim: DeviceClaim,
    urls: string[],
    onToken: (token: string, expiresAt: number, refreshToken?: string) => void,
    onDeviceTaken: () => void,
  ) {
    this.memberId = session.member.id
    this.#claim = claim
    // Read before the replica's rooms, so the list can paint while a big inbox is parsed.
    if (typeof indexedDB !== 'undefined') {
      const cache = new ViewCache(`switchboard:${session.member.id}:views`)
      this.#viewCache = cache
      void cache.readAll().then((views) => (this.cachedViews = views))
    }
    this.sb = createSwitchboard({
      deviceId: claim.deviceId,
      // This page's relay first; the deployment's others when it fails (docs/scale-out.md).
      urls,
      token: session.token,
      refreshToken: session.refreshToken,
      expiresAt: session.expiresAt,
      member: session.member,
      storage: indexeddbStorage({ prefix: `switchboard:${session.member.id}:` }),
      onToken: (token, expiresAt, refreshToken) => onToken(token, expiresAt, refreshToken),
    })
    this.error = this.sb.error
    // The contacts room opens with the replica: every row is named from it.
    this.contactNames = new ContactNames(this.sb.contacts())
    this.#offs.push(() => this.contactNames.destroy())
    this.#offs.push(
      this.sb.onError((e) => {
        this.error = e
        // The relay bound this id to another member [L1]: never claim it again, start anew.
        if (e.code === 'device-taken') {
          this.#claim.discard()
          onDeviceTaken()
        }
      }),
    )
    this.notices = [...this.sb.notices]
    this.#offs.push(
      this.sb.onNotice((n) => {
        this.notices = [...this.notices, n]
        // A revoked number's inbox is gone from the replica: forget its handle too.
        if (n.kind === 'revoked' && n.room.startsWith('inbox:')) {
          this.#inboxes.delete(n.room.slice('inbox:'.length))
          this.#readWorkspace()
        }
      }),
    )
    this.#sbStatus = this.sb.status
    this.pending = this.sb.pending
    this.#offs.push(
      this.sb.onStatus((status, pending) => {
        this.#sbStatus = status
        this.pending = pending
      }),
    )
    // The browser knows it is offline before a socket times out; say so at once.
    const onLine = () => (this.#browserOnline = navigator.onLine)
    window.addEventListener('online', onLine)
    window.addEventListener('offline', onLine)
    this.#offs.push(() => {
      window.removeEventListener('online', onLine)
      window.removeEventListener('offline', onLine)
    })
    // The last rows shown are kept even when the tab is closed right after a change.
    const flush = () => this.#flushViews()
    window.addEventListener('pagehide', flush)
    this.#offs.push(() => window.removeEventListener('pagehide', flush))
    const workspace = coalesce(() => this.#readWorkspace())
    this.#offs.push(this.sb.onWorkspaceChange(workspace))
    this.#offs.push(this.sb.onPresence(coalesce(() => this.presenceVersion++)))
    this.#readWorkspace()
  }

  #readWorkspace(): void {
    this.phoneNumbers = this.sb.phoneNumbers()
    this.members = this.sb.members()
    for (const pn of this.phoneNumbers) this.inbox(pn.id)
    this.workspaceVersion++
  }

  /** Who a conversation of the number may be assigned to [G1]; live with the workspace. */
  assignableMembers(phoneNumberId: string): Member[] {
    void this.workspaceVersion
    return this.#inboxes.get(phoneNumberId)?.assignableMembers() ?? []
  }

  /** Teammates assignable in any of the member's numbers, each once, in the workspace's order. */
  teammates(phoneNumberIds: readonly string[]): Member[] {
    // A local look-up, never read by the UI.
    // eslint-disable-next-line svelte/prefer-svelte-reactivity
    const ids = new Set(phoneNumberIds.flatMap((pn) => this.assignableMembers(pn).map((m) => m.id)))
    return this.members.filter((m) => ids.has(m.id))
  }

  /** True when the conversation's assignee can no longer answer it [G4]. */
  needsNewOwner = (c: Conversation): boolean => {
    void this.workspaceVersion
    return this.#inboxes.get(c.phoneNumberId)?.needsNewOwner(c) ?? false
  }

  /** The inbox of a phone number; subscribing keeps badges live. */
  inbox(phoneNumberId: string): Inbox {
    let inbox = this.#inboxes.get(phoneNumberId)
    if (!inbox) {
      inbox = this.sb.inbox(phoneNumberId)
      this.#inboxes.set(phoneNumberId, inbox)
      const bump = coalesce(() => {
        this.inboxVersion++
        // Unread counts live on the workspace's phone numbers; refresh them too.
        this.phoneNumbers = this.sb.phoneNumbers()
      })
      this.#offs.push(inbox.onChange(bump))
      // onChange covers derived state only; new @mentions and history entries come here.
      this.#offs.push(inbox.onUpdate(coalesce(() => this.updateVersion++, 100)))
      void inbox.whenLoaded.then(bump)
    }
    return inbox
  }

  /** The cached first rows of a tab, shown until its inbox has loaded. */
  cachedView(phoneNumberId: string, tab: string): CachedView | undefined {
    return this.cachedViews.get(viewKey(phoneNumberId, tab))
  }

  /** Remembers a tab's list as shown (written shortly after, a few rows only). */
  saveView(phoneNumberId: string, tab: string, items: readonly Conversation[]): void {
    if (!this.#viewCache) return
    this.#unsavedViews.set(viewKey(phoneNumberId, tab), $state.snapshot(snapshotView(items)))
    this.#viewTimer ??= setTimeout(() => this.#flushViews(), 500)
  }

  #flushViews(): void {
    this.#viewTimer = undefined
    if (!this.#viewCache || this.#unsavedViews.size === 0) return
    // A copy handed to IndexedDB, never read by the UI.
    // eslint-disable-next-line svelte/prefer-svelte-reactivity
    const views = new Map(this.#unsavedViews)
    this.#unsavedViews.clear()
    // A picture only: a lost write shows older rows for a moment on the next load.
    void this.#viewCache.write(views).catch(() => {})
  }

  dismissNotice(notice: SyncNotice): void {
    this.notices = this.notices.filter((n) => n !== notice)
  }

  hasPhoneNumber(id: string): boolean {
    return this.phoneNumbers.some((p) => p.id === id)
  }

  member(id: string | null | undefined): Member | undefined {
    if (!id) return undefined
    return this.members.find((m) => m.id === id)
  }

  /** A member's display name; "you" for the signed-in member. */
  nameOf = (id: string): string => {
    if (id === this.memberId) return 'you'
    // Marks of mutes and rules [F1]: the relay's device, named for the team figures' rows.
    if (id === RULE_DEVICE) return 'Rules'
    return this.member(id)?.name ?? id
  }

  /** The mute covering a conversation's sender, from its number's mirror [F6]; null when none. */
  muteOf = (c: Conversation): MuteView | null => {
    void this.updateVersion
    const inbox = this.#inboxes.get(c.phoneNumberId)
    return inbox ? muteOf(listMutes(inbox.doc), c.participants) : null
  }

  /** Teammates (other devices) viewing a conversation. */
  viewers(conversationId: string): Viewer[] {
    void this.presenceVersion
    return this.sb.viewers(conversationId).filter((v) => v.deviceId !== this.sb.deviceId)
  }

  async destroy(): Promise<void> {
    for (const off of this.#offs.splice(0)) off()
    this.#search?.destroy()
    clearTimeout(this.#viewTimer)
    this.#flushViews()
    void this.#viewCache?.close()
    this.#inboxes.clear()
    await this.sb.destroy()
    this.#claim.release()
  }
}
