/**
 * @module Adversarial fuzz of update admission [M8]: a hostile member (Carol) sends arbitrary
 * struct sequences to a simulated relay that admits them as the real one does (gap hold, client
 * ownership, `admitUpdate`, apply with the tripwire), among honest writers. The oracle: whatever
 * the relay accepted left the values of every other writer's entries and of every relay-only
 * root unchanged, and the relay, a live replica and replicas loaded from the stored log and
 * from a snapshot hold the same values.
 */
import * as Y from 'yjs'
import { conversationIds, markConversation } from '../inbox.ts'
import { snoozeConversation } from '../snooze.ts'
import { admitUpdate, unpredictedDeletion, type DeleteSet } from '../validate.ts'
import { addNote } from '../conversation-doc.ts'
import { updateContact } from '../contacts.ts'
import { editContactNotes, readContactNotes } from '../contact-notes.ts'
import type { MarkKind } from '../types.ts'
import { craft } from './attack-craft.ts'
import { protectedView, sameValues } from './attack-oracle.ts'
import { buildRoom, CAROL, type AttackRoomKind, type SimRoom } from './attack-room.ts'
import { createPrng, type Prng } from './prng.ts'

export { AttackRoomKinds, type AttackRoomKind } from './attack-room.ts'
export { rootValues } from './attack-oracle.ts'

export interface AttackOptions {
  seed: number
  kind: AttackRoomKind
  /** Crafted updates to send. */
  updates: number
  /** A fresh room every this many updates (keeps documents small). */
  roomEvery?: number
}

export interface AttackResult {
  tried: number
  refused: number
  held: number
  accepted: number
  /** Refusals by reason. */
  reasons: Record<string, number>
  /** Honest updates sent among the attacks, and any the relay refused (must be none). */
  honest: number
  honestRefused: string[]
  /** Accepted updates whose apply deleted what admission did not predict, or threw. */
  tripped: string[]
  /** Oracle failures: a protected value changed, or replicas differ. */
  violations: string[]
}

/** What the relay does with a member's update before and while applying it (relay.ts). */
function receive(
  sim: SimRoom,
  memberId: string,
  update: Uint8Array,
): { verdict: 'accepted' | 'held' | 'refused'; reason?: string; tripped?: string } {
  const { doc } = sim
  let decoded: ReturnType<typeof Y.decodeUpdate>
  try {
    decoded = Y.decodeUpdate(update)
  } catch {
    return { verdict: 'refused', reason: 'undecodable' }
  }
  const next = new Map<number, number>()
  for (const s of decoded.structs) {
    if (s instanceof Y.Skip) return { verdict: 'held', reason: 'gap' }
    const expected = next.get(s.id.client) ?? Y.getState(doc.store, s.id.client)
    if (s.id.clock > expected) return { verdict: 'held', reason: 'gap' }
    next.set(s.id.client, Math.max(expected, s.id.clock + s.length))
  }
  const clients = [...next.keys()].filter((c) => Y.getState(doc.store, c) < (next.get(c) ?? 0))
  for (const c of clients) {
    const owner = sim.owners.get(c)
    if (owner !== undefined && owner !== memberId)
      return { verdict: 'refused', reason: 'foreign-client' }
  }
  const devices = new Set<string>()
  const admission = admitUpdate(
    doc,
    update,
    {
      room: sim.room,
      memberId,
      now: sim.clock.now,
      maxDrift: 60_000,
      deviceOwner: (d) => sim.devices.get(d) ?? null,
      devices,
    },
    decoded,
  )
  if (!admission.ok)
    return admission.code === 'unknown-parent'
      ? { verdict: 'held', reason: admission.code }
      : { verdict: 'refused', reason: admission.code }
  for (const c of clients) sim.owners.set(c, memberId)
  for (const d of devices) if (!sim.devices.has(d)) sim.devices.set(d, memberId)
  let deleted: DeleteSet | null = null
  const onAfter = (tr: Y.Transaction) => void (deleted ??= tr.deleteSet)
  doc.on('afterTransaction', onAfter)
  let tripped: string | undefined
  try {
    Y.applyUpdate(doc, admission.update)
  } catch (err) {
    tripped = `apply threw: ${(err as Error).message}`
  } finally {
    doc.off('afterTransaction', onAfter)
  }
  if (!tripped && deleted) {
    const id = unpredictedDeletion(admission, deleted)
    if (id) tripped = `deleted ${id} unpredicted`
  }
  if (tripped) {
    // The room reloads from its log: nothing of this update is kept.
    const fresh = new Y.Doc()
    fresh.clientID = doc.clientID
    for (const u of sim.log) Y.applyUpdate(fresh, u)
    sim.doc = fresh
    return { verdict: 'refused', reason: 'tripwire', tripped }
  }
  if (doc.store.pendingStructs || doc.store.pendingDs)
    return { verdict: 'accepted', tripped: 'the room holds pending structs after the apply' }
  sim.log.push(admission.update)
  Y.applyUpdate(sim.live, admission.update)
  for (const h of sim.honest) Y.applyUpdate(h.doc, admission.update)
  return { verdict: 'accepted' }
}

/** An honest write by a replica that has everything the relay accepted. */
function honestWrite(prng: Prng, sim: SimRoom): { memberId: string; update: Uint8Array } | null {
  const h = prng.pick(sim.honest)
  const updates: Uint8Array[] = []
  const on = (u: Uint8Array) => updates.push(u)
  h.doc.on('update', on)
  const kind = sim.room.kind
  if (kind === 'inbox') {
    const id = prng.pick(conversationIds(h.doc))
    // Honest snoozes [Z1] are accepted like any mark of one's own.
    if (prng.chance(0.2))
      snoozeConversation(h.doc, id, prng.pick(['reply', 9e12] as const), h.author)
    else
      markConversation(h.doc, id, prng.pick<MarkKind>(['done', 'open', 'unread', 'read']), h.author)
  } else if (kind === 'conversation') {
    addNote(h.doc, {
      author: h.memberId,
      body: 'note',
      mentions: [],
      id: `n-${h.memberId}-${prng.int(3)}`,
      at: sim.clock.now,
    })
  } else if (kind === 'contacts') {
    // A contact's notes are everyone's text [C1]: a whole new value, or an edit anywhere in it.
    const number = prng.pick(['+15550100', '+15550101'])
    const length = readContactNotes(h.doc, number).length
    const edit = {
      index: prng.int(length + 1),
      remove: prng.int(3),
      insert: prng.pick(['', 'ab', `${h.memberId} `]),
    }
    try {
      if (prng.chance(0.3)) updateContact(h.doc, number, { notes: `n${prng.int(100)}` })
      else editContactNotes(h.doc, number, edit)
    } catch (err) {
      // A note Carol filled to its cap: an honest replica writes nothing the relay would refuse.
      if (!(err instanceof RangeError)) throw err
    }
  }
  h.doc.off('update', on)
  return updates.length ? { memberId: h.memberId, update: Y.mergeUpdates(updates) } : null
}

export function runAttackFuzz(options: AttackOptions): AttackResult {
  const prng = createPrng(options.seed)
  const roomEvery = options.roomEvery ?? 250
  const result: AttackResult = {
    tried: 0,
    refused: 0,
    held: 0,
    accepted: 0,
    reasons: {},
    honest: 0,
    honestRefused: [],
    tripped: [],
    violations: [],
  }
  let sim = buildRoom(options.kind, prng)
  let view: string | null = null
  for (let i = 0; i < options.updates; i++) {
    if (i > 0 && i % roomEvery === 0) {
      sameValues(sim, `seed ${options.seed} ${options.kind} #${i}`, result.violations)
      sim = buildRoom(options.kind, prng)
      view = null
    }
    sim.clock.now += prng.int(50)
    if (prng.chance(0.1)) {
      const write = honestWrite(prng, sim)
      if (write) {
        view = null
        result.honest++
        const got = receive(sim, write.memberId, write.update)
        if (got.verdict !== 'accepted')
          result.honestRefused.push(
            `#${i} ${write.memberId}: ${got.verdict} ${got.reason ?? ''} ${got.tripped ?? ''}`,
          )
      }
    }
    const update = craft(prng, sim)
    result.tried++
    // Only an accepted update (or an honest one) changes the room: the view is kept until then.
    view ??= protectedView(options.kind, sim.doc)
    const before = view
    const got = receive(sim, CAROL, update)
    if (got.verdict === 'accepted') {
      result.accepted++
      const after = (view = protectedView(options.kind, sim.doc))
      if (after !== before)
        result.violations.push(
          `seed ${options.seed} ${options.kind} #${i}: accepted update changed protected values\n before ${before}\n after  ${after}`,
        )
    } else {
      if (got.verdict === 'held') result.held++
      else result.refused++
      result.reasons[got.reason!] = (result.reasons[got.reason!] ?? 0) + 1
    }
    if (got.tripped) view = null
    if (got.tripped)
      result.tripped.push(`seed ${options.seed} ${options.kind} #${i}: ${got.tripped}`)
    if (result.violations.length > 5) break
  }
  sameValues(sim, `seed ${options.seed} ${options.kind} end`, result.violations)
  return result
}
