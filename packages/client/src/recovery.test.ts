import { encodeMark, inboxRoots, ingestActivity, markKey, type MarkEntry } from '@switchboard/core'
import { afterEach, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { heldBy, rebaseVerdict, sortUnsynced, unsyncedChanges } from './recovery.ts'
import { fileStorage } from './storage/file.ts'
import { createSwitchboard } from './node.ts'
import type { Switchboard, SyncNotice } from './types.ts'
import {
  incoming,
  login,
  openClient,
  startRelay,
  tempDir,
  until,
  type TestRelay,
} from '../test/harness.ts'

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

async function relayWith(...conversations: [string, string][]): Promise<TestRelay> {
  const relay = await startRelay()
  cleanups.push(() => relay.stop())
  for (const [id, pn] of conversations) await relay.ingest(incoming(id, `hello from ${id}`, pn))
  return relay
}

/** A replica over real file storage in its own directory; `reopen` opens it again. */
async function fileReplica(relay: TestRelay, email: string, deviceId: string) {
  const dir = tempDir()
  cleanups.push(() => dir.remove())
  let sb: Switchboard | null = null
  const open = async () => {
    sb = await openClient(relay, email, { dir: dir.dir, deviceId })
    return sb
  }
  cleanups.push(() => sb?.destroy())
  return {
    dir: dir.dir,
    open,
    async close() {
      await sb?.destroy()
      sb = null
    },
  }
}

function nextNotice(sb: Switchboard): Promise<SyncNotice> {
  return new Promise((resolve) => {
    const off = sb.onNotice((n) => {
      off()
      resolve(n)
    })
  })
}

/** Writes a mark straight into the local doc, as a buggy or tampered replica could. */
function forgeMark(sb: Switchboard, phoneNumberId: string, key: string, entry: MarkEntry) {
  const doc = sb.inbox(phoneNumberId).doc
  doc.transact(() => inboxRoots.marks(doc).set(key, encodeMark(entry)))
}

describe('[R1] a refused update never strands an honest replica', () => {
  it('[R4] an offline replica whose access to a number is revoked while it holds pending marks drops that room, is told, and keeps syncing the others', async () => {
    const relay = await relayWith(['c1', 'pn1'], ['c2', 'pn2'])
    await relay.admin!.createPhoneNumber({ id: 'pn2', name: 'Sales', number: '+15550002' })
    await relay.admin!.grant('carol', 'pn2')
    await relay.admin!.grant('alice', 'pn2')
    const carol = await fileReplica(relay, 'carol@example.com', 'carol-laptop')
    let sb = await carol.open()
    await until(sb, () => !!sb.inbox('pn1').get('c1') && !!sb.inbox('pn2').get('c2'))
    await sb.whenSynced()

    sb.disconnect()
    await sb.inbox('pn1').markDone('c1')
    await sb.inbox('pn2').markDone('c2')
    expect(sb.pending).toBe(2)
    await relay.admin!.revoke('carol', 'pn1')

    const told = nextNotice(sb)
    sb.connect()
    const notice = await told
    expect(notice).toMatchObject({ kind: 'revoked', room: 'inbox:pn1', code: 4403, kept: 0 })
    // Done writes two lanes and a history line: one change for the user.
    expect(notice.dropped.map((d) => [d.root, d.conversationId, d.why])).toEqual([
      ['marks', 'c1', 'revoked'],
      ['marks', 'c1', 'revoked'],
      ['history', 'c1', 'revoked'],
    ])
    expect(notice.message).toMatch(/no longer have access to the inbox of Support/)
    expect(notice.message).toMatch(/lost: 1 change \(mark done on c1\)/)
    expect(sb.notices).toEqual([notice])

    // The other number's pending mark still reaches the relay; nothing is left stuck.
    await sb.whenSynced()
    expect(sb.pending).toBe(0)
    expect(sb.phoneNumbers().map((p) => p.id)).toEqual(['pn2'])
    const alice = await openClient(relay, 'alice@example.com')
    cleanups.push(() => alice.destroy())
    await until(alice, () => alice.inbox('pn2').get('c2')?.status === 'done')
    await until(alice, () => !!alice.inbox('pn1').get('c1'))
    expect(alice.inbox('pn1').get('c1')?.status).toBe('open')

    // The room's local data is gone from the device, and the next open is clean.
    await carol.close()
    const storage = fileStorage(carol.dir)
    expect(await storage.load('inbox:pn1')).toEqual([])
    expect((await storage.load('inbox:pn2')).length).toBeGreaterThan(0)
    await storage.close()
    sb = await carol.open()
    await sb.whenSynced()
    expect(sb.notices).toEqual([])
    expect(sb.inbox('pn2').get('c2')?.status).toBe('done')
  })

  it('[R2] a pending mark refused with 4422 is dropped, the user is told, the valid marks made after it reach the relay, and the room syncs on the next open', async () => {
    const relay = await relayWith(['c1', 'pn1'], ['c2', 'pn1'], ['c3', 'pn1'])
    const carol = await fileReplica(relay, 'carol@example.com', 'carol-laptop')
    let sb = await carol.open()
    await until(sb, () => !!sb.inbox('pn1').get('c3'))
    await sb.whenSynced()

    sb.disconnect()
    const at = sb.inbox('pn1').get('c1')!.decidedBy?.at
    expect(at).toBeUndefined()
    // Carol's device writes a mark claiming to be Alice's: the relay refuses it [M8].
    forgeMark(sb, 'pn1', markKey('c1', 'status', 'carol-laptop'), {
      kind: 'done',
      at: '0000000000001:0000:carol-laptop',
      by: 'alice',
      device: 'carol-laptop',
      seen: 1,
    })
    await sb.inbox('pn1').markDone('c2')
    await sb.inbox('pn1').pin('c3')
    await sb.flush()

    const told = nextNotice(sb)
    sb.connect()
    const notice = await told
    expect(notice).toMatchObject({ kind: 'refused', room: 'inbox:pn1', code: 4422, kept: 2 })
    expect(notice.reason).not.toBe('')
    expect(notice.dropped).toEqual([
      expect.objectContaining({ root: 'marks', conversationId: 'c1', why: 'not-yours' }),
    ])
    expect(notice.message).toMatch(/refused a change in the inbox of Support/)
    await sb.whenSynced()
    expect(sb.error).toBeNull()

    const alice = await openClient(relay, 'alice@example.com')
    cleanups.push(() => alice.destroy())
    await until(alice, () => alice.inbox('pn1').get('c3')?.pinned === true)
    expect(alice.inbox('pn1').get('c2')?.status).toBe('done')
    expect(alice.inbox('pn1').get('c1')?.status).toBe('open')

    // The refused change left local storage: the next open sends nothing the relay refuses.
    await carol.close()
    sb = await carol.open()
    await sb.whenSynced()
    expect(sb.notices).toEqual([])
    expect(sb.inbox('pn1').get('c1')?.status).toBe('open')
    expect(sb.inbox('pn1').get('c2')?.status).toBe('done')
    await sb.inbox('pn1').markDone('c1')
    await sb.whenSynced()
    await until(alice, () => alice.inbox('pn1').get('c1')?.status === 'done')
  })

  it('[R3] when the relay refuses the rebase too, every unsynced change of the room is dropped and reported, and the room syncs', async () => {
    const relay = await relayWith(['c1', 'pn1'], ['c2', 'pn1'])
    const dir = tempDir()
    cleanups.push(() => dir.remove())
    const session = await login(relay.url, 'carol@example.com')
    // An hour ahead: its marks pass every local check, and the relay refuses each ([M6]).
    const sb = createSwitchboard({
      url: relay.url,
      token: session.token,
      expiresAt: session.expiresAt,
      member: session.member,
      storage: 'file',
      dir: dir.dir,
      deviceId: 'carol-ahead',
      now: () => Date.now() + 3_600_000,
    })
    cleanups.push(() => sb.destroy())
    await until(sb, () => !!sb.inbox('pn1').get('c2'))
    await sb.whenSynced()
    sb.disconnect()
    await sb.inbox('pn1').markDone('c1')
    await sb.inbox('pn1').markDone('c2')

    const notices: SyncNotice[] = []
    sb.onNotice((n) => notices.push(n))
    sb.connect()
    // The rebase writes both marks again (they pass the local check, so nothing is told yet);
    // the relay refuses them again, and then they are dropped and told.
    await until(sb, () => notices.length === 1)
    expect(notices[0]).toMatchObject({ kind: 'refused', code: 4422, kept: 0 })
    expect(notices[0]!.reason).toMatch(/clock-drift/)
    expect(new Set(notices[0]!.dropped.map((d) => [d.conversationId, d.why].join(' ')))).toEqual(
      new Set(['c1 refused', 'c2 refused']),
    )
    expect(notices[0]!.message).toMatch(/Removed from this device: 2 changes/)
    await sb.whenSynced()
    expect(notices).toHaveLength(1)
    expect(sb.pending).toBe(0)
    expect(sb.error).toBeNull()
    expect(sb.inbox('pn1').get('c1')?.status).toBe('open')
  })
})

describe('[R2] what a rebase writes again', () => {
  const author = { memberId: 'carol', deviceId: 'laptop' }
  const mark = (by = 'carol', device = 'laptop') =>
    encodeMark({ kind: 'done', at: '0000000000001:0000:' + device, by, device, seen: 1 })

  /** A relay doc knowing c1, and a replica of it with unsynced writes. */
  function replicaOf() {
    const relay = new Y.Doc()
    ingestActivity(relay, { ...incoming('c1', 'hi'), at: 1_700_000_000_000 })
    const local = new Y.Doc()
    Y.applyUpdate(local, Y.encodeStateAsUpdate(relay))
    const synced = new Y.Doc()
    Y.applyUpdate(synced, Y.encodeStateAsUpdate(relay))
    return { relay, local, synced }
  }

  it('lists the values the relay lacks: the current value of each key, each list entry', () => {
    const { local, synced } = replicaOf()
    const marks = inboxRoots.marks(local)
    marks.set(markKey('c1', 'status', 'laptop'), mark())
    Y.applyUpdate(synced, Y.encodeStateAsUpdate(local))
    marks.set(markKey('c1', 'flag', 'laptop'), mark())
    const entry = {
      conversationId: 'c1',
      kind: 'done',
      memberId: 'carol',
      deviceId: 'laptop',
      at: '0',
    } as const
    inboxRoots.history(local).push([entry])
    expect(unsyncedChanges(local, heldBy(synced))).toEqual([
      { root: 'marks', key: markKey('c1', 'flag', 'laptop'), value: mark() },
      { root: 'history', key: null, value: entry },
    ])
  })

  it.each([
    [
      'its own mark of a known conversation',
      'marks',
      markKey('c1', 'status', 'laptop'),
      mark(),
      null,
    ],
    [
      'a mark of a conversation the room does not know',
      'marks',
      markKey('ghost', 'status', 'laptop'),
      mark(),
      'unknown-conversation',
    ],
    [
      'a mark claiming another member',
      'marks',
      markKey('c1', 'status', 'laptop'),
      mark('alice'),
      'not-yours',
    ],
    [
      'a mark under another device',
      'marks',
      markKey('c1', 'status', 'bob-web'),
      mark('carol', 'bob-web'),
      'not-yours',
    ],
    ['a conversation record (relay only)', 'conversations', 'c1', '{}', 'relay-only'],
    ['an unknown root', 'sneaky', 'k', 1, 'relay-only'],
  ] as const)('inbox: %s → %s', (_name, root, key, value, why) => {
    const { synced } = replicaOf()
    expect(rebaseVerdict('inbox:pn1', { root, key, value }, synced, author)).toBe(why)
  })

  it('conversation and contacts rooms: own notes and contact fields are written again, nothing else', () => {
    const doc = new Y.Doc()
    const note = (by: string) => ({ id: 'n1', author: by, body: 'hi', mentions: [], at: 1 })
    const verdict = (room: string, root: string, key: string | null, value: unknown) =>
      rebaseVerdict(room, { root, key, value }, doc, author)
    expect(verdict('conversation:c1', 'notes', 'n1', note('carol'))).toBeNull()
    expect(verdict('conversation:c1', 'notes', 'n1', note('alice'))).toBe('not-yours')
    expect(verdict('conversation:c1', 'activities', 'a1', {})).toBe('relay-only')
    expect(verdict('contacts', 'contacts', '+1555\u001fname', 'Ann')).toBeNull()
    expect(verdict('workspace', 'members', 'carol', {})).toBe('relay-only')
  })

  it('without a rebase every unsynced change is dropped as refused', () => {
    const { local, synced } = replicaOf()
    inboxRoots.marks(local).set(markKey('c1', 'status', 'laptop'), mark())
    const sorted = sortUnsynced('inbox:pn1', local, synced, author, false)
    expect(sorted.kept).toEqual([])
    expect(sorted.dropped).toEqual([
      {
        root: 'marks',
        key: markKey('c1', 'status', 'laptop'),
        conversationId: 'c1',
        summary: 'mark done on c1',
        why: 'refused',
      },
    ])
  })
})
