import { defineConfig } from 'vitest/config'

// Files whose assertions say nothing about time run two at a time first; the rest measure
// deadlines, rates or tails (a close within 1 s, convergence within 10 s of a kill, the event
// loop's delay under attack) and run one at a time afterwards, alone on the 2 shared cores.
const sideBySide = [
  'src/attacks.test.ts',
  'src/clocks.test.ts',
  'src/convergence.test.ts',
  'src/durability.test.ts',
  'src/storage-faults.test.ts',
]

export default defineConfig({
  test: {
    testTimeout: 600_000,
    hookTimeout: 60_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'side-by-side',
          include: sideBySide,
          maxWorkers: 2,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'one-at-a-time',
          include: ['src/**/*.test.ts'],
          exclude: sideBySide,
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
})
