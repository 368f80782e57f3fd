import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import {
  CloseCode,
  closeCodes,
  Reaction,
  ReactionGroup,
  reactions,
  reactionTo,
} from './close-code.ts'

const codes = Object.values(CloseCode)

/** The rows of docs/protocol.md's close-code table: code, meaning, client reaction. */
function documentedTable(): string[][] {
  const doc = readFileSync(new URL('../../../docs/protocol.md', import.meta.url), 'utf8')
  const start = doc.indexOf('Close codes, grouped by how the client reacts')
  expect(start, 'the close-code table in docs/protocol.md').toBeGreaterThan(-1)
  const rows: string[][] = []
  for (const line of doc.slice(start).split('\n').slice(1)) {
    if (!line.trim()) {
      if (rows.length) break
      continue
    }
    rows.push(
      line
        .split('|')
        .slice(1, -1)
        .map((cell) => cell.trim()),
    )
  }
  return rows.slice(2) // the header and its rule
}

describe('close codes, grouped by how the client reacts', () => {
  it('every close code has a meaning and a reaction, and every reaction a group', () => {
    for (const code of codes) {
      expect(closeCodes[code].meaning, `${code}`).not.toBe('')
      expect(Object.values(Reaction), `${code}`).toContain(closeCodes[code].reaction)
    }
    expect(Object.keys(closeCodes).map(Number).sort()).toEqual([...codes].sort())
    for (const reaction of Object.values(Reaction))
      expect(Object.values(ReactionGroup)).toContain(reactions[reaction].group)
  })

  it('each group is reached by some code, so none is dead', () => {
    const reached = new Set(codes.map((c) => reactions[closeCodes[c].reaction].group))
    expect([...reached].sort()).toEqual(Object.values(ReactionGroup).sort())
  })

  it('the relay’s own codes are in 4000–4999; only going-away and restart use the standard ones', () => {
    const standard = codes.filter((c) => c < 4000 || c > 4999)
    expect(standard.sort()).toEqual([CloseCode.GoingAway, CloseCode.Reloading])
  })

  it('every code a client retries is outside 4400–4499, which y-websocket 3 takes as permanent (it stops reconnecting)', () => {
    for (const code of codes)
      if (reactions[closeCodes[code].reaction].group === ReactionGroup.Retry)
        expect(code >= 4400 && code < 4500, `${code}`).toBe(false)
  })

  it('a code the relay never sends (1006: the network dropped) is retried with backoff', () => {
    expect(reactionTo(1006)).toBe(Reaction.Retry)
    expect(reactionTo(1000)).toBe(Reaction.Retry)
    for (const code of codes) expect(reactionTo(code)).toBe(closeCodes[code].reaction)
  })

  it('docs/protocol.md’s table says what closeCodes says, code for code', () => {
    const documented = documentedTable().sort((a, b) => Number(a[0]) - Number(b[0]))
    const table = [...codes]
      .sort((a, b) => a - b)
      .map((c) => [String(c), closeCodes[c].meaning, reactions[closeCodes[c].reaction].does])
    expect(documented).toEqual(table)
  })
})
