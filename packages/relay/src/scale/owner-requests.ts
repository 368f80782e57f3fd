/**
 * @module The relay's own writes, sent to the room's live owner over the relay link instead of
 * taking the room from it (docs/scale-out.md "What still takes rooms", SPEC [L8]): the
 * workspace's writes (admin changes, invites, a member's profile), the outbox sender's reports of
 * its own sends, a restore and an epoch started through the admin API. A write is named (`op`)
 * and carries its data, so the owner runs the same local write and answers. A relay that owns
 * the room, or may claim it, writes it itself; when the owner does not answer (dead, timed out,
 * the room moved), the room is taken as before (scale/room-takeover.ts): correct, if slow, since
 * the old owner's appends are fenced.
 */
import {
  appendActivity,
  checkActivity,
  deliveryStates,
  ingestActivity,
  setDelivery,
  type Activity,
  type Delivery,
} from '@switchboard/core'
import type * as Y from 'yjs'
import { AdminError } from '../admin-error.ts'
import type { EpochReport } from '../epochs.ts'
import type { RouteRoom } from '../relay-options.ts'
import type { RestoreReport } from '../restore.ts'
import { RELAY_ORIGIN } from '../room.ts'
import type { RelayStorage } from '../storage/relay-storage.ts'
import { isOwnedElsewhere } from '../storage/storage-error.ts'
import {
  applyWorkspaceWrites,
  parseWorkspaceWrites,
  type WriteWorkspace,
} from '../workspace-writes.ts'
import type { OwnerAnswer, OwnerRequest } from './link-frame.ts'
import type { LinkPool } from './link-pool.ts'
import { withTakeover } from './room-takeover.ts'

type WriteRoom = (name: string, fn: (doc: Y.Doc) => void) => Promise<void>

/** How long a relay waits for the owner's answer to a write before it takes the room itself. */
export const OWNER_REQUEST_TIMEOUT_MS = 5000
/** A restore or an epoch reads and writes a whole inbox: the owner is given longer. */
export const OWNER_JOB_TIMEOUT_MS = 30_000

class RefusedRequest extends Error {}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null

/** A delivery another relay sent: its fields of the right types, or null. */
function parseDelivery(v: unknown): Delivery | null {
  if (!isRecord(v) || !deliveryStates.includes(v.state as Delivery['state'])) return null
  if (!Number.isSafeInteger(v.attempt) || (v.attempt as number) < 1) return null
  if (typeof v.at !== 'number') return null
  const d: Delivery = {
    state: v.state as Delivery['state'],
    attempt: v.attempt as number,
    at: v.at,
  }
  if (typeof v.reason === 'string') d.reason = v.reason
  if (typeof v.providerMessageId === 'string') d.providerMessageId = v.providerMessageId
  return d
}

/** A write made through `writeRoom`, `args` as sent over the link (checked here). */
type OwnerOp = (writeRoom: WriteRoom, room: string, args: unknown) => Promise<unknown>

const OPS: Record<string, OwnerOp> = {
  workspace: async (writeRoom, room, args) => {
    const writes = parseWorkspaceWrites(args)
    if (room !== 'workspace' || !writes) throw new RefusedRequest('bad workspace writes')
    await writeRoom(room, (doc) => applyWorkspaceWrites(doc, writes))
    return null
  },
  /** [D2] A reply's delivery; answers whether it changed (forward only). */
  delivery: async (writeRoom, room, args) => {
    const delivery = isRecord(args) ? parseDelivery(args.delivery) : null
    const activityId = isRecord(args) ? args.activityId : undefined
    if (!room.startsWith('conversation:') || !delivery || typeof activityId !== 'string')
      throw new RefusedRequest('bad delivery')
    let changed = false
    await writeRoom(room, (doc) => {
      changed = setDelivery(doc, activityId, delivery, RELAY_ORIGIN)
    })
    return changed
  },
  /** [O6] A reply the provider took: appended to its conversation, ingested by its inbox. */
  accepted: async (writeRoom, room, args) => {
    const checked = checkActivity(args)
    if (!checked.ok) throw new RefusedRequest('bad activity')
    const activity = checked.value
    if (room === `conversation:${activity.conversationId}`)
      await writeRoom(room, (doc) => void appendActivity(doc, activity, RELAY_ORIGIN))
    else if (room === `inbox:${activity.phoneNumberId}`)
      await writeRoom(room, (doc) => void ingestActivity(doc, activity, RELAY_ORIGIN))
    else throw new RefusedRequest('the activity is not of this room')
    return null
  },
}

/** Jobs the owner runs whole (they read and write the room several times), by their own code. */
interface Jobs {
  restore(room: string, at: unknown, by: string): Promise<RestoreReport>
  startEpoch(name: string): Promise<EpochReport>
}

export interface OwnerRequests {
  /** The workspace's writes, made here or by the room's live owner. */
  writeWorkspace: WriteWorkspace
  /** [D2] Sets a reply's delivery in its conversation; true when it changed. */
  setDelivery(conversationId: string, activityId: string, delivery: Delivery): Promise<boolean>
  /** [O6] A reply the provider took, into `room` (its conversation or its inbox). */
  accepted(room: string, activity: Activity): Promise<void>
  /** A restore (docs/restore.md), run by the room's owner; its refusals as here. */
  restore: Jobs['restore']
  /** An epoch started now (docs/bounded-documents.md), by the room's owner. */
  startEpoch: Jobs['startEpoch']
  /** The owner's side: makes a write another relay asks for. */
  answer(from: string, request: OwnerRequest): Promise<OwnerAnswer>
}

export function createOwnerRequests(deps: {
  /** Writes a room this relay owns or may claim; rejects (`owned`) when a live relay owns it. */
  writeRoom: WriteRoom
  storage: Pick<RelayStorage, 'takeRoom'>
  routeRoom?: RouteRoom | undefined
  links: Pick<LinkPool, 'request'> | null
  /** This relay's restore and epoch (their writes take the room when it must be taken). */
  jobs: Jobs
  log: (event: Record<string, unknown>) => void
  timeoutMs?: number
}): OwnerRequests {
  const { writeRoom, routeRoom, links, jobs, log } = deps
  const takeover = withTakeover(deps.storage, writeRoom)
  const timeoutMs = deps.timeoutMs ?? OWNER_REQUEST_TIMEOUT_MS

  /** The owner's answer to `op` on `room`; undefined when it made nothing (the caller does it). */
  async function ask(op: string, room: string, args: unknown, waitMs: number) {
    const route = await routeRoom!(room).catch(() => 'self' as const)
    if (route === 'self') return undefined
    const answer = await links!.request(route, { room, op, args }, waitMs)
    if (answer?.ok) return { value: answer.value }
    if (answer?.error === 'admin') throw new AdminError(answer.status, answer.field, answer.message)
    const why = answer ? `${answer.error}: ${answer.message}` : 'no answer'
    log({ level: 'warn', msg: 'owner did not make the write: taking the room', room, op, why })
    return undefined
  }

  /** A write: here when this relay may claim the room, else at its owner, else taking it. */
  async function run(op: string, room: string, args: unknown): Promise<unknown> {
    const fn = OPS[op]!
    // One relay (no routing): the direct path, as before.
    if (!routeRoom || !links) return fn(takeover, room, args)
    try {
      return await fn(writeRoom, room, args)
    } catch (error) {
      if (!isOwnedElsewhere(error)) throw error
    }
    const asked = await ask(op, room, args, timeoutMs)
    return asked ? asked.value : fn(takeover, room, args)
  }

  /** A job: at the room's live owner when another relay holds it, else here. */
  async function job<T>(op: string, room: string, args: unknown, here: () => Promise<T>) {
    if (!routeRoom || !links) return here()
    const asked = await ask(op, room, args, OWNER_JOB_TIMEOUT_MS)
    return asked ? (asked.value as T) : here()
  }

  return {
    writeWorkspace: async (writes) => void (await run('workspace', 'workspace', writes)),
    setDelivery: async (conversationId, activityId, delivery) =>
      (await run('delivery', `conversation:${conversationId}`, { activityId, delivery })) === true,
    accepted: async (room, activity) => void (await run('accepted', room, activity)),
    restore: (room, at, by) => job('restore', room, { at, by }, () => jobs.restore(room, at, by)),
    startEpoch: (name) => job('epoch', name, null, () => jobs.startEpoch(name)),
    async answer(from, request) {
      const { op, room, args } = request
      try {
        // A job writes through this relay's own path, which takes rooms: only for a room it holds.
        if ((op === 'restore' || op === 'epoch') && routeRoom && (await routeRoom(room)) !== 'self')
          return { ok: false, error: 'owned', message: 'room moved' }
        if (op === 'restore' && isRecord(args) && typeof args.by === 'string')
          return { ok: true, value: await jobs.restore(room, args.at, args.by) }
        if (op === 'epoch') return { ok: true, value: await jobs.startEpoch(room) }
        const fn = Object.hasOwn(OPS, op) ? OPS[op] : undefined
        if (!fn) return { ok: false, error: 'refused', message: `unknown op ${op}` }
        return { ok: true, value: await fn(writeRoom, room, args) }
      } catch (error) {
        if (error instanceof AdminError)
          return {
            ok: false,
            error: 'admin',
            status: error.status,
            field: error.field,
            message: error.message,
          }
        if (isOwnedElsewhere(error)) return { ok: false, error: 'owned', message: 'room moved' }
        if (error instanceof RefusedRequest)
          return { ok: false, error: 'refused', message: error.message }
        log({ level: 'warn', msg: 'owner request failed', from, op, err: String(error) })
        return { ok: false, error: 'failed', message: String(error) }
      }
    },
  }
}
