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
    // No inline script but kit's own bootstrap, allowed by its hash in a <meta> CSP; the relay
    // sends the full policy (frame-ancestors included) as a header with the same hash.
    csp: {
      mode: 'hash',
      directives: {
        'script-src': ['self'],
        'object-src': ['none'],
        'base-uri': ['self'],
      },
    },
  },
}

export default config
