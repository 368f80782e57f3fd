import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import {
  admitUpdate,
  callDetailsOf,
  callDetailsRoot,
  MAX_CALL_DETAILS_CHARS,
  parseRoom,
  setCallDetails,
  validateUpdate,
  type Room,
} from '../src/index.ts'
import { rootValues } from '../src/testing/index.ts'
import { craftUpdate } from '../src/testing/craft.ts'
import { T0 } from './helpers.ts'

const ctx = (memberId: string) => ({
  room: parseRoom('conversation:c1') as Room,
  memberId,
  now: T0,
  maxDrift: 60_000,
})

describe('[W10] a call’s summary, next steps and transcript', () => {
  it('[W10] each event fills its own fields beside the call; a repeat writes nothing', () => {
    const doc = new Y.Doc()
    const updates: Uint8Array[] = []
    doc.on('update', (u: Uint8Array) => updates.push(u))
    expect(callDetailsOf(doc, 'quo-call-AC1')).toBeNull()
    expect(
      setCallDetails(doc, 'quo-call-AC1', { summary: ['Asked'], nextSteps: ['Call'] }, T0),
    ).toBe(true)
    const transcript = [{ speaker: '+15555550100', text: 'Hello' }]
    expect(setCallDetails(doc, 'quo-call-AC1', { transcript }, T0 + 1)).toBe(true)
    expect(callDetailsOf(doc, 'quo-call-AC1')).toEqual({
      summary: ['Asked'],
      nextSteps: ['Call'],
      transcript,
      at: T0 + 1,
    })
    const before = updates.length
    expect(setCallDetails(doc, 'quo-call-AC1', { transcript }, T0 + 2)).toBe(false)
    expect(setCallDetails(doc, 'quo-call-AC1', { summary: ['Asked'] }, T0 + 3)).toBe(false)
    expect(updates.length).toBe(before)
  })

  it('[W10] are bounded: lines and the whole are cut, and say so', () => {
    const doc = new Y.Doc()
    const long = 'x'.repeat(10_000)
    const transcript = Array.from({ length: 40 }, (_, i) => ({ speaker: `s${i}`, text: long }))
    setCallDetails(doc, 'quo-call-AC2', { summary: [long], transcript }, T0)
    const d = callDetailsOf(doc, 'quo-call-AC2')!
    expect(d.truncated).toBe(true)
    expect(d.summary![0]!.length).toBe(4_000)
    const chars = [...d.summary!, ...d.transcript!.map((t) => t.text)].join('').length
    expect(chars).toBe(MAX_CALL_DETAILS_CHARS)
  })

  it('[W10][M8] a member’s update that writes call details is refused: only the relay writes them', () => {
    const relay = new Y.Doc()
    const replica = new Y.Doc()
    const updates: Uint8Array[] = []
    replica.on('update', (u: Uint8Array) => updates.push(u))
    setCallDetails(replica, 'quo-call-AC1', { summary: ['Forged'] }, T0)
    expect(validateUpdate(relay, Y.mergeUpdates(updates), ctx('alice'))).toMatchObject({
      ok: false,
      code: 'forbidden',
    })
  })

  it('[W10][M8] a hand-built update cannot erase or overwrite the relay’s call details', () => {
    const doc = new Y.Doc()
    setCallDetails(doc, 'quo-call-AC1', { summary: ['Real'] }, T0)
    const before = rootValues(doc)
    const item = callDetailsRoot(doc)._map.get('quo-call-AC1')!
    const erase = craftUpdate([
      { client: 900_002, clock: 0, origin: item.lastId, content: { deleted: 1 } },
    ])
    expect(admitUpdate(doc, erase, ctx('carol'))).toMatchObject({ ok: false, code: 'forbidden' })
    const forged = craftUpdate([
      {
        client: 900_002,
        clock: 0,
        origin: item.lastId,
        content: { any: [{ summary: ['Forged'], at: T0 }] },
      },
    ])
    expect(admitUpdate(doc, forged, ctx('carol')).ok).toBe(false)
    expect(rootValues(doc)).toEqual(before)
  })
})
