/**
 * Issue 8 §1 — convergence under partitions through the real relay [P1–P4].
 *
 * Eight Node replicas (the client library over file storage) mark, pin and assign at random
 * while a fault proxy between each replica and the relay delays frames, reorders them across
 * connections, drops connections and partitions groups of replicas; replicas also restart from
 * their files. After each round every proxy heals; the round's convergence time is how long
 * until every replica and the relay derive the same conversations. At the end every replica and
 * a fresh replica synced from the relay must equal core's oracle for every conversation.
 */
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import {
  conversationIds,
  getConversation,
  markKey,
  readMark,
  type Activity,
  type Lane,
  type MarkKind,
} from '@switchboard/core'
import {
  createPrng,
  oracleConversations,
  type OracleMark,
  type Prng,
} from '@switchboard/core/testing'
import { createSwitchboard, fileStorage, type Switchboard } from '@switchboard/client/node'
import { afterAll, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { startFaultProxy, type FaultProxy } from './support/fault-proxy.ts'
import { percentile, recordFigures, scale, sleep, waitFor } from './support/figures.ts'
import { login, startLocalRelay, tempDir, type LocalRelay, type Session } from './support/relay.ts'

const REPLICAS = 8
const MEMBERS = ['m0', 'm1', 'm2', 'm3', 'm4']
const PN = 'pn1'
const ROOM = `inbox:${PN}`
// The short profile pins seeds that once failed: 6, 8 and 9 stranded replicas with 4422
// unknown-parent before the relay held early updates (582043b). SEEDS=… runs others.
const PINNED = [6, 8, 9]
const SEEDS = process.env.SEEDS
  ? process.env.SEEDS.split(',').map(Number)
  : scale(
      PINNED,
      Array.from({ length: 20 }, (_, i) => i + 1),
    )
const ROUNDS = scale(2, 4)
const OPS_PER_ROUND = scale(40, 60)

interface Replica {
  name: string
  deviceId: string
  memberId: string
  dir: string
  proxy: FaultProxy
  session: Session
  sb: Switchboard
  restarts: number
}

interface SeedResult {
  seed: number
  operations: number
  divergences: string[]
  convergenceMs: number[]
  faults: { drops: number; partitions: number; restarts: number; reordered: number; frames: number }
}

const totals = {
  operations: 0,
  divergences: 0,
  convergenceMs: [] as number[],
  drops: 0,
  partitions: 0,
  restarts: 0,
  reordered: 0,
  frames: 0,
  seeds: [] as number[],
  freshBehindAtWhenSynced: 0,
}

afterAll(() => {
  recordFigures('convergence', {
    replicas: REPLICAS,
    seeds: totals.seeds.length,
    seedList: totals.seeds,
    roundsPerSeed: ROUNDS,
    operations: totals.operations,
    divergences: totals.divergences,
    convergenceP50Ms: percentile(totals.convergenceMs, 50),
    convergenceP99Ms: percentile(totals.convergenceMs, 99),
    convergenceSamples: totals.convergenceMs.length,
    connectionDrops: totals.drops,
    partitions: totals.partitions,
    replicaRestarts: totals.restarts,
    framesProxied: totals.frames,
    framesReordered: totals.reordered,
    freshReplicaBehindAtWhenSynced: totals.freshBehindAtWhenSynced,
  })
})

function openReplica(r: Omit<Replica, 'sb'> & { sb?: Switchboard }): Switchboard {
  return createSwitchboard({
    url: r.proxy.url,
    token: r.session.token,
    expiresAt: r.session.expiresAt,
    member: r.session.member,
    storage: fileStorage(r.dir),
    deviceId: r.deviceId,
  })
}

/** The relay's own document of a room (read through a write that writes nothing). */
async function relayDoc(relay: LocalRelay, room: string): Promise<Y.Doc> {
  let doc: Y.Doc | null = null
  await relay.relay.writeRoom(room, (d) => {
    doc = d
  })
  return doc!
}

const show = (doc: Y.Doc, id: string) => JSON.stringify(getConversation(doc, id) ?? null)

function allIds(docs: Y.Doc[]): string[] {
  const ids = new Set<string>()
  for (const d of docs) for (const id of conversationIds(d)) ids.add(id)
  return [...ids].sort()
}

/** Names of the docs that differ from the first one, with the first differing conversation. */
function disagreements(named: { name: string; doc: Y.Doc }[]): string[] {
  const ids = allIds(named.map((n) => n.doc))
  const [first, ...rest] = named
  const out: string[] = []
  for (const other of rest)
    for (const id of ids)
      if (show(first!.doc, id) !== show(other.doc, id)) {
        out.push(
          `${id}: ${first!.name}=${show(first!.doc, id)} ${other.name}=${show(other.doc, id)}`,
        )
        break
      }
  return out
}

async function runSeed(seed: number): Promise<SeedResult> {
  const prng: Prng = createPrng(seed)
  const relay = await startLocalRelay({
    workspace: { phoneNumbers: [PN], members: MEMBERS.map((m) => [m, 'member', [PN]]) },
    // Small log: compaction (snapshot + pruning) happens during the run too.
    compactEvery: 50,
  })
  const activities: Activity[] = []
  const marks: OracleMark[] = []
  const conversations = Array.from({ length: 8 }, (_, i) => `c${i}`)
  let activitySeq = 0
  const ingest = async (conversationId: string, direction: 'incoming' | 'outgoing') => {
    const outside = `+1555000${conversationId.slice(1).padStart(4, '0')}`
    const activity: Activity = {
      id: `s${seed}-a${activitySeq++}`,
      conversationId,
      phoneNumberId: PN,
      direction,
      kind: 'message',
      from: direction === 'incoming' ? outside : '+14155551000',
      to: direction === 'incoming' ? '+14155551000' : outside,
      body: `message ${activitySeq}`,
      at: Date.now() - prng.int(5_000),
    }
    await relay.relay.ingest(activity)
    activities.push(activity)
  }
  for (const c of conversations.slice(0, 5)) await ingest(c, 'incoming')

  const replicas: Replica[] = []
  const stats = { drops: 0, partitions: 0, restarts: 0 }
  try {
    for (let i = 0; i < REPLICAS; i++) {
      const memberId = MEMBERS[i % MEMBERS.length]!
      const proxy = await startFaultProxy({
        target: relay.url,
        random: () => prng.next(),
        maxDelayMs: 30,
      })
      const base = {
        name: `r${i}`,
        deviceId: `s${seed}-r${i}`,
        memberId,
        dir: tempDir(`replica${i}`),
        proxy,
        session: await login(relay.url, `${memberId}@example.com`),
        restarts: 0,
      }
      const sb = openReplica(base)
      sb.inbox(PN)
      replicas.push({ ...base, sb })
    }
    await Promise.all(replicas.map((r) => r.sb.whenSynced()))

    let operations = 0
    const convergenceMs: number[] = []
    const record = (r: Replica, doc: Y.Doc, id: string, lanes: Lane[]) => {
      for (const lane of lanes) {
        const e = readMark(doc, markKey(id, lane, r.deviceId))
        if (!e)
          throw new Error(`mark ${id}/${lane} of ${r.deviceId} missing right after writing it`)
        marks.push({
          conversationId: id,
          lane,
          kind: e.kind,
          at: e.at,
          device: e.device,
          member: e.by,
          seen: e.seen,
          ...(e.value !== undefined ? { value: e.value } : {}),
        })
      }
    }

    for (let round = 0; round < ROUNDS; round++) {
      for (let op = 0; op < OPS_PER_ROUND; op++) {
        const r = prng.pick(replicas)
        const x = prng.next()
        const inbox = r.sb.inbox(PN)
        await inbox.whenLoaded
        const known = conversationIds(inbox.doc)
        if (x < 0.62 && known.length > 0) {
          const id = prng.pick(known)
          const y = prng.next()
          if (y < 0.6) {
            const kind = prng.pick<MarkKind>(['done', 'open', 'unread', 'read'])
            await {
              done: () => inbox.markDone(id),
              open: () => inbox.markOpen(id),
              unread: () => inbox.markUnread(id),
              read: () => inbox.markRead(id),
            }[kind]()
            record(r, inbox.doc, id, kind === 'read' ? ['flag'] : ['status', 'flag'])
          } else if (y < 0.8) {
            await (prng.chance(0.6) ? inbox.pin(id) : inbox.unpin(id))
            record(r, inbox.doc, id, ['pin'])
          } else {
            await inbox.assign(id, prng.chance(0.2) ? null : prng.pick(MEMBERS))
            record(r, inbox.doc, id, ['assign'])
          }
          operations++
        } else if (x < 0.72) {
          await ingest(prng.pick(conversations), prng.chance(0.75) ? 'incoming' : 'outgoing')
          operations++
        } else if (x < 0.8) {
          r.proxy.dropAll()
          stats.drops++
        } else if (x < 0.86) {
          // A group of replicas loses the relay (and so each other) until healed.
          const group = prng.shuffle([...replicas]).slice(0, prng.range(2, 4))
          for (const g of group) g.proxy.partition()
          stats.partitions++
        } else if (x < 0.93) {
          prng.pick(replicas).proxy.heal()
        } else if (x < 0.97) {
          // The replica process restarts: reopen from its file store, same device.
          await r.sb.destroy()
          r.sb = openReplica(r)
          r.sb.inbox(PN)
          await r.sb.whenLoaded
          r.restarts++
          stats.restarts++
        } else {
          r.proxy.setMaxDelay(prng.pick([0, 5, 30, 120]))
        }
        await sleep(prng.int(8))
      }
      // Heal everything; converge.
      for (const r of replicas) {
        r.proxy.heal()
        r.proxy.setMaxDelay(30)
      }
      const doc = await relayDoc(relay, ROOM)
      const started = Date.now()
      await waitFor(
        () =>
          replicas.every((r) => r.sb.pending === 0 && r.sb.status === 'online') &&
          disagreements([
            { name: 'relay', doc },
            ...replicas.map((r) => ({ name: r.name, doc: r.sb.inbox(PN).doc })),
          ]).length === 0,
        `seed ${seed} round ${round}: replicas converge`,
        60_000,
      ).catch((err: unknown) => {
        const why = disagreements([
          { name: 'relay', doc },
          ...replicas.map((r) => ({ name: r.name, doc: r.sb.inbox(PN).doc })),
        ])
        const states = replicas.map(
          (r) =>
            `${r.name}: status=${r.sb.status} pending=${r.sb.pending} error=${r.sb.error?.message ?? '-'} sv=${JSON.stringify([...Y.decodeStateVector(Y.encodeStateVector(r.sb.inbox(PN).doc))])}`,
        )
        for (const r of replicas) {
          if (!r.sb.error) continue
          const upd = Y.encodeStateAsUpdate(r.sb.inbox(PN).doc, Y.encodeStateVector(doc))
          const dec = Y.decodeUpdate(upd)
          for (const st of dec.structs) {
            const it = st as Y.Item
            console.log(
              r.name,
              st.constructor.name,
              st.id.client,
              st.id.clock,
              st.length,
              it.origin ? `${it.origin.client}:${it.origin.clock}` : '-',
              it.rightOrigin ? `${it.rightOrigin.client}:${it.rightOrigin.clock}` : '-',
              typeof it.parent === 'string' ? it.parent : String(it.parent),
              it.parentSub,
              it.content?.constructor.name,
              JSON.stringify(it.content?.getContent?.()),
            )
            if (it.origin && Y.getState(doc.store, it.origin.client) > it.origin.clock) {
              const o = Y.getItem(doc.store, it.origin) as Y.Item
              console.log(
                '   relay has origin as',
                o.constructor.name,
                o.deleted,
                o.content?.constructor.name,
              )
            }
          }
          console.log('ds', JSON.stringify([...dec.ds.clients]))
        }
        throw new Error(
          `${String(err)}\nrelay sv=${JSON.stringify([...Y.decodeStateVector(Y.encodeStateVector(doc))])}\n${states.join('\n')}\n${why.join('\n')}`,
        )
      })
      convergenceMs.push(Date.now() - started)
    }

    // A fresh replica synced straight from the relay, and the oracle.
    const freshSession = await login(relay.url, 'm0@example.com')
    const fresh = createSwitchboard({
      url: relay.url,
      token: freshSession.token,
      expiresAt: freshSession.expiresAt,
      member: freshSession.member,
      storage: 'memory',
      deviceId: `s${seed}-fresh`,
    })
    fresh.inbox(PN)
    await fresh.whenSynced()
    const relayInbox = await relayDoc(relay, ROOM)
    const sv = (d: Y.Doc) => Buffer.from(Y.encodeStateVector(d)).toString('hex')
    // whenSynced resolves at the relay's sync step 2; a cold join's later frames may still be on
    // their way (reported in docs/reliability.md), so wait for the state vector itself.
    if (sv(fresh.inbox(PN).doc) !== sv(relayInbox)) totals.freshBehindAtWhenSynced++
    await waitFor(() => sv(fresh.inbox(PN).doc) === sv(relayInbox), 'fresh replica catches up')
    const expected = oracleConversations(marks, activities)
    const named = [
      { name: 'relay', doc: await relayDoc(relay, ROOM) },
      { name: 'fresh', doc: fresh.inbox(PN).doc },
      ...replicas.map((r) => ({ name: r.name, doc: r.sb.inbox(PN).doc })),
    ]
    const divergences: string[] = []
    const ids = new Set([...expected.keys(), ...allIds(named.map((n) => n.doc))])
    for (const id of [...ids].sort()) {
      const want = JSON.stringify(expected.get(id) ?? null)
      for (const { name, doc } of named) {
        const got = show(doc, id)
        if (got !== want)
          divergences.push(`seed ${seed} ${id} on ${name}:\n  got  ${got}\n  want ${want}`)
      }
    }
    await fresh.destroy()
    const proxied = replicas.reduce(
      (s, r) => ({
        frames: s.frames + r.proxy.stats.frames,
        reordered: s.reordered + r.proxy.stats.reordered,
      }),
      { frames: 0, reordered: 0 },
    )
    return { seed, operations, divergences, convergenceMs, faults: { ...stats, ...proxied } }
  } finally {
    for (const r of replicas) {
      await r.sb.destroy().catch(() => {})
      await r.proxy.close()
      rmSync(r.dir, { recursive: true, force: true })
    }
    await relay.close()
    rmSync(join(relay.dataDir), { recursive: true, force: true })
  }
}

describe('[P1] convergence under partitions through the real relay', () => {
  for (const seed of SEEDS)
    it(`[P1–P4] seed ${seed}: ${REPLICAS} file-backed replicas behind fault proxies agree with each other, a fresh replica and the oracle`, async () => {
      const result = await runSeed(seed)
      totals.seeds.push(seed)
      totals.operations += result.operations
      totals.divergences += result.divergences.length
      totals.convergenceMs.push(...result.convergenceMs)
      totals.drops += result.faults.drops
      totals.partitions += result.faults.partitions
      totals.restarts += result.faults.restarts
      totals.reordered += result.faults.reordered
      totals.frames += result.faults.frames
      expect(result.divergences, result.divergences.slice(0, 5).join('\n')).toEqual([])
      expect(result.operations).toBeGreaterThan(0)
    })
})
