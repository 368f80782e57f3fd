import {
  TextIndex,
  activityDoc,
  contactDoc,
  conversationDoc,
  type Conversation,
} from '@switchboard/core'
import { describe, expect, it } from 'vitest'
import { phoneFormat } from '../util/phone-format.svelte.ts'
import { searchResults } from './results.ts'

// A North American workspace: its numbers read nationally, "(415) 555-1530".
phoneFormat.region = '1'

function conversation(
  id: string,
  name: string | null,
  number: string,
  preview: string,
  at: number,
) {
  return {
    id,
    phoneNumberId: 'pn-support',
    participants: [number],
    contactName: name,
    status: 'open',
    unread: false,
    pinned: false,
    assignee: null,
    lastActivity: { at, preview, kind: 'message', direction: 'incoming' },
    decidedBy: null,
    statusBy: null,
    reopenedBy: null,
    createdAt: at,
  } as unknown as Conversation
}

const marked = (segments: { text: string; mark: boolean }[]) =>
  segments.map((s) => (s.mark ? `[${s.text}]` : s.text)).join('')

describe('searchResults', () => {
  const grace = conversation('c1', 'Grace Hopper', '+14155551530', 'Any news?', 2)
  const alan = conversation('c2', null, '+14155551999', 'Thanks', 1)
  const index = new TextIndex()
  index.set(conversationDoc(grace))
  index.set(conversationDoc(alan))
  index.set(
    activityDoc({
      id: 'a1',
      conversationId: 'c1',
      phoneNumberId: 'pn-support',
      direction: 'incoming',
      kind: 'message',
      from: '+14155551530',
      to: '+14155550142',
      body: 'The zephyrine valve keeps sticking',
      at: 1,
    })!,
  )
  index.set(
    contactDoc({
      number: '+14155551999',
      name: null,
      notes: 'Prefers a call after 5pm',
      tags: ['vip'],
      properties: { plan: 'Gold' },
    })!,
  )
  // A conversation of a number no longer shared: indexed, never shown.
  index.set(conversationDoc(conversation('c3', 'Zephyr Cole', '+14155550000', 'x', 3)))
  const lookups = {
    conversation: (id: string) => ({ c1: grace, c2: alan })[id] ?? null,
    conversationsOf: (number: string) => (number === '+14155551999' ? ['c2'] : []),
  }

  it('shows a message match with its label and the typed part marked', () => {
    const [r, ...rest] = searchResults(index, 'zephyr', lookups)
    expect(rest).toEqual([])
    expect(r!.conversation.id).toBe('c1')
    expect(r!.label).toBe('Message')
    expect(marked(r!.snippet)).toBe('The [zephyr]ine valve keeps sticking')
    expect(r!.number).toBe('(415) 555-1530')
  })

  it("opens a contact's conversations for a match in its notes, tags or properties", () => {
    const notes = searchResults(index, '5pm', lookups)
    expect(notes.map((r) => [r.conversation.id, r.label])).toEqual([['c2', 'Contact notes']])
    expect(searchResults(index, 'vip', lookups)[0]?.label).toBe('Tags')
    expect(searchResults(index, 'gold', lookups)[0]?.label).toBe('Properties')
    // Named by its formatted number, where the digits typed are marked.
    expect(marked(searchResults(index, '1999', lookups)[0]!.title)).toBe('(415) 555-[1999]')
  })

  it('[C7] titles a result by the team’s name for the contact, the typed part marked', () => {
    const named = {
      ...lookups,
      contactName: (c: Conversation) => (c.id === 'c2' ? 'Alan Turing' : null),
    }
    const [r] = searchResults(index, 'vip', named)
    expect(marked(r!.title)).toBe('Alan Turing')
    expect(r!.number).toBe('(415) 555-1999')
    const [g] = searchResults(index, 'zephyr', named)
    expect(marked(g!.title)).toBe('Grace Hopper')
    // Found by the new name: the index holds it (the contact's document) and the title marks it.
    index.set(
      contactDoc({
        number: '+14155551999',
        name: 'Alan Turing',
        notes: '',
        tags: [],
        properties: {},
      })!,
    )
    const [t] = searchResults(index, 'turing', named)
    expect(t!.conversation.id).toBe('c2')
    expect(marked(t!.title)).toBe('Alan [Turing]')
  })

  it('ranks a name above a message', () => {
    index.set(conversationDoc(conversation('c4', 'Valve Corp', '+14155550004', 'hello', 0)))
    const ids = searchResults(index, 'valve', {
      ...lookups,
      conversation: (id) =>
        id === 'c4'
          ? conversation('c4', 'Valve Corp', '+14155550004', 'hello', 0)
          : lookups.conversation(id),
    }).map((r) => r.conversation.id)
    expect(ids).toEqual(['c4', 'c1'])
  })
})
