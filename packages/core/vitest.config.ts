import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    // Vitest's default on 2 cores is one worker; the two fuzz files are each a core's work.
    maxWorkers: 2,
  },
})
