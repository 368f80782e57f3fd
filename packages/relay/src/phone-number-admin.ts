/**
 * @module The workspace's phone numbers as admins change them: add (E.164, optionally connected
 * through a provider), connect or replace credentials, rename, remove (owner only, archived) and
 * bring back an archived one (the operator). Rules [N1]–[N7] and [K1]–[K8] in core's SPEC.md.
 */
import { CloseCode } from '@switchboard/protocol'
import { AdminError } from './admin-error.ts'
import type { Actor, AdminDeps } from './admin.ts'
import { ID_RE } from './member-views.ts'
import { checkConnection, E164_RE, type ProviderCredentials } from './providers/credentials.ts'
import { shownNumber } from './providers/provider-send.ts'
import type { PhoneNumberRecord } from './storage/relay-storage.ts'
import { workspaceWriter } from './workspace-writes.ts'

/**
 * A phone number to create; with `provider` and `credentials` it is connected through that
 * provider [K4] (credentials are checked, then stored sealed, never returned).
 */
export interface NewPhoneNumber {
  name: string
  number: string
  id?: string
  provider?: unknown
  credentials?: unknown
}

/** What the store keeps of a removed number [N6], under the meta key `archived-phone-numbers`. */
export interface ArchivedPhoneNumber {
  id: string
  name: string
  number: string
  /** The provider it was connected through; its credentials were dropped. */
  provider?: string
  archivedAt: number
  by: string
  /** The members who had access when it was removed. */
  memberIds: string[]
}

export interface PhoneNumberAdmin {
  createPhoneNumber(input: NewPhoneNumber, actor?: Actor): Promise<PhoneNumberRecord>
  /**
   * [K4][K7] Connects an existing number through a provider, or replaces its credentials (a
   * rotation after a leak): `provider` defaults to the number's own.
   */
  setCredentials(
    phoneNumberId: string,
    input: { provider?: unknown; credentials?: unknown },
    actor?: Actor,
  ): Promise<PhoneNumberRecord>
  /** [N3] Renames a number, in the store and the workspace document. */
  renamePhoneNumber(phoneNumberId: string, name: unknown, actor?: Actor): Promise<PhoneNumberRecord>
  /**
   * [N4][N5][N6] Removes a number (an owner or the operator; `confirm` must be its number): it
   * leaves the workspace and every member's access, its sockets close, its rooms are archived.
   */
  removePhoneNumber(
    phoneNumberId: string,
    confirm: unknown,
    actor?: Actor,
  ): Promise<ArchivedPhoneNumber>
  /** Archived numbers, oldest removal first. */
  listArchivedPhoneNumbers(): ArchivedPhoneNumber[]
  /** [N7] The operator brings an archived number back, without its credentials. */
  restorePhoneNumber(phoneNumberId: string): Promise<PhoneNumberRecord>
}

/** The meta key of the archived numbers (a handful of rows: no table of their own). */
export const ARCHIVED_KEY = 'archived-phone-numbers'
const MAX_NAME = 80

/** [N1] `+1 (415) 555-0142` → `+14155550142`; null when what is left is not E.164. */
export function e164(value: unknown): string | null {
  if (typeof value !== 'string') return null
  const bare = value.replace(/[\s().-]/g, '')
  return E164_RE.test(bare) ? bare : null
}

const checkName = (value: unknown): string => {
  const name = typeof value === 'string' ? value.trim() : ''
  if (!name || name.length > MAX_NAME)
    throw new AdminError(400, 'name', `must be 1 to ${MAX_NAME} characters`)
  return name
}

export function createPhoneNumberAdmin(deps: AdminDeps): PhoneNumberAdmin {
  const { storage, now, log, phoneNumberOf, vault } = deps
  const writeWorkspace = deps.writeWorkspace ?? workspaceWriter(deps.writeRoom)
  const archived = (): Record<string, ArchivedPhoneNumber> =>
    JSON.parse(storage.getMeta(ARCHIVED_KEY) ?? '{}') as Record<string, ArchivedPhoneNumber>
  /** [K4] A connection request checked whole, or a 400 naming its first wrong field. */
  const connection = (
    input: { provider?: unknown; credentials?: unknown },
    number: unknown,
    current?: PhoneNumberRecord['provider'],
  ): ProviderCredentials => {
    const checked = checkConnection(input, number, current)
    if (!checked.ok) throw new AdminError(400, checked.field, checked.message)
    return checked.value
  }
  /** [K1] The number and its sealed credentials in one commit: never one without the other. */
  const storeConnected = (pn: PhoneNumberRecord, c: ProviderCredentials, actor: Actor) => {
    const sealed = vault.seal(pn.id, c.provider, c.credentials)
    storage.transaction(() => {
      storage.putPhoneNumber(pn)
      storage.putSealedCredentials(pn.id, sealed)
    })
    // [K6] Which number and key, never what was sealed.
    log({
      level: 'info',
      msg: 'phone number credentials stored',
      phoneNumber: pn.id,
      provider: c.provider,
      keyId: vault.keyId,
      by: actor?.id ?? 'operator',
    })
  }
  const existing = (id: string): PhoneNumberRecord => {
    const pn = storage.getPhoneNumber(id)
    if (!pn) throw new AdminError(404, 'phoneNumberId', 'no such phone number')
    return pn
  }

  return {
    async createPhoneNumber(input, actor = null) {
      const name = checkName(input.name)
      const number = e164(input.number)
      if (!number)
        throw new AdminError(
          400,
          'number',
          'number must be in E.164: + then 8 to 15 digits, like +14155550142',
        )
      const connecting =
        (input.provider !== undefined && input.provider !== null) ||
        (input.credentials !== undefined && input.credentials !== null)
      const connected = connecting ? connection(input, number) : null
      if (input.id !== undefined && (typeof input.id !== 'string' || !ID_RE.test(input.id)))
        throw new AdminError(400, 'id', 'must be an id')
      const id = input.id ?? `pn-${crypto.randomUUID().slice(0, 8)}`
      if (storage.getPhoneNumber(id))
        throw new AdminError(409, 'id', 'a phone number with this id exists')
      // [N6] A new number never takes an archived one's id: it would inherit its rooms.
      if (archived()[id]) throw new AdminError(409, 'id', 'an archived phone number has this id')
      const shown = { id, name, number }
      const pn: PhoneNumberRecord = connected ? { ...shown, provider: connected.provider } : shown
      if (connected) storeConnected(pn, connected, actor)
      else storage.putPhoneNumber(pn)
      // [K6] The workspace document shows the number and its provider, never its credentials.
      await writeWorkspace([{ op: 'phone-number', phoneNumber: shownNumber(pn) }])
      return pn
    },
    async setCredentials(phoneNumberId, input, actor = null) {
      const pn = existing(phoneNumberId)
      const connected = connection(input, pn.number, pn.provider)
      const changed: PhoneNumberRecord = { ...pn, provider: connected.provider }
      storeConnected(changed, connected, actor)
      // [O5] New credentials clear a rejected-credentials banner until a send is refused again.
      await writeWorkspace([{ op: 'phone-number', phoneNumber: shownNumber(changed) }])
      return changed
    },
    async renamePhoneNumber(phoneNumberId, name, actor = null) {
      const pn = existing(phoneNumberId)
      const changed = { ...pn, name: checkName(name) }
      storage.putPhoneNumber(changed)
      // A rename keeps what only the document holds: the provider's status banner [O5].
      await writeWorkspace([
        { op: 'phone-number', phoneNumber: shownNumber(changed), keepStatus: true },
      ])
      log({
        level: 'info',
        msg: 'phone number renamed',
        phoneNumber: pn.id,
        by: actor?.id ?? 'operator',
      })
      return changed
    },
    async removePhoneNumber(phoneNumberId, confirm, actor = null) {
      if (actor && actor.role !== 'owner')
        throw new AdminError(403, 'role', 'only an owner can remove a phone number')
      const pn = existing(phoneNumberId)
      if (e164(confirm) !== pn.number)
        throw new AdminError(400, 'confirm', `type the number, ${pn.number}, to confirm`)
      const record: ArchivedPhoneNumber = {
        id: pn.id,
        name: pn.name,
        number: pn.number,
        ...(pn.provider ? { provider: pn.provider } : {}),
        archivedAt: now(),
        by: actor?.id ?? 'operator',
        memberIds: [],
      }
      // One commit: the number, its credentials and every access go as its archive record comes.
      storage.transaction(() => {
        record.memberIds = storage.removePhoneNumber(pn.id)
        storage.setMeta(ARCHIVED_KEY, JSON.stringify({ ...archived(), [pn.id]: record }))
      })
      // Stored first, so a socket that reconnects is refused: then nobody sees one more byte.
      deps.sockets.closeWhere(
        (c) => phoneNumberOf(c.roomName) === pn.id,
        CloseCode.Forbidden,
        'phone number removed',
      )
      await writeWorkspace([{ op: 'remove-phone-number', phoneNumberId: pn.id }])
      log({
        level: 'info',
        msg: 'phone number removed',
        phoneNumber: pn.id,
        members: record.memberIds.length,
        by: record.by,
      })
      return record
    },
    listArchivedPhoneNumbers: () =>
      Object.values(archived()).sort((a, b) => a.archivedAt - b.archivedAt),
    async restorePhoneNumber(phoneNumberId) {
      const record = archived()[phoneNumberId]
      if (!record)
        throw new AdminError(404, 'phoneNumberId', 'no archived phone number has this id')
      if (storage.getPhoneNumber(record.id))
        throw new AdminError(409, 'id', 'a phone number with this id exists')
      // Without a provider: its credentials were dropped, and [K1] keeps no number half-connected.
      const pn: PhoneNumberRecord = { id: record.id, name: record.name, number: record.number }
      const members = record.memberIds.filter((m) => {
        const member = storage.getMember(m)
        return member !== null && member.deactivatedAt === undefined
      })
      storage.transaction(() => {
        storage.putPhoneNumber(pn)
        for (const m of members) storage.grantAccess(m, pn.id)
        const rest = archived()
        delete rest[pn.id]
        storage.setMeta(ARCHIVED_KEY, JSON.stringify(rest))
      })
      await writeWorkspace([
        { op: 'phone-number', phoneNumber: shownNumber(pn) },
        ...members.map((m) => ({ op: 'grant' as const, memberId: m, phoneNumberId: pn.id })),
      ])
      log({ level: 'info', msg: 'phone number restored', phoneNumber: pn.id, by: 'operator' })
      return pn
    },
  }
}
