import { describe, expect, it } from 'vitest'
import { relayUrls, type RelayStorage } from './relays.ts'

function memory(): RelayStorage & { map: Map<string, string> } {
  const map = new Map<string, string>()
  return { map, getItem: (k) => map.get(k) ?? null, setItem: (k, v) => void map.set(k, v) }
}

const answering =
  (relays: unknown): typeof fetch =>
  () =>
    Promise.resolve(new Response(JSON.stringify({ relays }), { status: 200 }))
const unreachable: typeof fetch = () => Promise.reject(new TypeError('fetch failed'))

describe("the page's relays", () => {
  it("this page's relay first, then the others the relay lists, each once", async () => {
    const s = memory()
    const relays = ['https://a.example', 'https://b.example/', 'https://c.example']
    expect(await relayUrls('https://b.example', s, answering(relays))).toEqual([
      'https://b.example',
      'https://a.example',
      'https://c.example',
    ])
  })

  it("a lone relay (an empty list) or an unreachable one: only the page's own", async () => {
    expect(await relayUrls('https://a.example', memory(), answering([]))).toEqual([
      'https://a.example',
    ])
    expect(await relayUrls('https://a.example', memory(), unreachable)).toEqual([
      'https://a.example',
    ])
  })

  it('the list is kept: a page started while its relay is down still knows the others', async () => {
    const s = memory()
    await relayUrls('https://a.example', s, answering(['https://a.example', 'https://b.example']))
    expect(await relayUrls('https://a.example', s, unreachable)).toEqual([
      'https://a.example',
      'https://b.example',
    ])
  })

  it('entries that are not http(s) URLs are dropped', async () => {
    const listed = ['javascript:alert(1)', 42, 'https://b.example', 'ws://c.example']
    expect(await relayUrls('https://a.example', memory(), answering(listed))).toEqual([
      'https://a.example',
      'https://b.example',
    ])
  })
})
