/**
 * [W11] A webhook's answer does not wait for a room's backlog (scale/inbound-backlog.ts): a relay
 * that takes over a dead owner's room finds the rows it left waiting, and the webhooks arriving
 * meanwhile are answered once their own rows are durable in the queue, not after the backlog is
 * applied; every row is still applied, in arrival order. The queue's store is in memory here (the
 * order of events is what is checked; `inbound-queue.test.ts` runs the real one on PostgreSQL).
 */
import { listActivities, readActivityLog, type Activity } from '@switchboard/core'
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import type { InboundStore } from '../storage/inbound-store.ts'
import { incoming } from '../test-helpers.ts'
import { createInboundQueue } from './inbound-queue.ts'

/** The inbound queue's store in memory, as PostgreSQL keeps it; no room has a live owner. */
function memoryInbound(): InboundStore {
  let seq = 0
  const rows: { id: number; eventId: string; room: string; payload: string; done: boolean }[] = []
  return {
    async enqueue(items) {
      const fresh = new Set<string>()
      for (const item of items)
        for (const room of item.rooms) {
          if (rows.some((r) => r.eventId === item.eventId && r.room === room)) continue
          rows.push({ id: ++seq, eventId: item.eventId, room, payload: item.payload, done: false })
          fresh.add(item.eventId)
        }
      return fresh
    },
    async pending(room, limit) {
      return rows
        .filter((r) => r.room === room && !r.done)
        .slice(0, limit)
        .map((r) => ({ id: String(r.id), eventId: r.eventId, payload: r.payload }))
    },
    async markDone(ids) {
      for (const r of rows) if (ids.includes(String(r.id))) r.done = true
    },
    liveOwner: async () => null,
    waiting: async () => [],
    notify() {},
    listen: async () => async () => {},
    prune: async () => 0,
    close: async () => {},
  }
}

/** A queue over `store` whose room writes each take a turn; `events` notes what happened when. */
function queueOver(store: InboundStore) {
  const docs = new Map<string, Y.Doc>()
  const events: string[] = []
  const recorded = new Set<string>()
  const queue = createInboundQueue({
    store,
    storage: {
      hasActivity: (id) => recorded.has(id),
      recordActivity: (id) => !recorded.has(id) && !!recorded.add(id),
      setConversationPhoneNumber: () => {},
    },
    async writeRoom(name, fn) {
      let doc = docs.get(name)
      if (!doc) docs.set(name, (doc = new Y.Doc()))
      fn(doc)
      // A durable append takes a while: other work runs meanwhile.
      await new Promise((resolve) => setImmediate(resolve))
      events.push(`write ${name}`)
    },
    log: () => {},
  })
  const ids = (room: string) => {
    const doc = docs.get(room) ?? new Y.Doc()
    return (room.startsWith('inbox:') ? readActivityLog(doc) : listActivities(doc)).map((e) => e.id)
  }
  return { queue, events, ids }
}

const row = (a: Activity, room: string) => ({
  provider: 'generic',
  eventId: a.id,
  payload: JSON.stringify(a),
  rooms: [room],
})

describe('[W11] a room taken over with a backlog', () => {
  it('[W11] a webhook for a room with a dead owner’s backlog is answered queued before the backlog is applied; every row is applied, in order', async () => {
    const store = memoryInbound()
    // What the dead owner left waiting in the number's inbox: four writes' worth.
    const backlog = Array.from({ length: 100 }, () => incoming('c-old', 'pn-t'))
    await store.enqueue(backlog.map((a) => row(a, 'inbox:pn-t')))
    const { queue, events, ids } = queueOver(store)

    const fresh = incoming('c-new', 'pn-t')
    const answer = await queue.ingest(fresh).then((result) => {
      events.push('answered')
      return result
    })
    expect(answer).toMatchObject({ duplicate: false, queued: true })
    await queue.stop()

    const inboxWrites = events.filter((e) => e === 'write inbox:pn-t').length
    expect(inboxWrites, events.join(', ')).toBe(4)
    // The answer came before the backlog's last write (it waited for its conversation only).
    expect(events.indexOf('answered'), events.join(', ')).toBeLessThan(
      events.lastIndexOf('write inbox:pn-t'),
    )
    expect(ids('inbox:pn-t')).toEqual([...backlog, fresh].map((a) => a.id))
    expect(ids('conversation:c-new')).toEqual([fresh.id])
  })

  it('[W6][W11] a room that keeps up (no more rows than one write) is still applied before the answer', async () => {
    const store = memoryInbound()
    const waiting = Array.from({ length: 5 }, () => incoming('c-old', 'pn-t'))
    await store.enqueue(waiting.map((a) => row(a, 'inbox:pn-t')))
    const { queue, ids } = queueOver(store)

    const fresh = incoming('c-new', 'pn-t')
    const answer = await queue.ingest(fresh)
    expect(answer).toMatchObject({ created: true, duplicate: false })
    expect(answer.queued).toBeUndefined()
    // Both rooms hold it when the answer comes.
    expect(ids('inbox:pn-t')).toEqual([...waiting, fresh].map((a) => a.id))
    expect(ids('conversation:c-new')).toEqual([fresh.id])
    await queue.stop()
  })
})
