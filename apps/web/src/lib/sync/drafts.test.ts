import { describe, expect, it } from 'vitest'
import { eraseDrafts, readDraft, saveDraft, type DraftStorage } from './drafts.ts'

/** A Storage over a Map, as localStorage behaves. */
function memory(): DraftStorage & { map: Map<string, string> } {
  const map = new Map<string, string>()
  return {
    map,
    getItem: (k) => map.get(k) ?? null,
    setItem: (k, v) => void map.set(k, v),
    removeItem: (k) => void map.delete(k),
    key: (i) => [...map.keys()][i] ?? null,
    get length() {
      return map.size
    },
  }
}

describe('drafts', () => {
  it('are kept per member and conversation, and removed once empty (sent)', () => {
    const s = memory()
    saveDraft('alice', 'c1', { reply: 'On my way', note: '' }, s)
    saveDraft('alice', 'c2', { reply: '', note: 'ask @Bob' }, s)
    expect(readDraft('alice', 'c1', s)).toEqual({ reply: 'On my way', note: '' })
    expect(readDraft('alice', 'c2', s)).toEqual({ reply: '', note: 'ask @Bob' })
    // Another member signing in on this browser never sees Alice's drafts.
    expect(readDraft('bob', 'c1', s)).toEqual({ reply: '', note: '' })
    saveDraft('alice', 'c1', { reply: '  ', note: '' }, s)
    expect(s.map.has('switchboard:draft:alice:c1')).toBe(false)
  })

  it('read as empty when storage holds garbage or is unavailable, and erase all at once', () => {
    const s = memory()
    s.setItem('switchboard:draft:alice:c1', '{not json')
    expect(readDraft('alice', 'c1', s)).toEqual({ reply: '', note: '' })
    expect(readDraft('alice', 'c1', null)).toEqual({ reply: '', note: '' })
    saveDraft('alice', 'c2', { reply: 'x', note: '' }, s)
    saveDraft('bob', 'c3', { reply: 'y', note: '' }, s)
    s.setItem('switchboard:session', 'kept')
    eraseDrafts(s)
    expect([...s.map.keys()]).toEqual(['switchboard:session'])
  })
})
