import { describe, expect, it } from 'vitest'
import {
  insertMention,
  mentionCandidates,
  mentionedIds,
  mentionQuery,
  splitMentions,
} from './mentions.ts'

const members = [
  { id: 'a', name: 'Alice Liddell' },
  { id: 'b', name: 'Bob' },
  { id: 'c', name: 'Carol' },
]

describe('@mentions in internal notes', () => {
  it('finds the @query being typed before the caret', () => {
    expect(mentionQuery('hi @bo', 6)).toEqual({ start: 3, query: 'bo' })
    expect(mentionQuery('@', 1)).toEqual({ start: 0, query: '' })
    expect(mentionQuery('mail a@b', 8)).toBeNull()
    expect(mentionQuery('hi @bob there', 13)).toBeNull()
  })

  it('suggests teammates whose first or last name starts with the query', () => {
    expect(mentionCandidates(members, 'li').map((m) => m.id)).toEqual(['a'])
    expect(mentionCandidates(members, 'C').map((m) => m.id)).toEqual(['c'])
    expect(mentionCandidates(members, '')).toHaveLength(3)
  })

  it('replaces the query with the full name and moves the caret after it', () => {
    expect(insertMention('ping @bo please', 5, 8, 'Bob')).toEqual({
      text: 'ping @Bob  please',
      caret: 10,
    })
  })

  it('lists each mentioned member once, matching whole names only', () => {
    expect(mentionedIds('@Bob and @Alice Liddell, @Bob again', members).sort()).toEqual(['a', 'b'])
    expect(mentionedIds('@Bobby is not Bob', members)).toEqual([])
  })

  it('splits a note into text and highlighted mentions', () => {
    expect(splitMentions('ask @Carol now', ['Carol'])).toEqual([
      { text: 'ask ', mention: false },
      { text: '@Carol', mention: true },
      { text: ' now', mention: false },
    ])
  })
})
