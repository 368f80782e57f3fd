import { defineConfig } from 'vitest/config'

// Real relays, sockets and spawned processes on 2 shared cores: generous per-test timeouts.
export default defineConfig({
  test: { testTimeout: 30_000, hookTimeout: 30_000 },
})
