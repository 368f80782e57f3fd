import { cpSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer, type Server, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { createSwitchboard, type Switchboard } from './node.ts'
import { serveRelay } from '../test/relay.ts'
import {
  incoming,
  login,
  openClient,
  startRelay,
  startRelayProcess,
  until,
  type TestRelay,
} from '../test/harness.ts'

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

/** A port nothing listens on: connections to it are refused. */
async function deadPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

/** A server that accepts connections and never answers: a socket to it never opens. */
async function silentServer(): Promise<{ url: string; server: Server }> {
  const held: Socket[] = []
  const server = createServer((socket) => held.push(socket))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const s of held) s.destroy()
        server.close(() => resolve())
      }),
  )
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, server }
}

async function relayWith(...ids: string[]): Promise<TestRelay> {
  const relay = await startRelay()
  cleanups.push(() => relay.stop())
  for (const id of ids) await relay.ingest(incoming(id, `hello from ${id}`))
  return relay
}

type Login = Awaited<ReturnType<typeof login>>

/** Alice's replica over `urls` with a session from `signIn` (a login at one of the relays). */
async function alice(
  urls: string[],
  signIn: string | Login,
  more: Partial<Parameters<typeof createSwitchboard>[0]> = {},
): Promise<Switchboard> {
  const session = typeof signIn === 'string' ? await login(signIn, 'alice@example.com') : signIn
  const sb = createSwitchboard({
    urls,
    token: session.token,
    refreshToken: session.refreshToken,
    expiresAt: session.expiresAt,
    storage: 'memory',
    deviceId: 'laptop',
    ...more,
  })
  cleanups.push(() => sb.destroy())
  await sb.whenLoaded
  return sb
}

/**
 * Relays A and B over copies of one store, as relays sharing one store would be (the same
 * secret, members and sessions): Alice signs in at A before the copy, so B knows her session.
 */
async function twoRelays(...ids: string[]) {
  return twoRelaysFrom(await relayWith(...ids))
}

async function twoRelaysFrom(a: TestRelay) {
  const session = await login(a.url, 'alice@example.com')
  await a.kill()
  const copy = mkdtempSync(join(tmpdir(), 'sb-relay-b-'))
  cpSync(a.dataDir, copy, { recursive: true })
  await a.restart()
  const b = await serveRelay(copy, 0)
  cleanups.push(async () => {
    await b.close().catch(() => {})
    rmSync(copy, { recursive: true, force: true })
  })
  return { a, b: { url: `http://127.0.0.1:${b.port}` }, session }
}

/** Open sockets on a relay, from its /healthz. */
async function connections(relay: { url: string }): Promise<number> {
  const res = await fetch(relay.url + '/healthz')
  return ((await res.json()) as { connections: number }).connections
}

async function eventually(check: () => Promise<boolean>): Promise<void> {
  while (!(await check())) await new Promise((r) => setTimeout(r, 20))
}

describe('a replica given several relays', () => {
  it('skips a relay that refuses connections: signs in, syncs and has its marks acknowledged', async () => {
    const live = await relayWith('c1')
    const dead = `http://127.0.0.1:${await deadPort()}`
    const sb = await alice([dead, live.url], live.url, {})
    await until(sb, () => sb.member?.id === 'alice' && sb.inbox('pn1').get('c1') !== null)
    await sb.whenSynced()
    expect(sb.relay).toBe(live.url)
    await sb.inbox('pn1').markDone('c1')
    expect(sb.pending).toBeGreaterThan(0)
    await sb.whenSynced()
    expect(sb.pending).toBe(0)
    const bob = await openClient(live, 'bob@example.com')
    cleanups.push(() => bob.destroy())
    await until(bob, () => bob.inbox('pn1').get('c1')?.status === 'done')
  })

  it('a relay whose socket never opens is left after the connect time-out', async () => {
    const live = await relayWith('c1')
    const silent = await silentServer()
    const me = await login(live.url, 'alice@example.com')
    const sb = await alice([silent.url, live.url], live.url, {
      member: me.member,
      connectTimeoutMs: 200,
    })
    await until(sb, () => sb.inbox('pn1').get('c1') !== null)
    await sb.whenSynced()
    expect(sb.relay).toBe(live.url)
  })

  it('remembers the relay that answered (onRelay), so a caller can start there next time', async () => {
    const live = await relayWith()
    const dead = `http://127.0.0.1:${await deadPort()}`
    const good: string[] = []
    const sb = await alice([dead, live.url], live.url, { onRelay: (url) => good.push(url) })
    await sb.whenSynced()
    expect(good).toEqual([live.url])
  })

  it('moves every room to relay B when relay A stops, and B gets what it lacks by Yjs sync', async () => {
    const { a, b, session } = await twoRelays('c1', 'c2')
    const bUrl = b.url
    const sb = await alice([a.url, bUrl], session)
    await until(sb, () => sb.inbox('pn1').get('c1') !== null)
    await sb.inbox('pn1').markDone('c1')
    await sb.whenSynced()
    expect(sb.relay).toBe(a.url)
    expect(await connections({ url: bUrl })).toBe(0)

    // A stops: its sockets close, the replica moves to B. A mark made meanwhile is pending.
    await a.kill()
    await sb.inbox('pn1').markDone('c2')
    await sb.whenSynced()
    expect(sb.pending).toBe(0)
    expect(sb.relay).toBe(bUrl)
    const rooms = sb.phoneNumbers().length + 1
    expect(await connections({ url: bUrl })).toBe(rooms)

    // B never had c1's mark (acknowledged by A after the copy): the sync step sent it again.
    const bob = await openClient({ url: bUrl }, 'bob@example.com')
    cleanups.push(() => bob.destroy())
    await until(
      bob,
      () =>
        bob.inbox('pn1').get('c1')?.status === 'done' &&
        bob.inbox('pn1').get('c2')?.status === 'done',
    )
  })

  it('a relay answered 502/503 by its proxy moves every room of the replica together', async () => {
    const { a, b, session } = await twoRelays('c1')
    const bUrl = b.url
    let proxyDown = false
    const sb = await alice([a.url, bUrl], session, {
      // A proxy in front of A that answers 503 once A's upstream is gone.
      fetch: (input, init) =>
        proxyDown && String(input).startsWith(a.url)
          ? Promise.resolve(new Response('upstream down', { status: 503 }))
          : fetch(input, init),
    })
    await sb.whenSynced()
    const rooms = sb.phoneNumbers().length + 1
    await eventually(async () => (await connections(a)) === rooms)
    proxyDown = true
    // The history call meets the 503, is sent again to B, and the sockets follow it there.
    await sb.inbox('pn1').archivedHistory('c1')
    expect(sb.relay).toBe(bUrl)
    await eventually(async () => (await connections({ url: bUrl })) === rooms)
    await eventually(async () => (await connections(a)) === 0)
    await sb.whenSynced()
  })

  it('a mark sent to A and never acknowledged is sent again to B, and acknowledged there', async () => {
    const a = await startRelayProcess()
    cleanups.push(() => a.stop())
    await a.ingest(incoming('c1', 'hello'))
    const { b, session } = await twoRelaysFrom(a)
    const sb = await alice([a.url, b.url], session)
    await until(sb, () => sb.inbox('pn1').get('c1') !== null)
    await sb.whenSynced()
    expect(sb.relay).toBe(a.url)

    // A stops reading: the mark goes out on A's socket and is never acknowledged.
    a.pause!()
    await sb.inbox('pn1').markDone('c1')
    expect(sb.pending).toBe(1)
    await a.kill()
    await sb.whenSynced()
    expect(sb.pending).toBe(0)
    expect(sb.relay).toBe(b.url)
    const bob = await openClient(b, 'bob@example.com')
    cleanups.push(() => bob.destroy())
    await until(bob, () => bob.inbox('pn1').get('c1')?.status === 'done')
  })
})
