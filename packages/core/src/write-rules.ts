/**
 * @module What a member may write, and remove, at one place of a room's document [M8].
 *
 * A place is a root and, in a map, a key. `checkSlot` says whether a member may put anything
 * there (deleted content included), `checkValue` whether a value is theirs to write, and
 * `checkDeletion` whether a value already there is theirs to remove.
 */
import { isTimestamp, parseTimestamp, timestampWall } from './hlc.ts'
import { isValidId } from './rooms.ts'
import { baseOf } from './epoch-base.ts'
import { decodeMark, inboxRoots, parseMarkKey, type Lane, type ParsedMarkKey } from './schema.ts'
import { decodeSnoozeUntil } from './snooze-rules.ts'
import { markKinds } from './types.ts'
import { Reject, RejectCode, type UpdateContext } from './reject.ts'
import { checkNotesSlot, inContactNotes } from './contact-notes-rules.ts'
import type * as Y from 'yjs'

export const MAX_VALUE_CHARS = 16_384

export interface Target {
  root: string
  key: string | null
}

const laneKinds: Record<Lane, readonly string[]> = {
  status: ['done', 'open', 'unread'],
  flag: markKinds,
  pin: ['pin', 'unpin'],
  assign: ['assign'],
  snooze: ['snooze', 'unsnooze'],
}

/** The roots a member writes, by room kind, and whether each is a map (keys) or an array. */
const memberRoots: Record<string, Record<string, 'map' | 'array'>> = {
  inbox: { marks: 'map', history: 'array', mentions: 'map' },
  conversation: { notes: 'map' },
  contacts: { contacts: 'map' },
  workspace: {},
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** Where a value was written, for an error message (made only then: it costs a JSON text). */
export function where(target: Target): string {
  return `${target.root}${target.key === null ? '' : `[${JSON.stringify(target.key)}]`}`
}

function checkTimestamp(at: unknown, ctx: UpdateContext, device: string, stored: boolean): void {
  if (!isTimestamp(at))
    throw new Reject(RejectCode.Schema, `not an HLC timestamp: ${JSON.stringify(at)}`)
  // A stored value was bounded when it was written; its removal is not held to the clock.
  if (!stored && timestampWall(at) > ctx.now + ctx.maxDrift)
    throw new Reject(
      RejectCode.ClockDrift,
      `timestamp ${at} is more than ${ctx.maxDrift} ms ahead of the relay`,
    )
  if (parseTimestamp(at).device !== device)
    throw new Reject(RejectCode.Schema, `timestamp ${at} does not belong to device ${device}`)
}

function checkDevice(deviceId: string, target: Target, ctx: UpdateContext, stored = false): void {
  const owner = ctx.deviceOwner?.(deviceId) ?? null
  if (owner !== null && owner !== ctx.memberId)
    throw new Reject(
      RejectCode.Forbidden,
      `${where(target)}: device ${deviceId} belongs to another member`,
    )
  // Only devices a member writes under are bound to them, not those of values they remove.
  if (!stored) ctx.devices?.add(deviceId)
}

/** Marks and history name a conversation the room holds: the relay creates conversations. */
function checkKnownConversation(doc: Y.Doc, id: string, target: Target): void {
  // Only whether it is there: a record is decoded by its readers, not here.
  if (!inboxRoots.conversations(doc).has(id) && baseOf(doc)?.get(id)?.record === undefined)
    throw new Reject(
      RejectCode.UnknownConversation,
      `${where(target)}: conversation ${id} is not in this room`,
    )
}

/**
 * Whether the member may put anything at `target` (a value or deleted content): a root members
 * write in this kind of room, a key where the root is a map and none where it is an array, and
 * for marks a key of a device that is not another member's.
 */
export function checkSlot(target: Target, ctx: UpdateContext): ParsedMarkKey | null {
  // [C2] A contact's notes text: a root of its own, shared by every member who writes contacts.
  if (inContactNotes(target, ctx)) {
    checkNotesSlot(target)
    return null
  }
  const shape = memberRoots[ctx.room.kind]?.[target.root]
  if (!shape)
    throw new Reject(
      RejectCode.Forbidden,
      `${where(target)}: members cannot write ${target.root} in a ${ctx.room.kind} room`,
    )
  if (shape === 'array' && target.key !== null)
    throw new Reject(RejectCode.Schema, `${where(target)}: ${target.root} has no keys`)
  if (shape === 'map' && target.key === null)
    throw new Reject(RejectCode.Schema, `${target.root}: an entry needs a key`)
  if (target.root === 'marks') {
    const key = parseMarkKey(target.key!)
    if (!key) throw new Reject(RejectCode.Schema, `${where(target)}: not a mark key`)
    checkDevice(key.deviceId, target, ctx)
    return key
  }
  if (target.root === 'contacts' && target.key!.length > 300)
    throw new Reject(RejectCode.Schema, `${where(target)}: bad contact key`)
  return null
}

/** Whether `value` as JSON is longer than MAX_VALUE_CHARS. */
function tooLarge(value: unknown): boolean {
  // A string's JSON is at most 6 characters per character (\uXXXX) plus quotes: most marks are
  // short strings (format 2) and need no JSON text made to know they fit.
  if (typeof value === 'string' && value.length * 6 + 2 <= MAX_VALUE_CHARS) return false
  return JSON.stringify(value ?? null).length > MAX_VALUE_CHARS
}

/**
 * Whether `value` at `target` is the member's to write. `doc` is the room's document for a new
 * value (bounded in size, naming a conversation the room holds); null when judging a value
 * already stored, for its removal.
 */
export function checkValue(
  target: Target,
  value: unknown,
  ctx: UpdateContext,
  doc: Y.Doc | null,
  markKey?: ParsedMarkKey | null,
): void {
  const stored = doc === null
  // A value already stored may be removed whatever its size (it may predate the bound).
  if (doc !== null && tooLarge(value))
    throw new Reject(
      RejectCode.TooLarge,
      `a value in ${target.root} is larger than ${MAX_VALUE_CHARS} characters`,
    )
  const { kind } = ctx.room
  if (kind === 'inbox' && target.root === 'marks') {
    const key = markKey ?? (target.key === null ? null : parseMarkKey(target.key))
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
    if (key.lane === 'snooze') checkSnoozeValue(mark, target)
    checkTimestamp(mark.at, ctx, key.deviceId, stored)
    checkDevice(key.deviceId, target, ctx, stored)
    if (doc) checkKnownConversation(doc, key.conversationId, target)
    // Only a new assignment is judged [G2]: the one it replaces may name someone who lost access.
    if (key.lane === 'assign' && !stored && typeof mark.value === 'string') {
      const why = ctx.assignRefusal?.(mark.value)
      if (why) throw new Reject(RejectCode.NotAssignable, why)
    }
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
    // [F2] Only the relay's rules name a rule: a member's entry saying so would forge one.
    if (!stored && (value.rule !== undefined || value.ruleId !== undefined))
      throw new Reject(RejectCode.Forbidden, `${where(target)}: only the relay's rules name a rule`)
    checkTimestamp(value.at, ctx, value.deviceId as string, stored)
    checkDevice(value.deviceId as string, target, ctx, stored)
    if (doc) checkKnownConversation(doc, value.conversationId as string, target)
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
  } else if (kind === 'contacts' && inContactNotes(target, ctx)) {
    // [C2][C4] Text of a contact's notes: any member who writes contacts may remove it.
    checkNotesSlot(target)
    if (typeof value !== 'string')
      throw new Reject(RejectCode.Schema, `${target.root}: a contact's notes hold text only`)
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

/** A snooze names its wake time or `reply`; clearing one names nothing [Z1]. */
function checkSnoozeValue(mark: Record<string, unknown>, target: Target): void {
  const ok =
    mark.kind === 'snooze'
      ? decodeSnoozeUntil(mark.value) !== null
      : mark.value === undefined || mark.value === null
  if (!ok)
    throw new Reject(
      RejectCode.Schema,
      `${where(target)}: a snooze names a wake time in ms or 'reply', an unsnooze nothing`,
    )
}

/** Who may remove (delete or overwrite) a stored value: the same rules as writing it. */
export function checkDeletion(target: Target, value: unknown, ctx: UpdateContext): void {
  if (value === undefined) return
  if (ctx.room.kind === 'inbox' && target.root === 'history')
    throw new Reject(RejectCode.Forbidden, 'only the relay compacts the audit history')
  // Clearing a mention overwrites the mentioner's entry: the mentioned member may do that.
  const mentionOfMe =
    ctx.room.kind === 'inbox' &&
    target.root === 'mentions' &&
    isObject(value) &&
    value.memberId === ctx.memberId
  if (mentionOfMe) return
  checkValue(target, value, ctx, null)
}
