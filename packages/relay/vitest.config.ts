import { defineConfig } from 'vitest/config'

export default defineConfig({
  // Most files wait on sockets, timers and PostgreSQL, so two at once on 2 cores cut the wall time.
  test: {
    maxWorkers: 2,
    globalSetup: ['./src/testing/postgres-global-setup.ts'],
  },
})
