/** Who may be assigned a conversation, and the admission of an assignment (SPEC [G1]–[G4]). */
import * as Y from 'yjs'
import { describe, expect, it } from 'vitest'
import {
  assignConversation,
  assignRefusal,
  assignableMembers,
  grantAccess,
  markKey,
  needsNewOwner,
  parseRoom,
  readWorkspace,
  revokeAccess,
  setMember,
  setPhoneNumber,
  validateUpdate,
  workspaceDirectory,
  type Room,
  type UpdateContext,
  type WorkspaceMember,
} from '../src/index.ts'
import { craftUpdate } from '../src/testing/craft.ts'
import { device, inboxWith, recordUpdates, sync, T0 } from './helpers.ts'

function workspace() {
  const doc = new Y.Doc()
  const member = (id: string, name: string, role: WorkspaceMember['role'], extra = {}) =>
    setMember(doc, { id, email: `${id}@example.com`, name, role, ...extra })
  member('alice', 'Alice Martin', 'owner')
  member('bob', 'Bob Nguyen', 'admin')
  member('erin', 'Erin Walsh', 'member')
  member('vic', 'Vic Viewer', 'viewer')
  member('gone', 'Gone Member', 'member', { deactivated: true })
  setPhoneNumber(doc, { id: 'pn1', name: 'Support', number: '+14155550142' })
  setPhoneNumber(doc, { id: 'pn2', name: 'Front Desk', number: '+14155550199' })
  for (const id of ['alice', 'vic', 'gone']) grantAccess(doc, id, 'pn1')
  grantAccess(doc, 'erin', 'pn2')
  grantAccess(doc, 'bob', 'pn2')
  return doc
}

describe('[G1] who may be assigned', () => {
  it('[G1] a member with access to the number can be assigned; one without is refused by name', () => {
    const dir = workspaceDirectory(readWorkspace(workspace()))
    expect(assignRefusal(dir, 'alice', 'pn1')).toBeNull()
    expect(assignRefusal(dir, 'erin', 'pn2')).toBeNull()
    expect(assignRefusal(dir, 'erin', 'pn1')).toBe(
      'Erin Walsh has no access to Support (+14155550142)',
    )
  })

  it('[G1] owners and admins need the number shared with them too', () => {
    const dir = workspaceDirectory(readWorkspace(workspace()))
    expect(assignRefusal(dir, 'bob', 'pn1')).toBe(
      'Bob Nguyen has no access to Support (+14155550142)',
    )
    expect(assignRefusal(dir, 'alice', 'pn2')).toMatch(/Alice Martin has no access/)
  })

  it('[G1] a removed member, a viewer and an unknown id cannot be assigned', () => {
    const dir = workspaceDirectory(readWorkspace(workspace()))
    expect(assignRefusal(dir, 'gone', 'pn1')).toMatch(/removed/)
    expect(assignRefusal(dir, 'vic', 'pn1')).toMatch(/viewer/)
    expect(assignRefusal(dir, 'nobody', 'pn1')).toMatch(/not a member/)
  })

  it('[G1] assignableMembers lists only those the rule admits, in the workspace order', () => {
    const ws = readWorkspace(workspace())
    expect(assignableMembers(ws, 'pn1').map((m) => m.id)).toEqual(['alice'])
    expect(assignableMembers(ws, 'pn2').map((m) => m.id)).toEqual(['bob', 'erin'])
  })
})

describe('[G2] admission of an assignment', () => {
  const inbox = parseRoom('inbox:pn1') as Room
  function setup(ws: Y.Doc) {
    const { doc: relay } = inboxWith('c1')
    const replica = new Y.Doc()
    sync(relay, replica)
    const updates = recordUpdates(replica)
    const dir = () => workspaceDirectory(readWorkspace(ws))
    const ctx = (memberId: string): UpdateContext => ({
      room: inbox,
      memberId,
      now: T0,
      maxDrift: 60_000,
      assignRefusal: (id) => assignRefusal(dir(), id, 'pn1'),
    })
    const last = () => Y.mergeUpdates(updates.splice(0))
    return { relay, replica, ctx, last }
  }

  it('[G2] an update assigning a member without access is refused as not-assignable', () => {
    const { replica, relay, ctx, last } = setup(workspace())
    assignConversation(replica, 'c1', 'erin', device('alice', 'alice-web').author)
    expect(validateUpdate(relay, last(), ctx('alice'))).toEqual({
      ok: false,
      code: 'not-assignable',
      message: 'Erin Walsh has no access to Support (+14155550142)',
    })
  })

  it('[G2] assigning a member with access, and unassigning, are accepted', () => {
    const { replica, relay, ctx, last } = setup(workspace())
    const { author } = device('alice', 'alice-web')
    assignConversation(replica, 'c1', 'alice', author)
    const assign = last()
    expect(validateUpdate(relay, assign, ctx('alice'))).toEqual({ ok: true })
    Y.applyUpdate(relay, assign)
    assignConversation(replica, 'c1', null, author)
    expect(validateUpdate(relay, last(), ctx('alice'))).toEqual({ ok: true })
  })

  it('[G2] an assignment naming someone who lost access may still be replaced or removed', () => {
    const ws = workspace()
    const { replica, relay, ctx, last } = setup(ws)
    const { author } = device('alice', 'alice-web')
    grantAccess(ws, 'erin', 'pn1')
    assignConversation(replica, 'c1', 'erin', author)
    const assign = last()
    expect(validateUpdate(relay, assign, ctx('alice'))).toEqual({ ok: true })
    Y.applyUpdate(relay, assign)
    revokeAccess(ws, 'erin', 'pn1')
    assignConversation(replica, 'c1', null, author)
    expect(validateUpdate(relay, last(), ctx('alice'))).toEqual({ ok: true })
  })

  it('[G2] without the rule in the context (no workspace known) assignees are not judged', () => {
    const { replica, relay, last } = setup(workspace())
    assignConversation(replica, 'c1', 'erin', device('alice', 'alice-web').author)
    const ctx: UpdateContext = { room: inbox, memberId: 'alice', now: T0, maxDrift: 60_000 }
    expect(validateUpdate(relay, last(), ctx)).toEqual({ ok: true })
  })
})

describe('[G2][M8] hand-built assignments are judged by what they write', () => {
  const inbox = parseRoom('inbox:pn1') as Room
  const ctx = (ws: Y.Doc): UpdateContext => ({
    room: inbox,
    memberId: 'alice',
    now: T0,
    maxDrift: 60_000,
    assignRefusal: (id) => assignRefusal(workspaceDirectory(readWorkspace(ws)), id, 'pn1'),
  })
  /** The relay's inbox after Alice assigned c1 to herself, and her replica's Yjs client id. */
  function assignedToAlice(ws: Y.Doc) {
    const { doc: relay } = inboxWith('c1')
    const replica = new Y.Doc()
    sync(relay, replica)
    const updates = recordUpdates(replica)
    assignConversation(replica, 'c1', 'alice', device('alice', 'alice-web').author)
    const update = Y.mergeUpdates(updates.splice(0))
    expect(validateUpdate(relay, update, ctx(ws))).toEqual({ ok: true })
    Y.applyUpdate(relay, update)
    return { relay, client: replica.clientID }
  }
  const key = markKey('c1', 'assign', 'alice-web')
  /** Alice's stored assignment with Erin as its value: a well-formed mark of hers. */
  const naming = (relay: Y.Doc, who: string) => {
    const tuple = JSON.parse(relay.getMap<string>('marks').get(key)!) as unknown[]
    return JSON.stringify([...tuple.slice(0, 4), who])
  }

  it("[G2] an assignment of Erin written over Alice's own key by hand, delete set stripped, is refused", () => {
    const ws = workspace()
    const { relay, client } = assignedToAlice(ws)
    const forged = craftUpdate([
      {
        client,
        clock: Y.getState(relay.store, client),
        origin: relay.getMap('marks')._map.get(key)!.lastId,
        content: { any: [naming(relay, 'erin')] },
      },
    ])
    expect(validateUpdate(relay, forged, ctx(ws))).toMatchObject({
      ok: false,
      code: 'not-assignable',
    })
  })

  it('[G2] the same at a far clock (2^31) or as an explicit-parent item is refused; nothing names Erin', () => {
    const ws = workspace()
    const { relay, client } = assignedToAlice(ws)
    for (const struct of [
      { client, clock: 2 ** 31, origin: relay.getMap('marks')._map.get(key)!.lastId },
      { client: client + 1, clock: 0, parent: 'marks', parentSub: key },
    ]) {
      const verdict = validateUpdate(
        relay,
        craftUpdate([{ ...struct, content: { any: [naming(relay, 'erin')] } }]),
        ctx(ws),
      )
      expect(verdict.ok).toBe(false)
    }
    expect(relay.getMap('marks').get(key)).not.toContain('erin')
  })

  it("[G2][M8] a deleted item over Alice's assignment unassigns (always allowed); over Bob's key it is refused", () => {
    const ws = workspace()
    const { relay, client } = assignedToAlice(ws)
    const unassign = craftUpdate([
      {
        client,
        clock: Y.getState(relay.store, client),
        origin: relay.getMap('marks')._map.get(key)!.lastId,
        content: { deleted: 1 },
      },
    ])
    expect(validateUpdate(relay, unassign, ctx(ws))).toEqual({ ok: true })
    expect(validateUpdate(relay, unassign, { ...ctx(ws), memberId: 'bob' }).ok).toBe(false)
  })
})

describe('[G4] needs a new owner', () => {
  it('[G4] an assignee who lost access, was removed or made a viewer needs a new owner', () => {
    const ws = workspace()
    grantAccess(ws, 'erin', 'pn1')
    const dir = () => workspaceDirectory(readWorkspace(ws))
    expect(needsNewOwner(dir(), 'pn1', 'erin')).toBe(false)
    expect(needsNewOwner(dir(), 'pn1', null)).toBe(false)
    revokeAccess(ws, 'erin', 'pn1')
    expect(needsNewOwner(dir(), 'pn1', 'erin')).toBe(true)
    setMember(ws, { id: 'alice', email: 'a@example.com', name: 'Alice', role: 'viewer' })
    expect(needsNewOwner(dir(), 'pn1', 'alice')).toBe(true)
    expect(needsNewOwner(dir(), 'pn1', 'gone')).toBe(true)
  })
})
