/**
 * @module Phone numbers, their sealed credentials, members' access and the settings (meta) of the
 * PostgreSQL directory: answered from the cache, written through. These tables delete rows, so
 * the other relays read them whole when told they changed (they are small).
 */
import type { Directory, PhoneNumberRecord } from './directory.ts'
import { compositeKey, rowRef, Table } from './postgres-directory-state.ts'
import type { WriteContext } from './postgres-write-queue.ts'

type NumberMethods = Pick<
  Directory,
  | 'getPhoneNumber'
  | 'listPhoneNumbers'
  | 'putPhoneNumber'
  | 'getSealedCredentials'
  | 'putSealedCredentials'
  | 'removePhoneNumber'
  | 'grantAccess'
  | 'revokeAccess'
  | 'listAccess'
  | 'getMeta'
  | 'setMeta'
>

const publicNumber = ({ position: _, ...pn }: PhoneNumberRecord & { position: number }) => pn

/** `numbersChanged` moves the directory's phone-number revision on. */
export function createPostgresNumbers(
  { state, ensureOpen, write }: WriteContext,
  numbersChanged: () => void,
): NumberMethods {
  const { phone_numbers: numbers, phone_number_credentials: credentials, access, meta } = state.rows
  const nextPosition = () => {
    let last = 0
    for (const pn of numbers.values()) last = Math.max(last, pn.position)
    return last + 1
  }

  return {
    getPhoneNumber(id) {
      const pn = numbers.get(id)
      return pn ? publicNumber(pn) : null
    },
    listPhoneNumbers: () =>
      [...numbers.values()].sort((a, b) => a.position - b.position).map(publicNumber),
    putPhoneNumber(pn) {
      ensureOpen()
      numbersChanged()
      const position = numbers.get(pn.id)?.position ?? nextPosition()
      const { provider, ...rest } = pn
      state.set(Table.PhoneNumbers, pn.id, { ...rest, ...(provider ? { provider } : {}), position })
      write({
        refs: [rowRef(Table.PhoneNumbers, pn.id)],
        tables: [Table.PhoneNumbers],
        run: (tx) => tx`
          insert into phone_numbers (id, name, number, provider)
          values (${pn.id}, ${pn.name}, ${pn.number}, ${provider ?? null})
          on conflict (id) do update set name = excluded.name, number = excluded.number,
            provider = excluded.provider`,
      })
    },
    getSealedCredentials: (id) => credentials.get(id) ?? null,
    putSealedCredentials(id, sealed) {
      ensureOpen()
      numbersChanged()
      state.set(Table.Credentials, id, sealed)
      write({
        refs: [rowRef(Table.Credentials, id)],
        tables: [Table.Credentials],
        run: (tx) => tx`
          insert into phone_number_credentials (phone_number_id, sealed) values (${id}, ${sealed})
          on conflict (phone_number_id) do update set sealed = excluded.sealed`,
      })
    },
    removePhoneNumber(id) {
      ensureOpen()
      numbersChanged()
      state.remove(Table.PhoneNumbers, id)
      state.remove(Table.Credentials, id)
      const had: string[] = []
      for (const [key, a] of [...access])
        if (a.phoneNumberId === id) {
          state.remove(Table.Access, key)
          had.push(a.memberId)
        }
      write({
        refs: [
          rowRef(Table.PhoneNumbers, id),
          rowRef(Table.Credentials, id),
          ...had.map((m) => rowRef(Table.Access, compositeKey(m, id))),
        ],
        tables: [Table.PhoneNumbers, Table.Credentials, Table.Access],
        run: (tx) => tx`
          with gone as (delete from phone_numbers where id = ${id}),
            sealed as (delete from phone_number_credentials where phone_number_id = ${id})
          delete from access where phone_number_id = ${id}`,
      })
      return had.sort()
    },
    grantAccess(memberId, phoneNumberId) {
      ensureOpen()
      const key = compositeKey(memberId, phoneNumberId)
      state.set(Table.Access, key, { memberId, phoneNumberId })
      write({
        refs: [rowRef(Table.Access, key)],
        tables: [Table.Access],
        run: (tx) => tx`insert into access (member_id, phone_number_id)
          values (${memberId}, ${phoneNumberId}) on conflict do nothing`,
      })
    },
    revokeAccess(memberId, phoneNumberId) {
      ensureOpen()
      const key = compositeKey(memberId, phoneNumberId)
      state.remove(Table.Access, key)
      write({
        refs: [rowRef(Table.Access, key)],
        tables: [Table.Access],
        run: (tx) => tx`delete from access
          where member_id = ${memberId} and phone_number_id = ${phoneNumberId}`,
      })
    },
    listAccess(memberId) {
      const ids: string[] = []
      for (const a of access.values()) if (a.memberId === memberId) ids.push(a.phoneNumberId)
      return ids.sort()
    },
    getMeta: (key) => meta.get(key) ?? null,
    setMeta(key, value) {
      ensureOpen()
      state.set(Table.Meta, key, value)
      write({
        refs: [rowRef(Table.Meta, key)],
        tables: [Table.Meta],
        run: (tx) => tx`insert into meta (key, value) values (${key}, ${value})
          on conflict (key) do update set value = excluded.value, xid = excluded.xid`,
      })
    },
  }
}
