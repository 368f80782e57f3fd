/**
 * @module The PostgreSQL directory's first-write-wins rows: the conversation index, webhook
 * activity ids, the owners of client and device ids [M8] and provider calls. Each is an
 * `insert … on conflict do nothing` in SQL; when it inserts nothing the row is read back, and a
 * row another relay wrote first with a different value is a conflict (the cache then shows it).
 */
import { ownerColumn } from './postgres-owner-column.ts'
import { ANY_ROOM } from './postgres-write-queue.ts'
import type postgres from 'postgres'
import type { Directory, ProviderCallRecord } from './directory.ts'
import { compositeKey, rowRef, Table } from './postgres-directory-state.ts'
import type { WriteContext } from './postgres-write-queue.ts'

type IndexMethods = Pick<
  Directory,
  | 'getConversationPhoneNumber'
  | 'setConversationPhoneNumber'
  | 'getProviderCall'
  | 'putProviderCall'
  | 'recordActivity'
  | 'hasActivity'
  | 'getClientOwner'
  | 'bindClient'
  | 'getDeviceOwner'
  | 'bindDevice'
>

type Tx = postgres.TransactionSql

const sameCall = (a: ProviderCallRecord, row: Record<string, unknown>) =>
  a.phoneNumberId === row.phone_number_id &&
  a.conversationId === row.conversation_id &&
  a.activityId === row.activity_id

export function createPostgresIndex({ state, ensureOpen, write }: WriteContext): IndexMethods {
  const {
    conversations,
    activities,
    client_owners: clients,
    device_owners: devices,
    provider_calls: calls,
  } = state.rows
  /** Queues a first-write-wins insert of one row, conditional on winning (or agreeing). */
  const firstWins = (
    table: Table,
    key: string,
    insert: (tx: Tx) => Promise<{ count: number }>,
    agrees: (tx: Tx) => Promise<boolean>,
    guards?: string,
  ) =>
    write({
      refs: [rowRef(table, key)],
      tables: [table],
      conditional: true,
      order: rowRef(table, key),
      ...(guards === undefined ? {} : { guards }),
      run: async (tx) => (await insert(tx)).count > 0 || agrees(tx),
    })

  return {
    getConversationPhoneNumber: (id) => conversations.get(id) ?? null,
    setConversationPhoneNumber(id, phoneNumberId) {
      ensureOpen()
      if (conversations.has(id)) return
      state.set(Table.Conversations, id, phoneNumberId)
      firstWins(
        Table.Conversations,
        id,
        (tx) => tx`insert into conversations (id, phone_number_id)
          values (${id}, ${phoneNumberId}) on conflict do nothing`,
        async (tx) => {
          const [row] = await tx`select phone_number_id from conversations where id = ${id}`
          return row?.phone_number_id === phoneNumberId
        },
      )
    },
    recordActivity(id) {
      ensureOpen()
      if (activities.has(id)) return false
      state.set(Table.Activities, id, true)
      // Recorded by another relay first: that relay applies the activity, this one must not.
      firstWins(
        Table.Activities,
        id,
        (tx) => tx`insert into activities (id) values (${id}) on conflict do nothing`,
        async () => false,
      )
      return true
    },
    hasActivity: (id) => activities.has(id),
    getProviderCall(callKey) {
      const call = calls.get(callKey)
      return call ? { ...call } : null
    },
    putProviderCall(call) {
      ensureOpen()
      if (calls.has(call.callKey)) return
      const record = { ...call }
      state.set(Table.ProviderCalls, call.callKey, record)
      firstWins(
        Table.ProviderCalls,
        call.callKey,
        (
          tx,
        ) => tx`insert into provider_calls (call_key, phone_number_id, conversation_id, activity_id)
          values (${call.callKey}, ${call.phoneNumberId}, ${call.conversationId}, ${call.activityId})
          on conflict do nothing`,
        async (tx) => {
          const [row] = await tx`select * from provider_calls where call_key = ${call.callKey}`
          return row !== undefined && sameCall(record, row)
        },
      )
    },
    getClientOwner: (room, client) => clients.get(compositeKey(room, client)) ?? null,
    bindClient(room, client, memberId) {
      ensureOpen()
      const key = compositeKey(room, client)
      if (clients.has(key)) return false
      state.set(Table.ClientOwners, key, memberId)
      firstWins(
        Table.ClientOwners,
        key,
        (tx) => tx`insert into client_owners (room, client, member_id)
          values (${room}, ${client}, ${ownerColumn(memberId)}) on conflict do nothing`,
        async (tx) => {
          const [row] = await tx`select member_id from client_owners
            where room = ${room} and client = ${client}`
          return row?.member_id === ownerColumn(memberId)
        },
        room,
      )
      return true
    },
    getDeviceOwner: (deviceId) => devices.get(deviceId) ?? null,
    bindDevice(deviceId, memberId) {
      ensureOpen()
      if (devices.has(deviceId)) return false
      state.set(Table.DeviceOwners, deviceId, memberId)
      firstWins(
        Table.DeviceOwners,
        deviceId,
        (tx) => tx`insert into device_owners (device_id, member_id)
          values (${deviceId}, ${ownerColumn(memberId)}) on conflict do nothing`,
        async (tx) => {
          const [row] = await tx`select member_id from device_owners where device_id = ${deviceId}`
          return row?.member_id === ownerColumn(memberId)
        },
        // A device id is the member's across rooms: which room's update relied on it is unknown.
        ANY_ROOM,
      )
      return true
    },
  }
}
