/**
 * @module Admits an untrusted update by its effect, predicted before it touches the room [M8].
 *
 * Yjs cannot undo an apply, so what an update will do is worked out from its bytes and the
 * room's document first: the parts of its structs the room already holds are cut away (Yjs would
 * re-anchor them, not skip them), every struct left must lie where the member may write, and
 * every value it removes — listed in its delete set, or the current value of a map key it writes,
 * which Yjs deletes on integration without listing it — must be the member's to remove.
 * `unpredictedDeletion` is the tripwire the relay runs after applying.
 */
import * as Y from 'yjs'
import { Reject, RejectCode, type UpdateContext } from './reject.ts'
import { entryBytes, rootBytes, ROOT_QUOTAS } from './quota.ts'
import { readMark } from './readers.ts'
import { resolve, Scope } from './update-scope.ts'
import { inContactNotes, NotesGrowth } from './contact-notes-rules.ts'
import { checkDeletion, checkSlot, checkValue, type Target } from './write-rules.ts'

export { RejectCode, type UpdateContext } from './reject.ts'

export type UpdateCheck = { ok: true } | { ok: false; code: RejectCode; message: string }

type DecodedUpdate = ReturnType<typeof Y.decodeUpdate>
/** A transaction's deletions (`Transaction.deleteSet`), as Yjs types them. */
export type DeleteSet = ReturnType<typeof Y.createDeleteSetFromStructStore>

/** An update the member may send, as Yjs will integrate it. */
export interface Admitted {
  ok: true
  /** The update without what the room already holds (the received bytes when nothing was). */
  update: Uint8Array
  decoded: DecodedUpdate
  /** Whether structs the room already held were cut away. */
  trimmed: boolean
  /** Every item applying it may delete: [clock, end) ranges by client id. */
  mayDelete: Map<number, [number, number][]>
}

export type Admission = Admitted | { ok: false; code: RejectCode; message: string }

/**
 * `decoded` is `Y.decodeUpdate(update)` when the caller already decoded it (the relay does, once
 * per frame); it is only read, never changed.
 */
export function admitUpdate(
  doc: Y.Doc,
  update: Uint8Array,
  ctx: UpdateContext,
  decoded?: DecodedUpdate,
): Admission {
  try {
    return admit(doc, update, decoded ?? Y.decodeUpdate(update), ctx)
  } catch (err) {
    if (err instanceof Reject) return { ok: false, code: err.code, message: err.message }
    return {
      ok: false,
      code: RejectCode.Malformed,
      message: `malformed update: ${(err as Error).message}`,
    }
  }
}

/** `admitUpdate` when only the verdict matters. */
export function validateUpdate(
  doc: Y.Doc,
  update: Uint8Array,
  ctx: UpdateContext,
  decoded?: DecodedUpdate,
): UpdateCheck {
  const admission = admitUpdate(doc, update, ctx, decoded)
  return admission.ok ? { ok: true } : admission
}

/**
 * The tripwire: the first deletion of an applied transaction (`Transaction.deleteSet`) that the
 * admission did not predict, as `client:clock`; null when every one was.
 */
export function unpredictedDeletion(admitted: Admitted, deleted: DeleteSet): string | null {
  for (const [client, ranges] of deleted.clients) {
    const allowed = merged(admitted.mayDelete, client)
    for (const { clock, len } of ranges) {
      const end = clock + len
      let covered = clock
      for (const [from, to] of allowed) {
        if (to <= covered) continue
        if (from > covered) break
        covered = to
        if (covered >= end) break
      }
      if (covered < end) return `${client}:${covered}`
    }
  }
  return null
}

function merged(mayDelete: Map<number, [number, number][]>, client: number): [number, number][] {
  const ranges = mayDelete.get(client)
  if (!ranges) return []
  ranges.sort((a, b) => a[0] - b[0])
  return ranges
}

function refuseWrite(ctx: UpdateContext): never {
  throw new Reject(RejectCode.ReadOnly, `room ${ctx.room.name} is read-only for this member`)
}

function allow(mayDelete: Admitted['mayDelete'], client: number, clock: number, len: number) {
  let ranges = mayDelete.get(client)
  if (!ranges) mayDelete.set(client, (ranges = []))
  ranges.push([clock, clock + len])
}

/**
 * Structs as a hostile client could arrange them are refused unless Yjs reads them the way this
 * check does: one block per client in clock order, no garbage-collected structs (they carry no
 * parent, and an item attached to one is dropped or breaks the apply), no gaps.
 */
function checkShape(structs: DecodedUpdate['structs']): void {
  const seen = new Set<number>()
  let last: number | null = null
  for (const s of structs) {
    const client = s.id.client
    if (client !== last) {
      if (seen.has(client))
        throw new Reject(RejectCode.Malformed, `client ${client} is listed twice in the update`)
      seen.add(client)
      last = client
    }
    if (s instanceof Y.GC)
      throw new Reject(RejectCode.Schema, 'garbage-collected structs are not written by members')
    if (s instanceof Y.Skip)
      throw new Reject(RejectCode.Malformed, `the update skips clocks of client ${client}`)
    if (s.length < 1)
      throw new Reject(RejectCode.Malformed, `a struct of client ${client} has no length`)
    if (!Number.isSafeInteger(s.id.clock + s.length))
      throw new Reject(RejectCode.Malformed, `clock of client ${client} out of range`)
  }
}

/**
 * The update without the parts of its structs the room already holds. Yjs integrates a struct
 * that starts below the room's clock of its client from that clock on, after the client's
 * previous struct but under the parent it declared, which a replica decoding the stored state
 * reads differently; `Y.diffUpdate` cuts it so that it declares what Yjs will do.
 */
function trim(
  doc: Y.Doc,
  update: Uint8Array,
  decoded: DecodedUpdate,
): { update: Uint8Array; decoded: DecodedUpdate; trimmed: boolean } {
  let held: Map<number, number> | null = null
  for (const s of decoded.structs) {
    const state = Y.getState(doc.store, s.id.client)
    if (s.id.clock < state) (held ??= new Map()).set(s.id.client, state)
  }
  if (!held) return { update, decoded, trimmed: false }
  for (const s of decoded.structs)
    if (!held.has(s.id.client)) held.set(s.id.client, Y.getState(doc.store, s.id.client))
  const rest = Y.diffUpdate(update, Y.encodeStateVector(held))
  return { update: rest, decoded: Y.decodeUpdate(rest), trimmed: true }
}

/**
 * Whether `right` lies right of `item`'s left neighbour in its list, in the room's document: the
 * left neighbour is the first item of the room on `item`'s origin chain (items of the update are
 * placed after their origin), or the list's start. Bounded walk: an honest right neighbour is
 * the next item, or after the few inserted concurrently.
 */
function rightOfOrigin(scope: Scope, item: Y.Item, right: Y.ID, root: string): boolean {
  const target = scope.inDoc(right)
  if (!target) return false
  let origin = item.origin
  let anchor: Y.Item | null = null
  for (let hops = 0; origin && hops < 10_000; hops++) {
    anchor = scope.inDoc(origin)
    if (anchor) break
    origin = scope.inUpdate(origin)?.origin ?? null
  }
  if (origin && !anchor) return false
  if (anchor === target) return origin!.clock < right.clock
  let n = anchor ? anchor.right : (scope.doc.share.get(root)?._start ?? null)
  for (let steps = 0; n && steps < 10_000; steps++, n = n.right) if (n === target) return true
  return false
}

/**
 * Yjs integrates a struct only after the structs it names (its neighbours, and its client's
 * previous clock): structs of an update that wait on each other would stay pending in the room
 * and in every snapshot of it.
 */
function checkAcyclic(scope: Scope, items: readonly Y.Item[]): void {
  // One client's structs wait only on its earlier clocks (its own future is refused apart).
  if (scope.byClient.size < 2) return
  const done = new Set<Y.Item>()
  const open = new Set<Y.Item>()
  const waitsOn = (item: Y.Item): Y.Item[] => {
    const out: Y.Item[] = []
    const { client, clock } = item.id
    if (clock > Y.getState(scope.doc.store, client)) {
      const previous = scope.inUpdate(Y.createID(client, clock - 1))
      if (previous) out.push(previous)
    }
    for (const id of [item.origin, item.rightOrigin]) {
      if (!id || id.client === client || Y.getState(scope.doc.store, id.client) > id.clock) continue
      const other = scope.inUpdate(id)
      if (other) out.push(other)
    }
    return out
  }
  for (const start of items) {
    if (done.has(start)) continue
    const stack: [Y.Item, Y.Item[]][] = [[start, waitsOn(start)]]
    open.add(start)
    while (stack.length) {
      const top = stack[stack.length - 1]!
      const next = top[1].pop()
      if (!next) {
        stack.pop()
        open.delete(top[0])
        done.add(top[0])
        continue
      }
      if (done.has(next)) continue
      if (open.has(next))
        throw new Reject(
          RejectCode.Malformed,
          `structs ${top[0].id.client}:${top[0].id.clock} and ${next.id.client}:${next.id.clock} wait on each other`,
        )
      open.add(next)
      stack.push([next, waitsOn(next)])
    }
  }
}

function admit(
  doc: Y.Doc,
  received: Uint8Array,
  receivedDecoded: DecodedUpdate,
  ctx: UpdateContext,
): Admitted {
  checkShape(receivedDecoded.structs)
  const { update, decoded, trimmed } = trim(doc, received, receivedDecoded)
  const { structs, ds } = decoded
  const byClient = new Map<number, Y.Item[]>()
  for (const s of structs as Y.Item[]) {
    let list = byClient.get(s.id.client)
    if (!list) byClient.set(s.id.client, (list = []))
    list.push(s)
  }
  const readOnly = ctx.readOnly || ctx.room.kind === 'workspace'
  const scope = new Scope(doc, byClient)
  checkAcyclic(scope, structs as Y.Item[])
  const mayDelete: Admitted['mayDelete'] = new Map()
  /** Map keys the update writes: Yjs deletes their current value when one of its items wins. */
  const keys = new Map<string, Target>()
  const quotas = ROOT_QUOTAS[ctx.room.kind]
  /** Bytes the update adds to each root with a quota (every value counted: an upper bound). */
  const growth = new Map<string, number>()
  /** Characters the update adds to and removes from contacts' notes texts [C3]. */
  const notes = new NotesGrowth()
  for (const item of structs as Y.Item[]) {
    if (readOnly) refuseWrite(ctx)
    const { client, clock } = item.id
    for (const ref of [item.origin, item.rightOrigin])
      if (ref && ref.client === client && ref.clock >= clock)
        throw new Reject(RejectCode.Malformed, `item ${client}:${clock} refers to its own future`)
    const target = resolve(scope, item)
    // Yjs waits for a missing right neighbour as for a missing left one: the struct would stay
    // pending in the room (and in every snapshot of it).
    const right = item.rightOrigin
    if (right) {
      const neighbour = scope.inDoc(right) ?? scope.inUpdate(right)
      if (!neighbour)
        throw new Reject(
          RejectCode.UnknownParent,
          `item ${client}:${clock} refers to an unknown item ${right.client}:${right.clock}`,
        )
      // Yjs sets a map entry after the key's last item (no right neighbour), and converges on a
      // list insertion only when its right neighbour lies right of its left one: otherwise
      // replicas that integrate in another order place it elsewhere.
      if (target.key !== null || !rightOfOrigin(scope, item, right, target.root))
        throw new Reject(
          RejectCode.Schema,
          `item ${client}:${clock}: a right neighbour must follow its left one in the same list`,
        )
    }
    const markKey = checkSlot(target, ctx)
    const content = item.content
    if (inContactNotes(target, ctx)) notes.add(target, item)
    else if (content instanceof Y.ContentAny) {
      for (const value of content.getContent()) {
        checkValue(target, value, ctx, doc, markKey)
        if (quotas?.[target.root] !== undefined)
          growth.set(target.root, (growth.get(target.root) ?? 0) + entryBytes(target.key!, value))
      }
    } else if (!(content instanceof Y.ContentDeleted)) {
      throw new Reject(
        RejectCode.Schema,
        `only plain JSON values are part of the schema (got ${content.constructor.name})`,
      )
    }
    allow(mayDelete, client, clock, item.length)
    if (target.key !== null) keys.set(`${target.root}\u0000${target.key}`, target)
  }
  /** Items the delete set removes, each checked once. */
  const checked = new Set<Y.Item>()
  for (const [client, deletes] of ds.clients) {
    for (const del of deletes) {
      allow(mayDelete, client, del.clock, del.len)
      for (let clock = del.clock; clock < del.clock + del.len;) {
        const id = Y.createID(client, clock)
        const local = scope.inDoc(id)
        // A replica's sync reply carries its whole delete set; what is already deleted changes nothing.
        if (local?.deleted) {
          clock = local.id.clock + local.length
          continue
        }
        if (readOnly) refuseWrite(ctx)
        const item = local ?? scope.inUpdate(id)
        if (!item)
          throw new Reject(RejectCode.UnknownParent, `delete of unknown item ${client}:${clock}`)
        const target = resolve(scope, item)
        for (const value of item.content.getContent()) checkDeletion(target, value, ctx)
        if (inContactNotes(target, ctx)) notes.free(target, item, del.clock, del.clock + del.len)
        checked.add(item)
        clock = item.id.clock + item.length
      }
    }
  }
  for (const target of keys.values()) {
    const type = doc.share.get(target.root)
    const current = type?._map.get(target.key!)
    if (!current || current.deleted) {
      // After an epoch a lane's winner may live only in the base: a live value under its key
      // overrides it [E6], so it is removed as a stored value is.
      if (ctx.room.kind === 'inbox' && target.root === 'marks') {
        const base = readMark(doc, target.key!)
        if (base) checkDeletion(target, base, ctx)
      }
      continue
    }
    // An honest overwrite lists the value it replaces in its delete set: checked there already.
    if (!checked.has(current))
      for (const value of current.content.getContent()) checkDeletion(target, value, ctx)
    allow(mayDelete, current.id.client, current.id.clock, current.length)
    // Room is freed only by a value the update deletes outright: an item Yjs places before the
    // current one deletes itself, not the value.
    const added = growth.get(target.root)
    if (added !== undefined && checked.has(current))
      growth.set(target.root, added - entryBytes(target.key!, current.content.getContent().at(-1)))
  }
  notes.check(doc)
  for (const [root, added] of growth) {
    const quota = quotas![root]!
    // An update that frees room is always accepted, even in a root already over its quota.
    if (added > 0 && rootBytes(doc, root) + added > quota)
      throw new Reject(
        RejectCode.TooLarge,
        `${root} would hold more than its quota of ${quota} bytes in this room`,
      )
  }
  return { ok: true, update, decoded, trimmed, mayDelete }
}
