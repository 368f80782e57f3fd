import { describe, expect, it } from 'vitest'
import { matchRanges, snippet } from '../src/search-snippet.ts'

const marked = (segments: { text: string; mark: boolean }[]) =>
  segments.map((s) => (s.mark ? `[${s.text}]` : s.text)).join('')

describe('snippet', () => {
  it('marks words that start with a query term, on the original accented text', () => {
    expect(marked(snippet('Élodie a réservé un café', ['elo', 'cafe']))).toBe(
      '[Élo]die a réservé un [café]',
    )
    // Not inside a word: the index matches words by prefix only.
    expect(matchRanges('escape', ['cap'])).toEqual([])
  })

  it('marks digits across the punctuation of a formatted number', () => {
    expect(marked(snippet('(415) 555-0142', ['5550142']))).toBe('(415) [555-0142]')
  })

  it('cuts a long text around the first match, with ellipses', () => {
    const text = `${'lorem ipsum '.repeat(30)}the parcel arrived damaged ${'dolor sit '.repeat(30)}`
    const out = marked(snippet(text, ['damaged'], 60))
    expect(out.startsWith('…')).toBe(true)
    expect(out.endsWith('…')).toBe(true)
    expect(out).toContain('[damaged]')
    expect(out.length).toBeLessThan(70)
  })

  it('never turns text into markup: angle brackets stay text', () => {
    const segments = snippet('<img src=x onerror=alert(1)> refund', ['refund'])
    expect(segments.map((s) => s.text).join('')).toBe('<img src=x onerror=alert(1)> refund')
  })
})
