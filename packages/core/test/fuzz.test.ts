import { describe, expect, it } from 'vitest'
import { formatFuzzFailure, runFuzz } from '../src/testing/index.ts'

const SEEDS = Number(process.env.FUZZ_RUNS ?? 200)
const OPERATIONS = 300
const REPLICAS = 5

describe('[M7] seeded convergence fuzz', () => {
  it(`[M7] ${SEEDS} seeds × ${OPERATIONS} ops on ${REPLICAS} devices + relay converge on the oracle`, () => {
    const started = performance.now()
    let ops = 0
    let marks = 0
    let activities = 0
    const failures: string[] = []
    for (let seed = 1; seed <= SEEDS; seed++) {
      const result = runFuzz({ seed, replicas: REPLICAS, operations: OPERATIONS })
      ops += OPERATIONS
      marks += result.marks
      activities += result.activities
      if (result.divergences.length) failures.push(formatFuzzFailure(result))
      if (failures.length >= 1) break
    }
    const seconds = ((performance.now() - started) / 1000).toFixed(1)
    console.log(
      `fuzz: ${SEEDS} seeds × ${OPERATIONS} ops (${ops} ops, ${marks} lane writes, ${activities} ingests) on ${REPLICAS} devices + relay in ${seconds} s`,
    )
    expect(failures, failures[0]).toEqual([])
  })
})
