/**
 * Issue 8 §6–§7 — skewed clocks [P6] and a long offline spell.
 *
 * §6: replicas whose wall clock runs 1 h ahead and 1 h behind. The one ahead cannot win a
 * conflict (the relay refuses its marks, 4422 clock-drift, and the replica drops them and says
 * so, docs/recovery.md); the one behind still wins when it is
 * causally later (its HLC follows what it has seen) [P2, P5].
 * §7: a file-backed replica offline for a simulated 8 h (its clock 8 h back, restarted twice)
 * makes 500 marks while five others keep marking online; after it reconnects nothing is lost,
 * every replica equals the oracle, and no Yjs client id carries two devices' writes.
 */
import { rmSync } from 'node:fs'
import {
  conversationIds,
  getConversation,
  history,
  markKey,
  readMark,
  type Activity,
  type Lane,
} from '@switchboard/core'
import { createPrng, oracleConversations, type OracleMark } from '@switchboard/core/testing'
import { createSwitchboard, fileStorage, type Switchboard } from '@switchboard/client/node'
import { afterAll, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { recordFigures, waitFor } from './support/figures.ts'
import { login, startLocalRelay, tempDir, type LocalRelay } from './support/relay.ts'

const PN = 'pn1'
const HOUR = 3_600_000
const figures: Record<string, unknown> = {}
afterAll(() => recordFigures('clocks', figures))

const activity = (id: string, conversationId: string): Activity => ({
  id,
  conversationId,
  phoneNumberId: PN,
  direction: 'incoming',
  kind: 'message',
  from: `+1555010${conversationId.slice(1).padStart(4, '0')}`,
  to: '+14155551000',
  body: 'hi',
  at: Date.now() - 8 * HOUR - 60_000,
})

async function replica(
  relay: LocalRelay,
  member: string,
  deviceId: string,
  now: () => number,
  storage: 'memory' | string = 'memory',
  connect = true,
): Promise<Switchboard> {
  const s = await login(relay.url, `${member}@example.com`)
  const sb = createSwitchboard({
    url: relay.url,
    token: s.token,
    expiresAt: s.expiresAt,
    member: s.member,
    storage: storage === 'memory' ? 'memory' : fileStorage(storage),
    deviceId,
    now,
    connect,
  })
  await sb.whenLoaded
  if (connect) await sb.whenSynced()
  await sb.inbox(PN).whenLoaded
  if (connect) {
    await sb.whenSynced()
    await waitFor(() => conversationIds(sb.inbox(PN).doc).length > 0, `${deviceId} loads`)
  }
  return sb
}

async function relayDoc(relay: LocalRelay): Promise<Y.Doc> {
  let doc: Y.Doc | null = null
  await relay.relay.writeRoom(`inbox:${PN}`, (d) => {
    doc = d
  })
  return doc!
}

const show = (doc: Y.Doc, id: string) => JSON.stringify(getConversation(doc, id))

describe('[P6] clock skew', () => {
  it('a replica 1 h ahead cannot win a conflict; one 1 h behind wins when it is causally later', async () => {
    const relay = await startLocalRelay({
      workspace: {
        phoneNumbers: [PN],
        members: ['m0', 'm1', 'm2'].map((m) => [m, 'member', [PN]]),
      },
    })
    await relay.relay.ingest(activity('k1', 'c1'))
    const normal = await replica(relay, 'm0', 'dev-normal', Date.now)
    const ahead = await replica(relay, 'm1', 'dev-ahead', () => Date.now() + HOUR)
    const behind = await replica(relay, 'm2', 'dev-behind', () => Date.now() - HOUR)

    // Ahead marks Done; the relay refuses it (too far in its future), and the replica drops it
    // and tells its user [R1]–[R3].
    await ahead.inbox(PN).markDone('c1')
    await waitFor(() => ahead.notices.length > 0, 'the ahead replica is told')
    await normal.inbox(PN).markOpen('c1')
    await normal.whenSynced()
    await waitFor(
      () => behind.inbox(PN).get('c1')?.statusBy?.deviceId === 'dev-normal',
      'behind sees Open',
    )
    // Behind has seen Open: its HLC follows, so its Done is later and wins.
    await behind.inbox(PN).markDone('c1')
    await behind.whenSynced()
    await waitFor(() => normal.inbox(PN).get('c1')?.status === 'done', 'normal sees Done')
    const afterBehind = normal.inbox(PN).get('c1')!
    await normal.inbox(PN).markUnread('c1')
    await normal.whenSynced()
    await waitFor(() => behind.inbox(PN).get('c1')?.unread === true, 'behind sees Unread')
    const doc = await relayDoc(relay)
    const agree = [normal, behind].every((sb) => show(sb.inbox(PN).doc, 'c1') === show(doc, 'c1'))
    const relayHasAhead = history(doc, 'c1').some((h) => h.deviceId === 'dev-ahead')
    figures.skew = {
      aheadRefusedWith: ahead.notices[0]?.message ?? null,
      aheadMarkStored: relayHasAhead,
      behindWinsWhenLater: afterBehind.statusBy?.deviceId === 'dev-behind',
      final:
        getConversation(doc, 'c1')?.status + (getConversation(doc, 'c1')?.unread ? '+unread' : ''),
      replicasAgree: agree,
    }
    for (const sb of [normal, ahead, behind]) await sb.destroy()
    await relay.close()
    expect(ahead.notices[0]?.message).toMatch(/4422 clock-drift/)
    expect(ahead.notices[0]?.dropped.map((d) => d.summary)).toContain('mark done on c1')
    expect(relayHasAhead).toBe(false)
    expect(afterBehind.status).toBe('done')
    expect(afterBehind.statusBy?.deviceId).toBe('dev-behind')
    expect(getConversation(doc, 'c1')?.unread).toBe(true)
    expect(agree).toBe(true)
  })
})

describe('long offline', () => {
  it('a replica offline for a simulated 8 h with 500 marks merges with 5 online replicas: nothing lost, equal to the oracle, no client id shared by two devices', async () => {
    const prng = createPrng(88)
    const members = ['m0', 'm1', 'm2', 'm3', 'm4', 'm5']
    const relay = await startLocalRelay({
      workspace: { phoneNumbers: [PN], members: members.map((m) => [m, 'member', [PN]]) },
    })
    const activities: Activity[] = []
    for (let i = 0; i < 10; i++) {
      const a = activity(`o${i}`, `c${i}`)
      await relay.relay.ingest(a)
      activities.push(a)
    }
    const marks: OracleMark[] = []
    const record = (sb: Switchboard, id: string, lanes: Lane[]) => {
      for (const lane of lanes) {
        const e = readMark(sb.inbox(PN).doc, markKey(id, lane, sb.deviceId))!
        marks.push({
          conversationId: id,
          lane,
          kind: e.kind,
          at: e.at,
          device: e.device,
          member: e.by,
          seen: e.seen,
        })
      }
    }
    const dir = tempDir('offline')
    // The offline device synced once, 8 h ago.
    let offset = -8 * HOUR
    const clock = () => Date.now() + offset
    let offline = await replica(relay, 'm5', 'dev-offline', clock, dir)
    await offline.destroy()
    const online: Switchboard[] = []
    for (let i = 0; i < 5; i++)
      online.push(await replica(relay, members[i]!, `dev-online-${i}`, Date.now))
    const offlineMarks: { id: string; at: string }[] = []
    const clientIds = new Set<number>()
    const ids = Array.from({ length: 10 }, (_, i) => `c${i}`)
    for (let k = 0; k < 500; k++) {
      if (k % 200 === 0) {
        // The offline process restarts (from its files) twice during the spell.
        if (k > 0) await offline.destroy()
        offline = await replica(relay, 'm5', 'dev-offline', clock, dir, false)
        clientIds.add(offline.inbox(PN).doc.clientID)
      }
      offset += (8 * HOUR) / 500
      const id = prng.pick(ids)
      const kind = prng.pick(['done', 'open', 'unread', 'read'] as const)
      const inbox = offline.inbox(PN)
      await {
        done: () => inbox.markDone(id),
        open: () => inbox.markOpen(id),
        unread: () => inbox.markUnread(id),
        read: () => inbox.markRead(id),
      }[kind]()
      record(offline, id, kind === 'read' ? ['flag'] : ['status', 'flag'])
      offlineMarks.push({
        id,
        at: readMark(inbox.doc, markKey(id, 'flag', 'dev-offline'))!.at,
      })
      if (k % 10 === 0) {
        const sb = prng.pick(online)
        const oid = prng.pick(ids)
        await sb.inbox(PN).markDone(oid)
        record(sb, oid, ['status', 'flag'])
      }
    }
    offset = 0
    offline.connect()
    const started = Date.now()
    await offline.whenSynced()
    await Promise.all(online.map((sb) => sb.whenSynced()))
    const doc = await relayDoc(relay)
    const all = [offline, ...online]
    await waitFor(
      () => all.every((sb) => ids.every((id) => show(sb.inbox(PN).doc, id) === show(doc, id))),
      'everyone agrees',
    )
    const mergeMs = Date.now() - started
    const expected = oracleConversations(marks, activities)
    const divergences = ids.filter(
      (id) =>
        JSON.stringify(expected.get(id)) !== show(doc, id) ||
        all.some((sb) => show(sb.inbox(PN).doc, id) !== show(doc, id)),
    )
    const lost = offlineMarks.filter(
      (m) => !history(doc, m.id).some((h) => h.deviceId === 'dev-offline' && h.at === m.at),
    )
    // Which devices wrote under each Yjs client id (marks and history carry the device).
    const devicesOf = new Map<number, Set<string>>()
    for (const [client, structs] of doc.store.clients)
      for (const s of structs)
        if (s instanceof Y.Item && s.content instanceof Y.ContentAny)
          for (const v of s.content.getContent() as { device?: string; deviceId?: string }[]) {
            const device = v?.device ?? v?.deviceId
            if (!device) continue
            if (!devicesOf.has(client)) devicesOf.set(client, new Set())
            devicesOf.get(client)!.add(device)
          }
    const shared = [...devicesOf.values()].filter((d) => d.size > 1).length
    figures.offline = {
      offlineMarks: offlineMarks.length,
      onlineMarks: marks.filter((m) => m.device !== 'dev-offline' && m.lane === 'status').length,
      offlineRestarts: 2,
      offlineClientIds: clientIds.size,
      lost: lost.length,
      divergences: divergences.length,
      clientIdsShared: shared,
      mergeMs,
    }
    for (const sb of all) await sb.destroy()
    await relay.close()
    rmSync(dir, { recursive: true, force: true })
    expect(lost).toEqual([])
    expect(divergences).toEqual([])
    expect(shared).toBe(0)
  })
})
