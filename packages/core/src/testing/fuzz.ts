/**
 * @module Seeded convergence fuzz [M7, P1]: random marks, pins, assignments and ingests on a
 * simulated network with reordering, duplication, drops, partitions, restarts and skewed
 * clocks; then everything is delivered and every replica must derive the same conversations
 * as each other and as the oracle (`oracleConversations`, written from SPEC.md).
 */
import * as Y from 'yjs'
import {
  assignConversation,
  conversationIds,
  getConversation,
  ingestActivity,
  listConversations,
  markConversation,
  pinConversation,
  unpinConversation,
  unreadCount,
} from '../inbox.ts'
import { timestampWall } from '../hlc.ts'
import { forEachMark, readRecord } from '../readers.ts'
import { inboxRoots, markKey, type Lane, type MarkEntry } from '../schema.ts'
import type { Activity, Author, Conversation, MarkKind } from '../types.ts'
import { inboxNextWake, snoozeConversation, unsnoozeConversation } from '../snooze.ts'
import type { SnoozeUntil } from '../snooze-rules.ts'
import {
  compareAt,
  oracleConversations,
  oracleNextWake,
  oracleView,
  type OracleMark,
} from './model.ts'
import { createNetwork, type SimDevice } from './network.ts'
import { createPrng } from './prng.ts'

export interface FuzzOptions {
  seed: number
  /** Device replicas (the relay comes on top). At least 2. */
  replicas: number
  operations: number
  conversations?: number
  /** Largest |skew| of a device's wall clock, ms. Keep below maxDrift/2 for honest devices. */
  maxSkew?: number
  maxDrift?: number
  /**
   * Chance per operation that the relay starts a new epoch [E2] (default 0: the op sequence of
   * older seeds is unchanged). History older than a random cutoff moves to the archive.
   */
  epochChance?: number
  /** Receives every op log line as it happens. */
  log?: (line: string) => void
}

export interface FuzzResult {
  seed: number
  ops: string[]
  /** Empty when every replica agreed with every other and with the oracle. */
  divergences: string[]
  conversations: number
  marks: number
  activities: number
  epochs: number
}

const MEMBERS = ['alice', 'bob', 'carol', 'dan', 'erin']
const KINDS: readonly MarkKind[] = ['done', 'open', 'unread', 'read']

function currentWinner(doc: Y.Doc, conversationId: string, lane: Lane): string | null {
  let best: string | null = null
  const prefix = markKey(conversationId, lane, '')
  forEachMark(doc, (entry, key) => {
    if (key.startsWith(prefix) && (best === null || compareAt(entry.at, best) > 0)) best = entry.at
  })
  return best
}

export function runFuzz(options: FuzzOptions): FuzzResult {
  const { seed, operations } = options
  const prng = createPrng(seed)
  const ops: string[] = []
  const say = (line: string) => {
    ops.push(line)
    options.log?.(line)
  }
  const replicas = Math.max(2, options.replicas)
  const maxSkew = options.maxSkew ?? 20_000
  // Two devices share a member (a laptop and a phone); the rest belong to one member each.
  const devices = Array.from({ length: replicas }, (_, i) => ({
    deviceId: `dev${i}`,
    memberId: MEMBERS[i === 1 ? 0 : i % MEMBERS.length]!,
  }))
  const net = createNetwork({
    prng,
    devices,
    phoneNumberId: 'pn1',
    maxDrift: options.maxDrift,
    log: say,
  })
  for (const d of net.devices) d.skew = prng.range(-maxSkew, maxSkew)
  const conversationPool = Array.from({ length: options.conversations ?? 6 }, (_, i) => `c${i}`)
  const marks: OracleMark[] = []
  const activities: Activity[] = []
  const divergences: string[] = []
  /** Every history entry written (device + HLC), and the newest archive cutoff used [E5]. */
  const written: string[] = []
  let newestCutoff = 0
  let activityCount = 0
  /** Moments around which views are compared at the end [Z5]: each snooze's wake time. */
  const wakeTimes: number[] = []

  const author = (d: SimDevice): Author => ({
    memberId: d.memberId,
    deviceId: d.deviceId,
    clock: d.clock,
  })
  // A device marks only conversations its replica holds: the relay refuses marks for others [M8].
  const target = (d: SimDevice): string | null => {
    const known = conversationIds(d.doc)
    return known.length ? prng.pick(known) : null
  }
  const record = (
    op: number,
    d: SimDevice,
    id: string,
    lanes: Lane[],
    write: () => MarkEntry,
  ): MarkEntry => {
    const before = lanes.map((lane) => currentWinner(d.doc, id, lane))
    const seen = readRecord(d.doc, id)?.incoming?.seq ?? 0
    const entry = write()
    written.push(`${d.deviceId} ${entry.at}`)
    if (entry.seen !== seen)
      divergences.push(
        `op ${op}: ${d.deviceId} recorded seen ${entry.seen}, its replica had ${seen}`,
      )
    for (const at of before)
      if (at !== null && compareAt(entry.at, at) <= 0)
        divergences.push(`op ${op}: [M3] ${d.deviceId} stamped ${entry.at} not after seen ${at}`)
    for (const lane of lanes)
      marks.push({
        conversationId: id,
        lane,
        kind: entry.kind,
        at: entry.at,
        device: d.deviceId,
        member: d.memberId,
        seen: entry.seen,
        ...(entry.value !== undefined ? { value: entry.value } : {}),
      })
    return entry
  }

  for (let op = 0; op < operations; op++) {
    net.advance(prng.int(4000))
    if (options.epochChance && prng.chance(options.epochChance)) {
      const cutoff = net.now() - prng.int(120_000)
      newestCutoff = Math.max(newestCutoff, cutoff)
      net.compactRelay(cutoff)
      say(`${op} epoch e${net.relay.epochs} (history before ${cutoff} archived)`)
      continue
    }
    const r = prng.next()
    const d = prng.pick(net.devices)
    if (r < 0.2) {
      // The relay ingests an activity, sometimes one it already has (a webhook delivered twice).
      const ofConversation = activities.filter(
        (a) => a.conversationId === activities.at(-1)?.conversationId,
      )
      if (ofConversation.length && prng.chance(0.1)) {
        const again = prng.pick(ofConversation.slice(-5))
        const result = ingestActivity(net.relay.doc, again)
        if (!result.duplicate) divergences.push(`op ${op}: [B6] ${again.id} ingested twice`)
        activities.push(again)
        say(`${op} ingest-again ${again.id}`)
      } else {
        const conversationId = prng.pick(conversationPool)
        const direction = prng.chance(0.75) ? 'incoming' : 'outgoing'
        const kind = prng.pick(['message', 'message', 'call', 'voicemail'] as const)
        const activity: Activity = {
          id: `a${activityCount++}`,
          conversationId,
          phoneNumberId: 'pn1',
          direction,
          kind,
          from: direction === 'incoming' ? `+1555000${conversationId.slice(1)}` : 'pn1',
          to: direction === 'incoming' ? 'pn1' : `+1555000${conversationId.slice(1)}`,
          body: `body ${activityCount}`,
          // Providers' timestamps are not in ingestion order.
          at: net.now() - prng.int(10_000),
          ...(kind === 'call' ? { durationSeconds: prng.int(300), missed: prng.chance(0.3) } : {}),
          ...(prng.chance(0.2) ? { contactName: prng.pick(['Ann', 'Bo', 'Cy']) } : {}),
        }
        ingestActivity(net.relay.doc, activity)
        activities.push(activity)
        say(`${op} ingest ${activity.id} ${direction} ${kind} ${conversationId} at=${activity.at}`)
      }
    } else if (r < 0.45) {
      const id = target(d)
      if (id === null) {
        net.deliverOne()
        say(`${op} deliver 1 (${d.deviceId} holds no conversation yet)`)
        continue
      }
      const kind = prng.pick(KINDS)
      const lanes: Lane[] = kind === 'read' ? ['flag'] : ['status', 'flag']
      const entry = record(op, d, id, lanes, () => markConversation(d.doc, id, kind, author(d)))
      say(`${op} mark ${d.deviceId} ${id} ${kind} at=${entry.at} seen=${entry.seen}`)
    } else if (r < 0.5) {
      const id = target(d)
      if (id === null) {
        net.deliverOne()
        say(`${op} deliver 1 (${d.deviceId} holds no conversation yet)`)
        continue
      }
      // [Z1] until a time (some already past), until a reply, or cleared.
      const pick = prng.next()
      const until: SnoozeUntil =
        pick < 0.3 ? 'reply' : Math.max(1, net.now() + prng.range(-10_000, 120_000))
      const clear = pick > 0.85
      const entry = record(op, d, id, ['snooze'], () =>
        clear
          ? unsnoozeConversation(d.doc, id, author(d))
          : snoozeConversation(d.doc, id, until, author(d)),
      )
      wakeTimes.push(typeof until === 'number' ? until : net.now())
      say(`${op} ${clear ? 'unsnooze' : `snooze ${until}`} ${d.deviceId} ${id} at=${entry.at}`)
    } else if (r < 0.56) {
      const id = target(d)
      if (id === null) {
        net.deliverOne()
        say(`${op} deliver 1 (${d.deviceId} holds no conversation yet)`)
        continue
      }
      const pin = prng.chance(0.6)
      const entry = record(op, d, id, ['pin'], () =>
        pin ? pinConversation(d.doc, id, author(d)) : unpinConversation(d.doc, id, author(d)),
      )
      say(`${op} ${pin ? 'pin' : 'unpin'} ${d.deviceId} ${id} at=${entry.at}`)
    } else if (r < 0.62) {
      const id = target(d)
      if (id === null) {
        net.deliverOne()
        say(`${op} deliver 1 (${d.deviceId} holds no conversation yet)`)
        continue
      }
      const who = prng.chance(0.2) ? null : prng.pick(MEMBERS)
      const entry = record(op, d, id, ['assign'], () =>
        assignConversation(d.doc, id, who, author(d)),
      )
      say(`${op} assign ${d.deviceId} ${id} ${who} at=${entry.at}`)
    } else if (r < 0.82) {
      const n = prng.range(1, 6)
      for (let i = 0; i < n; i++) net.deliverOne()
      say(`${op} deliver ${n}`)
    } else if (r < 0.85) {
      say(`${op} duplicate`)
      net.duplicateOne()
    } else if (r < 0.88) {
      say(`${op} drop`)
      net.dropOne()
    } else if (r < 0.9) {
      say(`${op} resend dropped`)
      net.resendDropped()
    } else if (r < 0.93) {
      const lose = prng.chance(0.5)
      if (d.online) net.disconnect(d, lose)
      say(`${op} disconnect ${d.deviceId}${lose ? ' losing in-flight' : ''}`)
    } else if (r < 0.96) {
      if (!d.online) net.reconnect(d)
      say(`${op} reconnect ${d.deviceId}`)
    } else if (r < 0.98) {
      net.restart(d)
      say(`${op} restart ${d.deviceId} (restart #${d.restarts})`)
    } else if (r < 0.985) {
      net.restartRelay()
      say(`${op} restart relay (all devices disconnected)`)
    } else {
      // The wall clock jumps, backwards too (an NTP correction); the HLC must stay monotonic.
      d.skew = prng.range(-maxSkew, maxSkew)
      say(`${op} clock ${d.deviceId} skew=${d.skew}`)
    }
  }

  say('settle')
  net.settle()
  divergences.push(...net.rejected)

  const expected = oracleConversations(marks, activities)
  const fresh = new Y.Doc()
  Y.applyUpdate(fresh, Y.encodeStateAsUpdate(net.relay.doc))
  const replicas_ = [
    { name: 'relay', doc: net.relay.doc },
    { name: 'fresh', doc: fresh },
    ...net.devices.map((dev) => ({ name: dev.deviceId, doc: dev.doc })),
  ]
  const ids = new Set<string>(expected.keys())
  for (const { doc } of replicas_) for (const id of conversationIds(doc)) ids.add(id)
  const show = (c: Conversation | null | undefined) => JSON.stringify(c ?? null)
  for (const id of [...ids].sort()) {
    const want = show(expected.get(id))
    for (const { name, doc } of replicas_) {
      const got = show(getConversation(doc, id))
      if (got !== want) divergences.push(`${id} on ${name}:\n  got  ${got}\n  want ${want}`)
    }
  }
  // [E5] the audit history: no entry twice across the room and the archive; every entry newer
  // than the last cutoff is in one of them (older unsynced ones may be dropped, SPEC [E5]).
  const stored = new Map<string, number>()
  for (const e of [...net.relay.archive, ...inboxRoots.history(net.relay.doc)]) {
    const key = `${e.deviceId} ${e.at}`
    stored.set(key, (stored.get(key) ?? 0) + 1)
  }
  for (const [key, n] of stored)
    if (n > 1) divergences.push(`[E5] history ${key} stored ${n} times`)
  for (const key of written)
    if (!stored.has(key) && timestampWall(key.split(' ')[1]!) >= newestCutoff)
      divergences.push(`[E5] history ${key} lost`)
  // [Z5] same entries + same `now` → same views and next wake, at and around every wake time.
  const moments = [...wakeTimes.slice(-6), net.now()].flatMap((t) => [t - 1, t, t + 1])
  for (const now of moments) {
    const wantWake = oracleNextWake(expected, now)
    for (const view of ['inbox', 'unread', 'done', 'snoozed'] as const) {
      const want = oracleView(expected, view, now).join(',')
      for (const { name, doc } of replicas_) {
        const got = listConversations(doc, { view, now })
          .map((c) => c.id)
          .sort()
          .join(',')
        if (got !== want) divergences.push(`[Z5] ${view} at ${now} on ${name}: ${got} ≠ ${want}`)
      }
    }
    for (const { name, doc } of replicas_) {
      const got = inboxNextWake(doc, now)
      if (got !== wantWake)
        divergences.push(`[Z5] next wake after ${now} on ${name}: ${got} ≠ ${wantWake}`)
    }
  }
  const unread = [...expected.values()].filter((c) => c.unread).length
  for (const { name, doc } of replicas_)
    if (unreadCount(doc) !== unread)
      divergences.push(`unreadCount on ${name}: got ${unreadCount(doc)}, want ${unread}`)
  fresh.destroy()
  return {
    seed,
    ops,
    divergences,
    conversations: expected.size,
    marks: marks.length,
    activities: activities.length,
    epochs: net.relay.epochs,
  }
}

/** Fails with the seed, the divergences and the op log, so a failure can be replayed. */
export function formatFuzzFailure(result: FuzzResult): string {
  return [
    `fuzz seed ${result.seed} diverged (replay: runFuzz({ seed: ${result.seed}, ... })):`,
    ...result.divergences.slice(0, 20),
    '--- op log ---',
    ...result.ops,
  ].join('\n')
}
