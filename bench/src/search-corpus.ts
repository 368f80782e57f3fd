/**
 * @module The text of a 100,000-conversation replica for the search benchmarks: each
 * conversation's contact name, number and last message, and the messages of the conversations
 * "downloaded" (opened once on the device). Words follow a Zipf-like law over a vocabulary of
 * common English words and made-up ones, so some query words match most messages and some few.
 */
import { createPrng } from '@switchboard/core/testing'

const prng = (seed: number) => {
  const p = createPrng(seed)
  return () => p.next()
}

export const FIRST = ['Jordan', 'Priya', 'Lucas', 'Maya', 'Omar', 'Hiro', 'Fatima', 'Noah', 'Elena']
export const LAST = ['Park', 'Silva', 'Okafor', 'Nguyen', 'Martin', 'Diaz', 'Walsh', 'Kim', 'Rossi']

const COMMON = (
  'the a to and you i is it for my on can this be with order your have we at me please ' +
  'thanks call back when will delivery refund invoice account password appointment today ' +
  'tomorrow price quote ticket issue help need still not working update payment card shipping'
).split(' ')

const SYLLABLES = ['ka', 'zo', 'ri', 'mu', 'te', 'lan', 'vor', 'pi', 'shu', 'del', 'qua', 'nex']

/** The vocabulary: common words first (most frequent), then 5,000 made-up ones. */
export function vocabulary(): string[] {
  const rand = prng(7)
  const words = new Set(COMMON)
  while (words.size < COMMON.length + 5_000) {
    let w = ''
    const n = 2 + Math.floor(rand() * 3)
    for (let i = 0; i < n; i++) w += SYLLABLES[Math.floor(rand() * SYLLABLES.length)]
    words.add(w)
  }
  return [...words]
}

export interface CorpusConversation {
  id: string
  name: string
  number: string
  preview: string
  at: number
}

export interface CorpusMessage {
  id: string
  conversationId: string
  body: string
  at: number
}

export interface Corpus {
  conversations: CorpusConversation[]
  messages: CorpusMessage[]
  vocabulary: string[]
}

/** A sentence of 6–20 words drawn by rank (rank r with weight 1/(r+1)). */
function sentence(rand: () => number, vocab: string[]): string {
  const n = 6 + Math.floor(rand() * 15)
  const words: string[] = []
  // Inverse of the harmonic CDF, approximated: rank = vocab^u - 1 gives weight ~1/(r+1).
  for (let i = 0; i < n; i++) words.push(vocab[Math.floor(vocab.length ** rand()) - 1]!)
  return words.join(' ')
}

/**
 * `conversations` conversations (ids `c-000000`…, as workload 6 seeds them) and, for the first
 * `downloaded` of them, `perConversation` messages each.
 */
export function corpus(conversations: number, downloaded: number, perConversation: number): Corpus {
  const rand = prng(42)
  const vocab = vocabulary()
  const now = Date.UTC(2026, 10, 1)
  const out: Corpus = { conversations: [], messages: [], vocabulary: vocab }
  for (let i = 0; i < conversations; i++) {
    const id = `c-${String(i).padStart(6, '0')}`
    out.conversations.push({
      id,
      name: `${FIRST[i % FIRST.length]} ${LAST[(i * 7) % LAST.length]}`,
      number: `+1415${String(2_000_000 + i).padStart(7, '0')}`,
      preview: `Hi, this is about order ${100_000 + i}: ${sentence(rand, vocab)}`,
      at: now - i * 60_000,
    })
    if (i < downloaded)
      for (let k = 0; k < perConversation; k++)
        out.messages.push({
          id: `${id}-m${k}`,
          conversationId: id,
          body: sentence(rand, vocab),
          at: now - i * 60_000 - (perConversation - k) * 3_600_000,
        })
  }
  return out
}

/**
 * The queries timed: a rare made-up word, a mid-frequency one, a common one typed as a prefix,
 * an order number, a number's digits and two words.
 */
export function queries(vocab: string[]): { label: string; query: string }[] {
  return [
    { label: 'rare word', query: vocab[vocab.length - 10]! },
    { label: 'mid word', query: vocab[COMMON.length + 200]! },
    { label: 'common prefix', query: 'ref' },
    { label: 'order number', query: '154321' },
    { label: 'number digits', query: '2054321' },
    { label: 'two words', query: `refund ${vocab[COMMON.length + 20]!}` },
  ]
}
