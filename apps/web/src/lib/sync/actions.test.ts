import { createSwitchboard, memoryStorage, type Switchboard } from '@switchboard/client'
import { grantAccess, ingestActivity, setMember, setPhoneNumber } from '@switchboard/core'
import { afterEach, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { Command, commandForKey } from '../util/keyboard.ts'
import { actionMessage, applyAction, markSeen } from './actions.ts'

const member = { id: 'alice', email: 'alice@example.com', name: 'Alice', role: 'owner' } as const
let sms = 0

/** A message from the customer, as the relay would deliver it into the inbox's doc. */
function smsArrives(doc: Y.Doc, conversationId: string): void {
  const relay = new Y.Doc()
  Y.applyUpdate(relay, Y.encodeStateAsUpdate(doc))
  ingestActivity(relay, {
    id: `sms-${++sms}`,
    conversationId,
    phoneNumberId: 'pn1',
    direction: 'incoming',
    kind: 'message',
    from: '+15551230000',
    to: '+15550001',
    body: 'hello',
    at: Date.now(),
  })
  Y.applyUpdate(doc, Y.encodeStateAsUpdate(relay, Y.encodeStateVector(doc)))
}

/** An offline replica whose inbox pn1 holds conversations c1 and c2, both unread. */
async function replica(): Promise<Switchboard> {
  const storage = memoryStorage()
  const workspace = new Y.Doc()
  setMember(workspace, member)
  setPhoneNumber(workspace, { id: 'pn1', name: 'Support', number: '+15550001' })
  grantAccess(workspace, 'alice', 'pn1')
  await storage.append('workspace', Y.encodeStateAsUpdate(workspace))
  const sb = createSwitchboard({
    url: 'http://127.0.0.1:9',
    token: 'unused',
    member,
    storage,
    deviceId: 'tab',
    connect: false,
  })
  await sb.whenLoaded
  smsArrives(sb.inbox('pn1').doc, 'c1')
  smsArrives(sb.inbox('pn1').doc, 'c2')
  return sb
}

const opened: Switchboard[] = []
afterEach(async () => {
  for (const sb of opened.splice(0)) await sb.destroy()
})

describe('actions and Ctrl/Cmd+Z (one undo stack, in the client)', () => {
  it('E then Ctrl+Z: the Done is undone, back to Open and unread', async () => {
    const sb = await replica()
    opened.push(sb)
    const inbox = sb.inbox('pn1')
    await applyAction(inbox, 'c1', { kind: 'done' })
    expect(inbox.get('c1')).toMatchObject({ status: 'done' })
    expect(commandForKey({ key: 'z', ctrlKey: true })).toBe(Command.Undo)
    expect(await sb.undo()).toBe(true)
    expect(inbox.get('c1')).toMatchObject({ status: 'open', unread: true })
    expect(await sb.undo()).toBe(false)
  })

  it('Done, a new SMS, opening the thread: Ctrl+Z restores the state before Done, not Unread', async () => {
    const sb = await replica()
    opened.push(sb)
    const inbox = sb.inbox('pn1')
    await markSeen(inbox, 'c1')
    await applyAction(inbox, 'c1', { kind: 'done' })
    smsArrives(inbox.doc, 'c1')
    expect(inbox.get('c1')).toMatchObject({ status: 'open', unread: true })
    await markSeen(inbox, 'c1')
    expect(await sb.undo()).toBe(true)
    expect(inbox.get('c1')).toMatchObject({ status: 'open', unread: false })
    expect(inbox.history('c1').map((h) => h.kind)).toEqual(['read', 'done', 'read'])
  })

  it('undo follows the order actions were made in, across conversations', async () => {
    const sb = await replica()
    opened.push(sb)
    const inbox = sb.inbox('pn1')
    await applyAction(inbox, 'c1', { kind: 'done' })
    await applyAction(inbox, 'c2', { kind: 'pin' })
    await applyAction(inbox, 'c2', { kind: 'assign', memberId: 'alice' })
    expect(await sb.undo()).toBe(true)
    expect(inbox.get('c2')).toMatchObject({ pinned: true, assignee: null })
    expect(await sb.undo()).toBe(true)
    expect(inbox.get('c2')).toMatchObject({ pinned: false })
    expect(inbox.get('c1')).toMatchObject({ status: 'done' })
    expect(await sb.undo()).toBe(true)
    expect(inbox.get('c1')).toMatchObject({ status: 'open', unread: true })
  })

  it('says in the toast what was done, and to which conversation', () => {
    const name = 'Katherine Johnson'
    expect(actionMessage({ kind: 'done' }, name)).toBe('Marked Katherine Johnson as done')
    expect(actionMessage({ kind: 'unread' }, name)).toBe('Marked Katherine Johnson as unread')
    expect(actionMessage({ kind: 'open' }, name)).toBe('Reopened Katherine Johnson')
    expect(actionMessage({ kind: 'read' }, name)).toBe('Marked Katherine Johnson as read')
    expect(actionMessage({ kind: 'pin' }, name)).toBe('Pinned Katherine Johnson')
    expect(actionMessage({ kind: 'assign', memberId: 'bob', name: 'Bob' }, name)).toBe(
      'Assigned Katherine Johnson to Bob',
    )
    expect(actionMessage({ kind: 'assign', memberId: null }, name)).toBe(
      'Unassigned Katherine Johnson',
    )
  })
})
