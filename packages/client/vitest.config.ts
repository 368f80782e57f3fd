import { defineConfig } from 'vitest/config'

// Real relays, sockets and spawned processes on 2 shared cores: generous per-test timeouts, and two
// files at once because most of their time is spent waiting on sockets and child processes.
export default defineConfig({
  test: { testTimeout: 30_000, hookTimeout: 30_000, maxWorkers: 2 },
})
