/**
 * @module A Vitest environment for tests of runes (`*.svelte.test.ts`): Node's globals, with
 * modules compiled and resolved for the browser, so `$effect` and `$derived` run as in the app
 * (the default Node environment gets Svelte's server build, where effects never run). The `runes`
 * project of vite.config.ts runs `*.svelte.test.ts` in it.
 */
import type { Environment } from 'vitest/environments'

const environment: Environment = {
  name: 'svelte-client',
  viteEnvironment: 'client',
  setup: () => ({ teardown: () => {} }),
}

export default environment
