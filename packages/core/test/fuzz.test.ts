import { describe, expect, it } from 'vitest'
import { formatFuzzFailure, runFuzz } from '../src/testing/index.ts'

const SEEDS = Number(process.env.FUZZ_RUNS ?? 200)
const FIRST_SEED = Number(process.env.FUZZ_SEED ?? 1)
const OPERATIONS = 300
const REPLICAS = 5

describe('[M7] seeded convergence fuzz', () => {
  it(`[M7] ${SEEDS} seeds × ${OPERATIONS} ops on ${REPLICAS} devices + relay converge on each other and the oracle`, () => {
    const started = performance.now()
    let seeds = 0
    let marks = 0
    let activities = 0
    let failure: string | null = null
    for (let seed = FIRST_SEED; seed < FIRST_SEED + SEEDS && !failure; seed++) {
      const result = runFuzz({ seed, replicas: REPLICAS, operations: OPERATIONS })
      seeds++
      marks += result.marks
      activities += result.activities
      if (result.divergences.length) failure = formatFuzzFailure(result)
    }
    const seconds = ((performance.now() - started) / 1000).toFixed(1)
    console.log(
      `fuzz: ${seeds} seeds × ${OPERATIONS} ops = ${seeds * OPERATIONS} ops (${marks} lane writes, ${activities} ingests), ${REPLICAS} devices + relay, ${seconds} s`,
    )
    expect(failure, failure ?? '').toBeNull()
  })
})

const EPOCH_SEEDS = Number(process.env.FUZZ_EPOCH_RUNS ?? 100)

describe('[E3] seeded convergence fuzz across epochs', () => {
  it(`[E3, M7] ${EPOCH_SEEDS} seeds × ${OPERATIONS} ops with epoch changes at random points converge on the oracle, no history lost or doubled`, () => {
    let failure: string | null = null
    let epochs = 0
    for (let seed = FIRST_SEED; seed < FIRST_SEED + EPOCH_SEEDS && !failure; seed++) {
      const result = runFuzz({
        seed,
        replicas: REPLICAS,
        operations: OPERATIONS,
        epochChance: 0.02,
      })
      epochs += result.epochs
      if (result.divergences.length) failure = formatFuzzFailure(result)
    }
    console.log(`fuzz with epochs: ${EPOCH_SEEDS} seeds, ${epochs} epoch changes`)
    expect(failure, failure ?? '').toBeNull()
    expect(epochs).toBeGreaterThan(EPOCH_SEEDS)
  })
})
