/**
 * @module The relay's own writes that answer their caller (admin changes, invites, a member's
 * profile: the workspace room), sent to the room's live owner over the relay link instead of
 * taking the room from it (docs/scale-out.md "What still takes rooms"). A write is named (`op`)
 * and carries its data, so the owner runs the same local write and answers. A relay that owns
 * the room, or may claim it, writes it itself; when the owner does not answer (dead, timed out,
 * the room moved), the room is taken as before (scale/room-takeover.ts): correct, if slow, since
 * the old owner's appends are fenced.
 */
import type * as Y from 'yjs'
import type { RouteRoom } from '../relay-options.ts'
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

/** How long a relay waits for the owner's answer before it takes the room itself. */
export const OWNER_REQUEST_TIMEOUT_MS = 5000

/** A named write: `args` as sent over the link (checked here), made through `writeRoom`. */
type OwnerOp = (writeRoom: WriteRoom, room: string, args: unknown) => Promise<unknown>

const OPS: Record<string, OwnerOp> = {
  workspace: async (writeRoom, room, args) => {
    const writes = parseWorkspaceWrites(args)
    if (room !== 'workspace' || !writes) throw new RefusedRequest('bad workspace writes')
    await writeRoom(room, (doc) => applyWorkspaceWrites(doc, writes))
    return null
  },
}

class RefusedRequest extends Error {}

export interface OwnerRequests {
  /** The workspace's writes, made here or by the room's live owner. */
  writeWorkspace: WriteWorkspace
  /** The owner's side: makes a write another relay asks for; never takes the room. */
  answer(from: string, request: OwnerRequest): Promise<OwnerAnswer>
}

export function createOwnerRequests(deps: {
  /** Writes a room this relay owns or may claim; rejects (`owned`) when a live relay owns it. */
  writeRoom: WriteRoom
  storage: Pick<RelayStorage, 'takeRoom'>
  routeRoom?: RouteRoom | undefined
  links: Pick<LinkPool, 'request'> | null
  log: (event: Record<string, unknown>) => void
  timeoutMs?: number
}): OwnerRequests {
  const { writeRoom, routeRoom, links, log } = deps
  const takeover = withTakeover(deps.storage, writeRoom)
  const timeoutMs = deps.timeoutMs ?? OWNER_REQUEST_TIMEOUT_MS

  async function run(op: string, room: string, args: unknown): Promise<unknown> {
    const fn = OPS[op]!
    // One relay (no routing): the direct path, as before.
    if (!routeRoom || !links) return fn(takeover, room, args)
    try {
      return await fn(writeRoom, room, args)
    } catch (error) {
      if (!isOwnedElsewhere(error)) throw error
    }
    const route = await routeRoom(room).catch(() => 'self' as const)
    if (route !== 'self') {
      const answer = await links.request(route, { room, op, args }, timeoutMs)
      if (answer?.ok) return answer.value
      const why = answer ? `${answer.error}: ${answer.message}` : 'no answer'
      log({ level: 'warn', msg: 'owner did not make the write: taking the room', room, op, why })
    }
    return fn(takeover, room, args)
  }

  return {
    writeWorkspace: async (writes) => void (await run('workspace', 'workspace', writes)),
    async answer(from, request) {
      const fn = Object.hasOwn(OPS, request.op) ? OPS[request.op] : undefined
      if (!fn) return { ok: false, error: 'refused', message: `unknown op ${request.op}` }
      try {
        return { ok: true, value: await fn(writeRoom, request.room, request.args) }
      } catch (error) {
        if (isOwnedElsewhere(error)) return { ok: false, error: 'owned', message: 'room moved' }
        if (error instanceof RefusedRequest)
          return { ok: false, error: 'refused', message: error.message }
        log({
          level: 'warn',
          msg: 'owner request failed',
          from,
          op: request.op,
          err: String(error),
        })
        return { ok: false, error: 'failed', message: String(error) }
      }
    },
  }
}
