/**
 * @module From the index's hits to the results a person reads: one per conversation, ranked, its
 * name and the matching text cut into marked segments. A contact's hit stands for each of its
 * conversations; a hit on a conversation this replica no longer has (a revoked number) is dropped.
 */
import {
  CONTACT_GROUP,
  SearchDocKind,
  SearchWeight,
  fieldLabel,
  searchDocKindOf,
  matchRanges,
  queryTerms,
  snippet,
  type Conversation,
  type GroupHit,
  type IndexedField,
  type Segment,
  type TextIndex,
} from '@switchboard/core'
import { formatPhoneNumber } from '../util/phone-number.ts'

export interface SearchResult {
  conversation: Conversation
  /** The contact's name, else the formatted number, with the matching words marked. */
  title: Segment[]
  /** The contact's number, formatted; null when the title is that number already. */
  number: string | null
  /** Where the snippet comes from: "Message", "Internal note", "Contact notes", … */
  label: string
  snippet: Segment[]
  score: number
}

export interface ResultLookups {
  conversation(id: string): Conversation | null
  /** The conversations (ids) whose outside contact is this number. */
  conversationsOf(number: string): Iterable<string>
  /** The team's name for a conversation's contact [C7]; null (or absent) when none. */
  contactName?(c: Conversation): string | null
}

/** The ranked results of `query`, at most `limit`. */
export function searchResults(
  index: TextIndex,
  query: string,
  lookups: ResultLookups,
  limit = 50,
): SearchResult[] {
  const terms = queryTerms(query)
  if (terms.length === 0) return []
  // Contacts expand to conversations and unknown ones drop out: ask for more than shown.
  const hits = index.search(query, limit * 2)
  const best = new Map<string, { conversation: Conversation; hit: GroupHit }>()
  const consider = (id: string, hit: GroupHit) => {
    const conversation = lookups.conversation(id)
    if (!conversation) return
    const seen = best.get(id)
    if (!seen || hit.score > seen.hit.score) best.set(id, { conversation, hit })
  }
  for (const hit of hits) {
    if (hit.group.startsWith(CONTACT_GROUP))
      for (const id of lookups.conversationsOf(hit.group.slice(CONTACT_GROUP.length)))
        consider(id, hit)
    else consider(hit.group, hit)
  }
  return [...best.values()]
    .sort(
      (a, b) =>
        b.hit.score - a.hit.score ||
        recency(b.conversation) - recency(a.conversation) ||
        (a.conversation.id < b.conversation.id ? -1 : 1),
    )
    .slice(0, limit)
    .map(({ conversation, hit }) =>
      present(index, conversation, lookups.contactName?.(conversation) ?? null, hit, terms),
    )
}

function recency(c: Conversation): number {
  return c.lastActivity?.at ?? c.createdAt
}

function present(
  index: TextIndex,
  conversation: Conversation,
  teamName: string | null,
  hit: GroupHit,
  terms: string[],
): SearchResult {
  const number = conversation.participants[0] ?? null
  const named = teamName || conversation.contactName
  const name = named || (number ? formatPhoneNumber(number) : 'Unknown number')
  const title = mark(name, terms)
  const kind = searchDocKindOf(hit.doc)
  const fields = index.fields(hit.doc) ?? []
  // The title shows the name and the number: the snippet shows the text that matched besides.
  const shown = (f: IndexedField) =>
    kind === SearchDocKind.Conversation &&
    (f.weight === SearchWeight.Name || f.weight === SearchWeight.Number)
  const matching = fields
    .filter((f) => !shown(f) && matchRanges(f.text, terms).length > 0)
    .sort((a, b) => b.weight - a.weight)[0]
  const field =
    matching ??
    (kind === SearchDocKind.Conversation
      ? fields.find((f) => f.weight === SearchWeight.Preview)
      : undefined) ??
    fields.find((f) => !shown(f))
  return {
    conversation,
    title,
    number: named && number ? formatPhoneNumber(number) : null,
    label: field ? fieldLabel(kind, field.weight) : '',
    snippet: field ? snippet(field.text, terms) : [],
    score: hit.score,
  }
}

/** A short text with the query's words marked. */
export function mark(text: string, terms: readonly string[]): Segment[] {
  return snippet(text, terms, Number.MAX_SAFE_INTEGER)
}
