import * as Y from 'yjs'
import { describe, expect, it } from 'vitest'
import {
  COLD_MAX_FRAMES,
  ColdJoinCache,
  coldAnswer,
  coldFromStore,
  coldOutgrown,
  type ColdSource,
} from './cold-join-cache.ts'
import { encodeSyncStep2, encodeUpdate } from '@switchboard/protocol'
import type { BuiltSnapshot } from './storage/relay-storage.ts'

const bytes = (n: number, fill = 1) => new Uint8Array(n).fill(fill)

/** A source that counts its encodes; `offThread` builds resolve or reject when told to. */
function source(offThread = false) {
  const builds: { resolve: (b: BuiltSnapshot) => void; reject: (e: unknown) => void }[] = []
  const failures: unknown[] = []
  const state = bytes(40, 7)
  let encodes = 0
  const src: ColdSource = {
    offThread,
    encode: () => {
      encodes++
      return state
    },
    build: () => new Promise((resolve, reject) => builds.push({ resolve, reject })),
    onBuildFailed: (err) => failures.push(err),
  }
  return { src, builds, failures, state, encodes: () => encodes }
}

const framesOf = (cache: ColdJoinCache, src: ColdSource) => {
  let got: Uint8Array[] | null = null
  cache.frames(src, (frames) => (got = frames))
  return () => got
}

describe('[§4 cheap joins] a cold-join answer', () => {
  it('is a base, then the frames stored since, and is outgrown past a quarter of the base', () => {
    const cold = coldAnswer(bytes(100), [bytes(10), bytes(15)])
    expect(cold).toMatchObject({ bytes: 125, baseBytes: 100 })
    expect(cold.frames.map((f) => f.byteLength)).toEqual([100, 10, 15])
    expect(coldOutgrown(cold)).toBe(false)
    expect(coldOutgrown(coldAnswer(bytes(100), [bytes(26)]))).toBe(true)
    const many = Array.from({ length: COLD_MAX_FRAMES }, () => bytes(0))
    expect(coldOutgrown(coldAnswer(bytes(100), many))).toBe(true)
  })

  it('of a room just loaded is its stored snapshot and log, framed; none without a snapshot', () => {
    const doc = new Y.Doc()
    doc.getMap('marks').set('a', 'x'.repeat(200))
    const snapshot = Y.encodeStateAsUpdate(doc)
    const sv = Y.encodeStateVector(doc)
    doc.getMap('marks').set('b', 1)
    const update = Y.encodeStateAsUpdate(doc, sv)
    const cold = coldFromStore(snapshot, [{ data: update }])
    expect(cold?.frames).toEqual([encodeSyncStep2(snapshot), encodeUpdate(update)])
    expect(coldFromStore(null, [{ data: update }])).toBeNull()
    expect(
      coldFromStore(
        snapshot,
        Array.from({ length: 100 }, () => ({ data: update })),
      ),
    ).toBeNull()
  })
})

describe("[§4 cheap joins] a room's cold-join cache", () => {
  it('encodes a small room once, then extends that answer with each stored frame', () => {
    const { src, state, encodes } = source()
    const cache = new ColdJoinCache()
    expect(framesOf(cache, src)()).toEqual([encodeSyncStep2(state)])
    cache.stored(bytes(5))
    expect(framesOf(cache, src)()).toEqual([encodeSyncStep2(state), bytes(5)])
    expect(encodes()).toBe(1)
  })

  it('drops an outgrown answer, and encodes the state again at the next cold join', () => {
    const { src, encodes } = source()
    const cache = new ColdJoinCache(coldAnswer(bytes(100)))
    cache.stored(bytes(20))
    expect(framesOf(cache, src)()).toHaveLength(2)
    cache.stored(bytes(20))
    expect(framesOf(cache, src)()).toHaveLength(1)
    expect(encodes()).toBe(1)
  })

  it('takes a snapshot and the frames stored since it as the answer, unless outgrown', () => {
    const { src } = source()
    const cache = new ColdJoinCache()
    cache.rebase(bytes(100), [bytes(3)])
    expect(framesOf(cache, src)()).toEqual([bytes(100), bytes(3)])
    cache.rebase(bytes(100), [bytes(30)])
    expect(framesOf(cache, src)()).toHaveLength(1)
  })

  it('has a big room built once by the store for every joiner meanwhile, with what is stored then', async () => {
    const { src, builds } = source(true)
    const cache = new ColdJoinCache()
    const first = framesOf(cache, src)
    const second = framesOf(cache, src)
    cache.stored(bytes(4))
    expect(builds).toHaveLength(1)
    expect(first()).toBeNull()
    builds[0]!.resolve({ update: bytes(100, 2) })
    await Promise.resolve()
    const answer = [encodeSyncStep2(bytes(100, 2)), bytes(4)]
    expect(first()).toEqual(answer)
    expect(second()).toEqual(answer)
    expect(framesOf(cache, src)()).toEqual(answer)
  })

  it('encodes the state itself when the build fails', async () => {
    const { src, builds, failures, state } = source(true)
    const cache = new ColdJoinCache()
    const joiner = framesOf(cache, src)
    builds[0]!.reject(new Error('builder died'))
    await Promise.resolve()
    await Promise.resolve()
    expect(failures).toHaveLength(1)
    expect(joiner()).toEqual([encodeSyncStep2(state)])
  })
})
