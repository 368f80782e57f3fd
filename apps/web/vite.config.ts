import { sveltekit } from '@sveltejs/kit/vite'
import { defineConfig } from 'vitest/config'

const relay = process.env.SWITCHBOARD_RELAY ?? 'http://127.0.0.1:8787'

export default defineConfig({
  plugins: [sveltekit()],
  server: {
    proxy: {
      '/api': relay,
      '/sync': { target: relay.replace(/^http/, 'ws'), ws: true },
    },
  },
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'web',
          include: ['src/**/*.test.ts'],
          exclude: ['src/**/*.svelte.test.ts'],
          environment: 'node',
        },
      },
      {
        // Tests of runes: Svelte's browser build, where `$effect` and `$derived` run as in the app.
        extends: true,
        resolve: { conditions: ['browser'] },
        test: {
          name: 'runes',
          include: ['src/**/*.svelte.test.ts'],
          environment: './src/lib/testing/client-environment.ts',
          server: { deps: { inline: ['svelte'] } },
        },
      },
    ],
  },
})
