/**
 * @module Checks an untrusted update against the room's schema before it touches the room [M8].
 *
 * Yjs encodes a map overwrite without its parent (it points at the value it replaces), so each
 * item's root and key are resolved through the update itself or the room's current document.
 * A member may only write their own entries (`by` is the authenticated member), timestamps may
 * not run ahead of the relay's clock by more than `maxDrift` (P6), and only plain JSON values
 * of bounded size in known roots are accepted.
 */
import * as Y from 'yjs'
import { isTimestamp, parseTimestamp, timestampWall } from './hlc.ts'
import { isValidId, type Room } from './rooms.ts'
import { decodeMark, parseMarkKey, type Lane } from './schema.ts'
import { markKinds } from './types.ts'

export const RejectCode = {
  Malformed: 'malformed',
  ReadOnly: 'read-only',
  Forbidden: 'forbidden',
  Schema: 'schema',
  ClockDrift: 'clock-drift',
  TooLarge: 'too-large',
  UnknownParent: 'unknown-parent',
} as const
export type RejectCode = (typeof RejectCode)[keyof typeof RejectCode]

export type UpdateCheck = { ok: true } | { ok: false; code: RejectCode; message: string }

export interface UpdateContext {
  room: Room
  memberId: string
  /** The relay's clock (ms). */
  now: number
  maxDrift: number
  readOnly?: boolean
  /**
   * The member a device id is bound to (the first member who used it in a mark key), or null.
   * A device id bound to another member is refused [M8].
   */
  deviceOwner?: (deviceId: string) => string | null
  /** Filled with the device ids this update writes under, so the caller can bind them. */
  devices?: Set<string>
}

const MAX_VALUE_CHARS = 16_384

type Struct = Y.Item | Y.GC | Y.Skip
interface Target {
  root: string
  key: string | null
}

class Reject extends Error {
  readonly code: RejectCode
  constructor(code: RejectCode, message: string) {
    super(message)
    this.code = code
  }
}

const laneKinds: Record<Lane, readonly string[]> = {
  status: ['done', 'open', 'unread'],
  flag: markKinds,
  pin: ['pin', 'unpin'],
  assign: ['assign'],
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function checkTimestamp(at: unknown, ctx: UpdateContext, device?: string): void {
  if (!isTimestamp(at))
    throw new Reject(RejectCode.Schema, `not an HLC timestamp: ${JSON.stringify(at)}`)
  if (timestampWall(at) > ctx.now + ctx.maxDrift)
    throw new Reject(
      RejectCode.ClockDrift,
      `timestamp ${at} is more than ${ctx.maxDrift} ms ahead of the relay`,
    )
  if (device !== undefined && parseTimestamp(at).device !== device)
    throw new Reject(RejectCode.Schema, `timestamp ${at} does not belong to device ${device}`)
}

function checkDevice(deviceId: string, target: Target, ctx: UpdateContext): void {
  const owner = ctx.deviceOwner?.(deviceId) ?? null
  if (owner !== null && owner !== ctx.memberId)
    throw new Reject(
      RejectCode.Forbidden,
      `${where(target)}: device ${deviceId} belongs to another member`,
    )
  ctx.devices?.add(deviceId)
}

/** Where a value was written, for an error message (made only then: it costs a JSON text). */
function where(target: Target): string {
  return `${target.root}${target.key === null ? '' : `[${JSON.stringify(target.key)}]`}`
}

/** Whether `value` as JSON is longer than MAX_VALUE_CHARS. */
function tooLarge(value: unknown): boolean {
  // A string's JSON is at most 6 characters per character (\uXXXX) plus quotes: most marks are
  // short strings (format 2) and need no JSON text made to know they fit.
  if (typeof value === 'string' && value.length * 6 + 2 <= MAX_VALUE_CHARS) return false
  return JSON.stringify(value ?? null).length > MAX_VALUE_CHARS
}

function checkValue(target: Target, value: unknown, ctx: UpdateContext): void {
  if (tooLarge(value))
    throw new Reject(
      RejectCode.TooLarge,
      `a value in ${target.root} is larger than ${MAX_VALUE_CHARS} characters`,
    )
  const { kind } = ctx.room
  if (kind === 'inbox' && target.root === 'marks') {
    const key = target.key === null ? null : parseMarkKey(target.key)
    if (!key) throw new Reject(RejectCode.Schema, `${where(target)}: not a mark key`)
    // Format 2 (a tuple string) or format 1 (an object); the device is the key's in format 2.
    const mark = typeof value === 'string' ? decodeMark(key.deviceId, value) : value
    if (!isObject(mark))
      throw new Reject(
        RejectCode.Schema,
        `${where(target)}: a mark must be a mark tuple or an object`,
      )
    if (!laneKinds[key.lane].includes(mark.kind as string))
      throw new Reject(
        RejectCode.Schema,
        `${where(target)}: kind ${JSON.stringify(mark.kind)} is not valid on lane ${key.lane}`,
      )
    if (mark.by !== ctx.memberId)
      throw new Reject(RejectCode.Forbidden, `${where(target)}: by must be the signed-in member`)
    if (mark.device !== key.deviceId)
      throw new Reject(RejectCode.Schema, `${where(target)}: device does not match the key`)
    if (!Number.isInteger(mark.seen) || (mark.seen as number) < 0)
      throw new Reject(RejectCode.Schema, `${where(target)}: seen must be a non-negative integer`)
    if (key.lane === 'assign' && mark.value !== null && !isValidId(mark.value))
      throw new Reject(RejectCode.Schema, `${where(target)}: assignee must be a member id or null`)
    checkTimestamp(mark.at, ctx, key.deviceId)
    checkDevice(key.deviceId, target, ctx)
  } else if (kind === 'inbox' && target.root === 'history') {
    if (target.key !== null || !isObject(value))
      throw new Reject(RejectCode.Schema, `${where(target)}: not a history entry`)
    if (value.memberId !== ctx.memberId)
      throw new Reject(
        RejectCode.Forbidden,
        `${where(target)}: memberId must be the signed-in member`,
      )
    if (!isValidId(value.conversationId) || !isValidId(value.deviceId))
      throw new Reject(
        RejectCode.Schema,
        `${where(target)}: conversationId and deviceId must be ids`,
      )
    if (value.seen !== undefined && (!Number.isInteger(value.seen) || (value.seen as number) < 0))
      throw new Reject(RejectCode.Schema, `${where(target)}: seen must be a non-negative integer`)
    checkTimestamp(value.at, ctx, value.deviceId as string)
    checkDevice(value.deviceId as string, target, ctx)
  } else if (kind === 'inbox' && target.root === 'mentions') {
    if (!isObject(value) || target.key === null || value.id !== target.key)
      throw new Reject(RejectCode.Schema, `${where(target)}: not a mention`)
    const mine =
      value.by === ctx.memberId || (value.memberId === ctx.memberId && value.cleared === true)
    if (!mine)
      throw new Reject(
        RejectCode.Forbidden,
        `${where(target)}: a member writes their own mentions only`,
      )
  } else if (kind === 'conversation' && target.root === 'notes') {
    if (!isObject(value) || value.id !== target.key || typeof value.body !== 'string')
      throw new Reject(RejectCode.Schema, `${where(target)}: not a note`)
    if (value.author !== ctx.memberId)
      throw new Reject(
        RejectCode.Forbidden,
        `${where(target)}: author must be the signed-in member`,
      )
  } else if (kind === 'contacts' && target.root === 'contacts') {
    if (target.key === null || target.key.length > 300)
      throw new Reject(RejectCode.Schema, `${where(target)}: bad contact key`)
    if (value !== null && typeof value !== 'string' && typeof value !== 'boolean')
      throw new Reject(
        RejectCode.Schema,
        `${where(target)}: contact fields are strings, booleans or null`,
      )
  } else {
    throw new Reject(
      RejectCode.Forbidden,
      `${where(target)}: members cannot write ${target.root} in a ${kind} room`,
    )
  }
}

/** Who may delete (overwrite) an existing value: the same rules as writing it. */
function checkDeletion(target: Target, value: unknown, ctx: UpdateContext): void {
  if (value === undefined) return
  // Clearing a mention overwrites the mentioner's entry: the mentioned member may do that.
  const mentionOfMe =
    ctx.room.kind === 'inbox' &&
    target.root === 'mentions' &&
    isObject(value) &&
    value.memberId === ctx.memberId
  if (mentionOfMe) return
  checkValue(target, value, { ...ctx, now: Number.MAX_SAFE_INTEGER })
}

function rootOf(type: Y.AbstractType<unknown>): string {
  if (type._item !== null)
    throw new Reject(RejectCode.Schema, 'nested shared types are not part of the schema')
  return Y.findRootTypeKey(type)
}

/**
 * `decoded` is `Y.decodeUpdate(update)` when the caller already decoded it (the relay does, once
 * per frame); it is only read, never changed.
 */
export function validateUpdate(
  doc: Y.Doc,
  update: Uint8Array,
  ctx: UpdateContext,
  decoded?: ReturnType<typeof Y.decodeUpdate>,
): UpdateCheck {
  try {
    check(doc, decoded ?? Y.decodeUpdate(update), ctx)
    return { ok: true }
  } catch (err) {
    if (err instanceof Reject) return { ok: false, code: err.code, message: err.message }
    return {
      ok: false,
      code: RejectCode.Malformed,
      message: `malformed update: ${(err as Error).message}`,
    }
  }
}

/** An update being checked: the room's document and the update's items by client id. */
interface Scope {
  doc: Y.Doc
  byClient: Map<number, Y.Item[]>
}

// The helpers below are top-level, not closures made per update: the relay checks every update
// on its event loop, and each closure made per call cost an allocation (and a name) per update.

function refuseWrite(ctx: UpdateContext): never {
  throw new Reject(RejectCode.ReadOnly, `room ${ctx.room.name} is read-only for this member`)
}

// An update lists each client's structs in clock order, so lookups bisect instead of scanning:
// a replica's first sync can carry tens of thousands of items that refer to each other.
function inUpdate({ byClient }: Scope, id: Y.ID): Y.Item | undefined {
  const items = byClient.get(id.client)
  if (!items) return undefined
  let lo = 0
  let hi = items.length - 1
  while (lo <= hi) {
    const mid = (lo + hi) >> 1
    const item = items[mid]!
    if (id.clock < item.id.clock) hi = mid - 1
    else if (id.clock >= item.id.clock + item.length) lo = mid + 1
    else return item
  }
  return undefined
}

function inDoc({ doc }: Scope, id: Y.ID): Y.Item | null {
  if (Y.getState(doc.store, id.client) <= id.clock) return null
  const s = Y.getItem(doc.store, id) as Struct
  return s instanceof Y.Item ? s : null
}

function resolve(scope: Scope, item: Y.Item, depth = 0): Target {
  if (depth > 10_000) throw new Reject(RejectCode.Malformed, 'origin chain too long')
  const parent = item.parent as unknown
  if (typeof parent === 'string') return { root: parent, key: item.parentSub }
  if (parent instanceof Y.ID)
    throw new Reject(RejectCode.Schema, 'nested shared types are not part of the schema')
  if (parent instanceof Y.AbstractType)
    return { root: rootOf(parent as Y.AbstractType<unknown>), key: item.parentSub }
  const originId = item.origin ?? item.rightOrigin
  if (!originId) throw new Reject(RejectCode.Malformed, 'item without parent or origin')
  const local = inDoc(scope, originId)
  if (local) return resolve(scope, local, depth + 1)
  const other = inUpdate(scope, originId)
  if (other && other !== item) return resolve(scope, other, depth + 1)
  throw new Reject(
    RejectCode.UnknownParent,
    `item ${item.id.client}:${item.id.clock} refers to an unknown item`,
  )
}

function check(
  doc: Y.Doc,
  { structs, ds }: ReturnType<typeof Y.decodeUpdate>,
  ctx: UpdateContext,
): void {
  const byClient = new Map<number, Y.Item[]>()
  for (const s of structs as Struct[]) {
    if (!(s instanceof Y.Item)) continue
    let list = byClient.get(s.id.client)
    if (!list) byClient.set(s.id.client, (list = []))
    list.push(s)
  }
  const readOnly = ctx.readOnly || ctx.room.kind === 'workspace'
  const scope: Scope = { doc, byClient }
  for (const items of byClient.values()) {
    for (const item of items) {
      if (Y.getState(doc.store, item.id.client) >= item.id.clock + item.length) continue
      if (readOnly) refuseWrite(ctx)
      const content = item.content
      if (content instanceof Y.ContentDeleted) {
        resolve(scope, item)
        continue
      }
      if (!(content instanceof Y.ContentAny))
        throw new Reject(
          RejectCode.Schema,
          `only plain JSON values are part of the schema (got ${content.constructor.name})`,
        )
      const target = resolve(scope, item)
      for (const value of content.getContent()) checkValue(target, value, ctx)
    }
  }
  for (const [client, deletes] of ds.clients) {
    for (const del of deletes) {
      for (let clock = del.clock; clock < del.clock + del.len;) {
        const id = Y.createID(client, clock)
        const local = inDoc(scope, id)
        // A replica's sync reply carries its whole delete set; what is already deleted changes nothing.
        if (local?.deleted) {
          clock = local.id.clock + local.length
          continue
        }
        if (readOnly) refuseWrite(ctx)
        const item = local ?? inUpdate(scope, id)
        if (!item)
          throw new Reject(RejectCode.UnknownParent, `delete of unknown item ${client}:${clock}`)
        const target = resolve(scope, item)
        if (ctx.room.kind === 'inbox' && target.root === 'history')
          throw new Reject(RejectCode.Forbidden, 'only the relay compacts the audit history')
        for (const value of item.content.getContent()) checkDeletion(target, value, ctx)
        clock = item.id.clock + item.length
      }
    }
  }
}
