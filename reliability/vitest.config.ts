import { defineConfig } from 'vitest/config'

// Real relays, sockets and child processes on 2 shared cores: one file at a time, long timeouts.
export default defineConfig({
  test: {
    testTimeout: 600_000,
    hookTimeout: 60_000,
    fileParallelism: false,
    include: ['src/**/*.test.ts'],
  },
})
