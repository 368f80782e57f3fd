import { describe, expect, it } from 'vitest'
import { formatFuzzFailure, runFuzz } from '../src/testing/index.ts'

/**
 * Seeds that once failed, pinned forever. Each names what it caught.
 * 79, 136, 150, 168, 176: a Read by an author who had not seen the latest incoming activity won
 * the flag lane after a Done by one who had, leaving the conversation Done + Unread with
 * `reopenedBy` set (P3, [M4]); fixed in derive.ts.
 */
const PINNED = [79, 136, 150, 168, 176]

describe('[M7] pinned fuzz regressions', () => {
  it.each(PINNED)('[M4][M7] seed %i converges on the oracle', (seed) => {
    const result = runFuzz({ seed, replicas: 5, operations: 300 })
    expect(result.divergences, formatFuzzFailure(result)).toEqual([])
  })
})
