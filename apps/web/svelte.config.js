// @ts-check
import adapter from '@sveltejs/adapter-static'
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte'

/** @type {import('@sveltejs/kit').Config} */
const config = {
  preprocess: vitePreprocess(),
  kit: {
    // A single-page app: the relay serves build/ and answers unknown paths with index.html.
    adapter: adapter({ fallback: 'index.html', strict: false }),
    serviceWorker: { register: true },
  },
}

export default config
