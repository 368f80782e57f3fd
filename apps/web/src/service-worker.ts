/// <reference types="@sveltejs/kit" />
/// <reference no-default-lib="true"/>
/// <reference lib="esnext" />
/// <reference lib="webworker" />
/**
 * @module Offline app shell: the build's assets are cached at install, so a reload without a
 * network still starts the app; the data comes from IndexedDB, never from this cache.
 */
import { build, files, version } from '$service-worker'

const sw = self as unknown as ServiceWorkerGlobalScope
const CACHE = `switchboard-shell-${version}`
/** '/' is the SPA's index.html (adapter-static fallback); every navigation falls back to it. */
const SHELL = '/'
const ASSETS = new Set([...build, ...files])

sw.addEventListener('install', (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE)
      await cache.addAll([SHELL, ...ASSETS])
      await sw.skipWaiting()
    })(),
  )
})

sw.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      for (const key of await caches.keys()) if (key !== CACHE) await caches.delete(key)
      await sw.clients.claim()
    })(),
  )
})

sw.addEventListener('fetch', (event) => {
  const request = event.request
  if (request.method !== 'GET') return
  const url = new URL(request.url)
  if (url.origin !== sw.location.origin) return
  if (url.pathname.startsWith('/api/') || url.pathname.startsWith('/sync/')) return
  if (url.pathname === '/healthz' || url.pathname === '/metrics') return

  if (request.mode === 'navigate') {
    // Network first so a new deploy is picked up; the cached shell when offline.
    event.respondWith(
      (async () => {
        try {
          const response = await fetch(request)
          if (response.ok) {
            const cache = await caches.open(CACHE)
            void cache.put(SHELL, response.clone())
            return response
          }
          return (await caches.match(SHELL)) ?? response
        } catch {
          const cached = await caches.match(SHELL)
          if (cached) return cached
          return new Response('Offline', { status: 503, headers: { 'content-type': 'text/plain' } })
        }
      })(),
    )
    return
  }

  if (ASSETS.has(url.pathname)) {
    // Hashed build output and static files never change within a version: cache first.
    event.respondWith((async () => (await caches.match(url.pathname)) ?? fetch(request))())
    return
  }

  event.respondWith(
    (async () => {
      try {
        return await fetch(request)
      } catch {
        const cached = await caches.match(request)
        if (cached) return cached
        throw new Error(`offline and not cached: ${url.pathname}`)
      }
    })(),
  )
})
