/**
 * @module The admission of a client's update: a decision, not a conversation. `admitClientUpdate`
 * reads the room and the writer and returns a verdict; the connection carries it out.
 *
 * In order: an update that builds on structs this socket has not sent yet is held (an unmodified
 * provider sends a change before the sync step 2 that carries what it builds on); one of an older
 * epoch closes the socket with 4409 [E4]; one that adds nothing is answered without a store; one
 * under another writer's client id [M8] or that core's rules refuse [M8][L1] is rejected with a
 * close code; the rest is applied, with the client-id and device bindings it brings.
 */
import { admitUpdate, type Admitted, type Room as RoomName } from '@switchboard/core'
import * as Y from 'yjs'
import type { Bindings, ClientOwners } from './ownership.ts'
import { CloseCode } from '@switchboard/protocol'
import { isStorageFailure } from './storage/storage-error.ts'

type DecodedUpdate = ReturnType<typeof Y.decodeUpdate>
type DeleteSet = DecodedUpdate['ds']

/** What a verdict needs of the room (a `Room` is one). */
export interface AdmissionRoom {
  readonly doc: Y.Doc
  readonly clientOwners: ClientOwners
  staleUpdate(update: Uint8Array, decoded: DecodedUpdate): boolean
  addsNothing(decoded: { structs: readonly Y.AbstractStruct[]; ds: DeleteSet }): boolean
  newClients(structs: readonly (Y.Item | Y.GC | Y.Skip)[]): number[]
}

export interface AdmissionInput {
  /** The update as received, and whether it is the socket's sync step 2. */
  update: Uint8Array
  step: 'step-2' | 'update'
  /** The update this socket's previous one left held, if any. */
  held: Uint8Array | null
  room: AdmissionRoom
  writer: { memberId: string; roomName: RoomName; readOnly: boolean }
  /** Updates over this size are never held. */
  maxFrameBytes: number
  maxDriftMs: number
  now: number
  deviceOwner(deviceId: string): string | null
  /** True when the device is known to be the writer's already (nothing to bind). */
  knownDevice(deviceId: string, memberId: string): boolean
  /** Why a member cannot be assigned a conversation of a phone number, or null [G1][G2]. */
  assignRefusal?(phoneNumberId: string, memberId: string): string | null
}

/** A sync step 2's delete set, which the room reads to answer the client's own step 1. */
type Step2 = { step2: DeleteSet | null }

export type Verdict =
  /** Builds on structs not sent yet: keep it, merged with the next update. */
  | { kind: 'hold'; update: Uint8Array }
  | { kind: 'reject'; code: CloseCode; reason: string; detail: string }
  /** Of an older epoch [E4]: the socket closes with 4409. */
  | { kind: 'epoch-changed'; reason: string }
  /** Adds nothing to the room: nothing to check, store or broadcast. */
  | ({ kind: 'nothing-new' } & Step2)
  | ({
      kind: 'apply'
      /** The update without what the room already held, with its decoded parts. */
      update: Uint8Array
      admitted: Admitted
      /** Structs whose client ids are acknowledged: the received update's, before trimming. */
      acked: readonly { id: Y.ID }[]
      bindings: Bindings
    } & Step2)

/** True when some struct of `update` starts past what the room has of its client (a clock gap). */
export function leavesGap(doc: Y.Doc, structs: DecodedUpdate['structs']): boolean {
  const next = new Map<number, number>()
  for (const s of structs) {
    if (s instanceof Y.Skip) return true
    const expected = next.get(s.id.client) ?? Y.getState(doc.store, s.id.client)
    if (s.id.clock > expected) return true
    next.set(s.id.client, Math.max(expected, s.id.clock + s.length))
  }
  return false
}

const reject = (code: CloseCode, reason: string, detail: string): Verdict => ({
  kind: 'reject',
  code,
  reason,
  detail,
})

export function admitClientUpdate(input: AdmissionInput): Verdict {
  try {
    return decide(input)
  } catch (err) {
    // The store failing under a look-up or binding (SQLite busy) is the relay's, retried [R1].
    if (isStorageFailure(err)) return reject(CloseCode.Unreadable, 'storage', String(err))
    return reject(CloseCode.Malformed, 'undecodable', (err as Error).message)
  }
}

/** The assignee check of an inbox room (the only room with an assign lane). */
function assignRefusalIn(input: AdmissionInput): ((memberId: string) => string | null) | undefined {
  const { roomName } = input.writer
  const check = input.assignRefusal
  if (!check || roomName.kind !== 'inbox' || !roomName.id) return undefined
  const phoneNumberId = roomName.id
  return (memberId) => check(phoneNumberId, memberId)
}

function decide(input: AdmissionInput): Verdict {
  const { room, writer, step } = input
  const update = input.held ? Y.mergeUpdates([input.held, input.update]) : input.update
  // Structs past a clock gap would stay pending in the room's document, and a pending struct in a
  // snapshot makes the room unreadable after a restart: never apply them. Decoded once here.
  const decoded = Y.decodeUpdate(update)
  if (leavesGap(room.doc, decoded.structs)) {
    if (update.byteLength > input.maxFrameBytes)
      return reject(CloseCode.Rejected, 'gap', 'update builds on structs never sent')
    return { kind: 'hold', update }
  }
  if (room.staleUpdate(update, decoded))
    return { kind: 'epoch-changed', reason: 'update of an older epoch: adopt it' }
  const step2 = step === 'step-2' ? decoded.ds : null
  // A sync step 2 of deletions the room already has (an up-to-date replica's whole delete set)
  // adds nothing, nor does anything a read-only socket sends that the room holds. Structs a
  // writer sends again go on: they are acknowledged again (its ack may have been lost).
  const readOnly = writer.readOnly || writer.roomName.kind === 'workspace'
  const deletionsOnly = step === 'step-2' && decoded.structs.length === 0
  if ((readOnly || deletionsOnly) && room.addsNothing(decoded))
    return { kind: 'nothing-new', step2 }
  // A Yjs client id belongs to the member who first wrote under it in this room, and the relay's
  // own ids to no member [M8]: structs under another's id would stand in for that writer's real
  // ones (same id and clock), which would then never be stored.
  const clients = room.newClients(decoded.structs)
  const foreign = room.clientOwners.foreign(writer.memberId, clients, room.doc.clientID)
  if (foreign !== null)
    return reject(
      CloseCode.Rejected,
      'foreign-client',
      `client id ${foreign} belongs to another writer`,
    )
  const devices = new Set<string>()
  // Core takes any throw inside its check for a malformed update; one of the store's look-ups
  // failing (SQLite busy) is the relay's, and is told apart here.
  let storeFailed: unknown = null
  const guarded =
    <A extends unknown[], R>(fn: (...args: A) => R) =>
    (...args: A): R => {
      try {
        return fn(...args)
      } catch (err) {
        if (isStorageFailure(err)) storeFailed = err
        throw err
      }
    }
  const assignRefusal = assignRefusalIn(input)
  const admission = admitUpdate(
    room.doc,
    update,
    {
      room: writer.roomName,
      memberId: writer.memberId,
      now: input.now,
      maxDrift: input.maxDriftMs,
      readOnly: writer.readOnly,
      deviceOwner: guarded(input.deviceOwner),
      devices,
      assignRefusal: assignRefusal && guarded(assignRefusal),
    },
    decoded,
  )
  if (storeFailed !== null) return reject(CloseCode.Unreadable, 'storage', String(storeFailed))
  if (!admission.ok) {
    if (admission.code === 'unknown-parent' && update.byteLength <= input.maxFrameBytes)
      return { kind: 'hold', update }
    const code = admission.code === 'malformed' ? CloseCode.Malformed : CloseCode.Rejected
    return reject(code, admission.code, admission.message)
  }
  return {
    kind: 'apply',
    update: admission.update,
    admitted: admission,
    acked: decoded.structs,
    bindings: {
      clients: room.clientOwners.unbound(writer.memberId, clients),
      devices: [...devices].filter((d) => !input.knownDevice(d, writer.memberId)),
    },
    step2,
  }
}
