import { afterEach, describe, expect, it } from 'vitest'
import { memoryStorage } from './storage/client-storage.ts'
import { createSwitchboard } from './switchboard.ts'
import type { Switchboard } from './types.ts'
import { UndoStack } from './undo.ts'
import { incoming, openClient, startRelay, until } from '../test/harness.ts'
import { alice, seedReplica } from '../test/seed.ts'

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

/** An offline replica whose inbox pn1 holds one unread conversation per id. */
async function offlineReplica(ids: string[]): Promise<Switchboard> {
  const storage = memoryStorage()
  await seedReplica(storage, ids)
  const sb = createSwitchboard({
    url: 'http://127.0.0.1:9',
    token: 'unused',
    member: alice,
    storage,
    deviceId: 'laptop',
    connect: false,
  })
  cleanups.push(() => sb.destroy())
  await sb.whenLoaded
  return sb
}

const state = (sb: Switchboard, id: string) => {
  const c = sb.inbox('pn1').get(id)
  return c && { status: c.status, unread: c.unread, pinned: c.pinned }
}

describe('mark', () => {
  it('mark(id, kind) sets each of the core mark kinds, as markDone and the others do', async () => {
    const sb = await offlineReplica(['c1'])
    const inbox = sb.inbox('pn1')
    await inbox.mark('c1', 'done')
    expect(state(sb, 'c1')).toMatchObject({ status: 'done', unread: false })
    await inbox.mark('c1', 'unread')
    expect(state(sb, 'c1')).toMatchObject({ status: 'open', unread: true })
    await inbox.mark('c1', 'read')
    expect(state(sb, 'c1')).toMatchObject({ status: 'open', unread: false })
    await inbox.mark('c1', 'done')
    await inbox.mark('c1', 'open')
    expect(state(sb, 'c1')).toMatchObject({ status: 'open', unread: false })
    expect(inbox.history('c1').map((h) => h.kind)).toEqual([
      'done',
      'unread',
      'read',
      'done',
      'open',
    ])
  })
})

describe('one undo stack per replica', () => {
  it('undo takes back the newest change, whatever its conversation', async () => {
    const sb = await offlineReplica(['c1', 'c2'])
    const inbox = sb.inbox('pn1')
    await inbox.markDone('c1')
    await inbox.markDone('c2')
    await inbox.pin('c1')
    expect(await sb.undo()).toBe(true)
    expect(state(sb, 'c1')).toEqual({ status: 'done', unread: false, pinned: false })
    expect(state(sb, 'c2')).toMatchObject({ status: 'done' })
    expect(await sb.undo()).toBe(true)
    expect(state(sb, 'c2')).toMatchObject({ status: 'open', unread: true })
    expect(await sb.undo()).toBe(true)
    expect(state(sb, 'c1')).toMatchObject({ status: 'open', unread: true })
    expect(await sb.undo()).toBe(false)
  })

  it("an inbox's undo(id) takes that conversation's newest step from the same stack", async () => {
    const sb = await offlineReplica(['c1', 'c2'])
    const inbox = sb.inbox('pn1')
    await inbox.markDone('c1')
    await inbox.markDone('c2')
    expect(await inbox.undo('c1')).toBe(true)
    expect(state(sb, 'c1')).toMatchObject({ status: 'open', unread: true })
    // The step is gone from the one stack: the replica's undo goes on to c2, then stops.
    expect(await sb.undo()).toBe(true)
    expect(state(sb, 'c2')).toMatchObject({ status: 'open', unread: true })
    expect(await sb.undo()).toBe(false)
    expect(await inbox.undo('c1')).toBe(false)
  })

  it('undoing is not itself a step: a second undo goes further back, it does not redo', async () => {
    const sb = await offlineReplica(['c1'])
    const inbox = sb.inbox('pn1')
    await inbox.markUnread('c1')
    await inbox.markDone('c1')
    expect(await sb.undo()).toBe(true)
    expect(state(sb, 'c1')).toMatchObject({ status: 'open', unread: true })
    expect(await sb.undo()).toBe(true)
    expect(await sb.undo()).toBe(false)
  })

  it('an explicit read ("Mark read") is a step: undo marks the conversation unread again', async () => {
    const sb = await offlineReplica(['c1'])
    const inbox = sb.inbox('pn1')
    await inbox.markRead('c1')
    expect(state(sb, 'c1')).toMatchObject({ status: 'open', unread: false })
    expect(await sb.undo()).toBe(true)
    expect(state(sb, 'c1')).toMatchObject({ status: 'open', unread: true })
  })

  it('the read that opening a conversation causes ({ undoable: false }) is no step', async () => {
    const sb = await offlineReplica(['c1'])
    await sb.inbox('pn1').mark('c1', 'read', { undoable: false })
    expect(state(sb, 'c1')).toMatchObject({ status: 'open', unread: false })
    expect(await sb.undo()).toBe(false)
    expect(state(sb, 'c1')).toMatchObject({ status: 'open', unread: false })
  })

  it('Done, a new SMS reopens it, opening it reads it: undo restores the state before Done, never Unread', async () => {
    const relay = await startRelay()
    cleanups.push(() => relay.stop())
    await relay.ingest(incoming('c1', 'hello'))
    const sb = await openClient(relay, 'alice@example.com')
    cleanups.push(() => sb.destroy())
    const inbox = sb.inbox('pn1')
    await until(sb, () => inbox.get('c1') !== null)
    // Opened earlier: read, and no step.
    await inbox.markRead('c1', { undoable: false })
    await inbox.markDone('c1')
    await sb.whenSynced()
    await relay.ingest(incoming('c1', 'one more thing'))
    await until(sb, () => inbox.get('c1')?.unread === true)
    expect(state(sb, 'c1')).toMatchObject({ status: 'open', unread: true })
    // Opening the thread reads it.
    await inbox.markRead('c1', { undoable: false })
    const marks = inbox.history('c1').length
    expect(await sb.undo()).toBe(true)
    // Before Done it was Open and read, which it is: nothing to write, and no Unread mark.
    expect(state(sb, 'c1')).toMatchObject({ status: 'open', unread: false })
    expect(inbox.history('c1')).toHaveLength(marks)
    expect(await sb.undo()).toBe(false)
  })

  it('the stack keeps the newest 50 steps, and forgets those of an inbox that closed', () => {
    const stack = new UndoStack()
    const step = (phoneNumberId: string, conversationId: string) => ({
      changes: [
        {
          phoneNumberId,
          conversationId,
          before: { status: 'open', unread: true, pinned: false, assignee: null } as const,
        },
      ],
    })
    for (let i = 0; i < 60; i++) stack.push(step('pn1', `c${i}`))
    expect(stack.size).toBe(50)
    expect(stack.take({ phoneNumberId: 'pn1', conversationId: 'c5' })).toBeUndefined()
    stack.push(step('pn2', 'c1'))
    expect(
      stack.take({ phoneNumberId: 'pn1', conversationId: 'c59' })?.changes[0]?.conversationId,
    ).toBe('c59')
    stack.forget('pn1')
    expect(stack.take()).toEqual(step('pn2', 'c1'))
    expect(stack.take()).toBeUndefined()
  })
})
