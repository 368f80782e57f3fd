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
  test: { include: ['src/**/*.test.ts'], environment: 'node' },
})
