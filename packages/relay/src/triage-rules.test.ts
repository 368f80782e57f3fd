/**
 * Mute and rules [F1]–[F8], through the real routes, the real SQLite store, a signed webhook and
 * real sockets: a muted sender's SMS reaches a teammate's replica Done, with the rule named.
 */
import {
  getConversation,
  history,
  listMutes,
  markConversation,
  RULE_DEVICE,
} from '@switchboard/core'
import { CloseCode } from '@switchboard/protocol'
import { afterEach, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import {
  api,
  author,
  connectProvider,
  incoming,
  rawSocket,
  sendUpdateAs,
  startSqliteRelayWithAdmin,
  until,
  type Client,
  type TestRelay,
} from './test-helpers.ts'

const DAY = 86_400_000
let cleanups: (() => unknown)[] = []
let clients: Client[] = []
afterEach(async () => {
  for (const c of clients) c.destroy()
  clients = []
  for (const fn of cleanups.reverse()) await fn()
  cleanups = []
})

async function setup() {
  const r = await startSqliteRelayWithAdmin((fn) => cleanups.push(fn))
  const tokens = {
    alice: await r.login('alice@example.com'),
    bob: await r.login('bob@example.com'),
    carol: await r.login('carol@example.com'),
    erin: await r.login('erin@example.com'),
    vic: await r.login('vic@example.com'),
  }
  return { r, tokens }
}

/** Carol's live replica of Support's inbox. */
async function watch(r: TestRelay, token: string) {
  const c = connectProvider(r.wsUrl, 'inbox:pn-a', token)
  clients.push(c)
  await c.synced
  return c
}

describe('[F1] mute', () => {
  it('[F1][F6][F7] a muted sender’s SMS reaches a teammate’s replica Done, marked by relay-rules that saw it, the mute mirrored', async () => {
    const { r, tokens } = await setup()
    const carol = await watch(r, tokens.carol)
    const res = await api(r, '/api/phone-numbers/pn-a/mutes', {
      token: tokens.carol,
      body: { pattern: '#####|######' },
    })
    expect(res.status).toBe(201)
    const { mute } = (await res.json()) as { mute: { id: string; name: string } }
    await until(() => listMutes(carol.doc).length === 1, 'the mute mirrored')
    expect(listMutes(carol.doc)[0]).toMatchObject({
      id: mute.id,
      pattern: '#####|######',
      by: 'carol',
    })

    expect(
      (await r.webhook(incoming('c-code', 'pn-a', { from: '12345', body: 'Code 991' }))).status,
    ).toBe(202)
    expect((await r.webhook(incoming('c-human', 'pn-a', { from: '+15555550199' }))).status).toBe(
      202,
    )
    await until(() => !!getConversation(carol.doc, 'c-human'), 'both SMS')
    expect(getConversation(carol.doc, 'c-code')).toMatchObject({
      status: 'done',
      unread: false,
      reopenedBy: null,
    })
    expect(getConversation(carol.doc, 'c-code')?.statusBy?.deviceId).toBe(RULE_DEVICE)
    expect(getConversation(carol.doc, 'c-human')).toMatchObject({ status: 'open', unread: true })
    expect(history(carol.doc, 'c-code').at(-1)).toMatchObject({
      kind: 'done',
      deviceId: RULE_DEVICE,
      rule: mute.name,
      ruleId: mute.id,
    })

    // The same pattern again is the same mute; unmuting lets the next SMS in Open + Unread.
    const again = await api(r, '/api/phone-numbers/pn-a/mutes', {
      token: tokens.alice,
      body: { pattern: '#####|######' },
    })
    expect(((await again.json()) as { mute: { id: string } }).mute.id).toBe(mute.id)
    const off = await api(r, `/api/phone-numbers/pn-a/mutes/${mute.id}`, {
      method: 'DELETE',
      token: tokens.carol,
    })
    expect(off.status).toBe(200)
    await until(() => listMutes(carol.doc).length === 0, 'the mute gone from the mirror')
    await r.webhook(incoming('c-code', 'pn-a', { from: '12345', body: 'Code 992' }))
    await until(() => getConversation(carol.doc, 'c-code')?.status === 'open', 'the unmuted SMS')
    expect(getConversation(carol.doc, 'c-code')?.unread).toBe(true)
  })

  it('[F1][M4] a burst from a muted sender, applied in one turn, leaves its conversation Done having seen the last SMS', async () => {
    const { r, tokens } = await setup()
    await api(r, '/api/phone-numbers/pn-a/mutes', {
      token: tokens.carol,
      body: { pattern: '55###' },
    })
    const burst = [1, 2, 3].map((i) =>
      incoming('c-burst', 'pn-a', { from: '55123', body: `n${i}` }),
    )
    expect((await r.webhook(burst)).status).toBe(202)
    const carol = await watch(r, tokens.carol)
    await until(() => getConversation(carol.doc, 'c-burst')?.status === 'done', 'the burst Done')
    expect(getConversation(carol.doc, 'c-burst')).toMatchObject({ unread: false, reopenedBy: null })
    expect(
      history(carol.doc, 'c-burst')
        .filter((e) => e.deviceId === RULE_DEVICE)
        .at(-1)?.seen,
    ).toBe(3)
  })

  it('[F8] muting needs the number and a triaging role; a bad pattern is named; nothing is stored on refusal', async () => {
    const { r, tokens } = await setup()
    const post = (token: string, body: unknown, pn = 'pn-a') =>
      api(r, `/api/phone-numbers/${pn}/mutes`, { token, body })
    expect((await post(tokens.erin, { pattern: '12345' })).status).toBe(403)
    expect((await post(tokens.vic, { pattern: '12345' })).status).toBe(403)
    expect(await (await post(tokens.carol, { pattern: '' })).json()).toMatchObject({
      field: 'pattern',
    })
    expect(await (await post(tokens.carol, { pattern: 'a'.repeat(65) })).json()).toMatchObject({
      field: 'pattern',
    })
    expect(await (await post(tokens.carol, { pattern: '**' })).json()).toMatchObject({
      field: 'pattern',
    })
    const unknown = await post(tokens.carol, { pattern: '12345' }, 'pn-zz')
    expect(unknown.status).toBe(404)
    expect(r.storage.listRules('pn-a')).toEqual([])
    const noMute = await api(r, '/api/phone-numbers/pn-a/mutes/mute-nope', {
      method: 'DELETE',
      token: tokens.carol,
    })
    expect(await noMute.json()).toMatchObject({ field: 'muteId' })
    expect(noMute.status).toBe(404)
  })

  it('[F2] a member’s socket writing under relay-rules is refused (4422): nobody forges a rule mark', async () => {
    const { r } = await setup()
    await r.webhook(incoming('c-forge', 'pn-a'))
    const doc = new Y.Doc()
    const watcher = await watch(r, await r.login('alice@example.com'))
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(watcher.doc))
    const out: Uint8Array[] = []
    doc.on('update', (u: Uint8Array) => out.push(u))
    markConversation(doc, 'c-forge', 'done', author('carol', RULE_DEVICE))
    expect(await sendUpdateAs(r, 'inbox:pn-a', 'carol', Y.mergeUpdates(out))).toBe(
      CloseCode.Rejected,
    )
    expect(getConversation(watcher.doc, 'c-forge')?.status).toBe('open')
    // Nor may a socket declare it as its device [L1].
    const s = rawSocket(
      `${r.wsUrl}/inbox:pn-a?token=${await r.login('carol@example.com')}&device=${RULE_DEVICE}`,
    )
    expect((await s.closed).code).toBe(CloseCode.DeviceTaken)
  })
})

describe('[F4][F5] rules', () => {
  it('[F4] an admin’s text rule marks matching SMS Done; members cannot see or set rules; bad input names its field', async () => {
    const { r, tokens } = await setup()
    const path = '/api/admin/phone-numbers/pn-a/rules'
    expect((await api(r, path, { token: tokens.carol })).status).toBe(403)
    expect(
      (await api(r, path, { token: tokens.carol, body: { name: 'x', kind: 'close', days: 3 } }))
        .status,
    ).toBe(403)
    const bad = async (body: unknown) =>
      (await (await api(r, path, { token: tokens.bob, body })).json()) as { field: string }
    expect((await bad({ kind: 'done', match: 'text', pattern: 'code' })).field).toBe('name')
    expect((await bad({ name: 'x', kind: 'regex' })).field).toBe('kind')
    expect((await bad({ name: 'x', kind: 'done', match: 'body', pattern: 'code' })).field).toBe(
      'match',
    )
    expect(
      (await bad({ name: 'x', kind: 'done', match: 'text', pattern: '(a+)+$'.repeat(20) })).field,
    ).toBe('pattern')
    expect((await bad({ name: 'x', kind: 'close', days: 0 })).field).toBe('days')
    expect((await bad({ name: 'x', kind: 'close', days: 1.5 })).field).toBe('days')
    expect(r.storage.listRules('pn-a')).toEqual([])

    const made = await api(r, path, {
      token: tokens.bob,
      body: {
        name: 'Verification codes',
        kind: 'done',
        match: 'text',
        pattern: 'verification code',
      },
    })
    expect(made.status).toBe(201)
    const { rule } = (await made.json()) as { rule: { id: string } }
    const carol = await watch(r, tokens.carol)
    await r.webhook(
      incoming('c-v', 'pn-a', { from: '+15555550111', body: 'Your verification code is 4411' }),
    )
    await until(() => getConversation(carol.doc, 'c-v')?.status === 'done', 'the rule mark')
    expect(history(carol.doc, 'c-v').at(-1)).toMatchObject({
      rule: 'Verification codes',
      ruleId: rule.id,
    })
    const listed = (await (await api(r, path, { token: tokens.alice })).json()) as {
      rules: unknown[]
    }
    expect(listed.rules).toHaveLength(1)
    const removed = await api(r, `${path}/${rule.id}`, { method: 'DELETE', token: tokens.alice })
    expect(removed.status).toBe(200)
    expect(
      (await api(r, `${path}/${rule.id}`, { method: 'DELETE', token: tokens.alice })).status,
    ).toBe(404)
  })

  it('[F5] auto-close closes a conversation the team wrote last, quiet for N days, and names the rule; a customer’s last word stays open', async () => {
    const { r, tokens } = await setup()
    const now = Date.now()
    const old = now - 10 * DAY
    await r.relay.ingest(incoming('c-quiet', 'pn-a', { at: old }))
    await r.relay.ingest({
      ...incoming('c-quiet', 'pn-a', { at: old + 1000 }),
      direction: 'outgoing',
      from: '+14155550142',
      to: '+15555550123',
    })
    await r.relay.ingest(incoming('c-waiting', 'pn-a', { at: old }))
    await r.relay.writeRoom('inbox:pn-a', (doc) => {
      markConversation(doc, 'c-quiet', 'read', author('alice', 'dev-alice-old'))
      markConversation(doc, 'c-waiting', 'read', author('alice', 'dev-alice-old'))
    })
    const made = await api(r, '/api/admin/phone-numbers/pn-a/rules', {
      token: tokens.alice,
      body: { name: 'Stale after 7 days', kind: 'close', days: 7 },
    })
    expect(made.status).toBe(201)
    // A read sets no status: c-quiet is stale; c-waiting's customer wrote last, so it stays.
    expect(await r.relay.rules.sweep()).toBe(1)
    expect(await r.relay.rules.sweep()).toBe(0)
    const carol = await watch(r, tokens.carol)
    expect(getConversation(carol.doc, 'c-quiet')).toMatchObject({ status: 'done' })
    expect(history(carol.doc, 'c-quiet').at(-1)).toMatchObject({
      rule: 'Stale after 7 days',
      deviceId: RULE_DEVICE,
    })
    expect(getConversation(carol.doc, 'c-waiting')).toMatchObject({ status: 'open', unread: false })
  })
})
