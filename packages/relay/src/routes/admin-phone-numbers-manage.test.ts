/**
 * Phone numbers as admins manage them — add, list with access, rename, remove (archived) and
 * restore — over real HTTP and real sockets on a real SQLite store. Rules [N1]–[N7].
 */
import { readWorkspace } from '@switchboard/core'
import { describe, expect, it } from 'vitest'
import { TWILIO } from '../providers/test-credentials.ts'
import { api, connectProvider, incoming, until, type TestRelay } from '../test-helpers.ts'
import { connect, phoneNumbersFixture, workspacePhoneNumbers } from './phone-numbers-fixture.ts'

const { start } = phoneNumbersFixture()

const workspaceOf = async (r: TestRelay) => {
  let ws: ReturnType<typeof readWorkspace> | null = null
  await r.relay.writeRoom('workspace', (doc) => {
    ws = readWorkspace(doc)
  })
  return ws!
}
const remove = (r: TestRelay, token: string, id: string, confirm: unknown) =>
  api(r, `/api/admin/phone-numbers/${id}`, { method: 'DELETE', token, body: { confirm } })
const rename = (r: TestRelay, token: string, id: string, name: unknown) =>
  api(r, `/api/admin/phone-numbers/${id}`, { method: 'PATCH', token, body: { name } })

describe('[N1] adding a number', () => {
  it('[N1] a number not in E.164 is a 400 naming `number`, and nothing is created', async () => {
    const { r, alice } = await start()
    const before = r.storage.listPhoneNumbers()
    const doc = await workspacePhoneNumbers(r)
    for (const number of ['555-0100', '4155550142', '+1415', '+0123456789', 'nope', '', 42, null]) {
      for (const extra of [{}, { provider: 'twilio', credentials: TWILIO }]) {
        const res = await connect(r, alice, { name: 'New', number, id: 'pn-new', ...extra })
        expect(res.status).toBe(400)
        expect(await res.json()).toMatchObject({ field: 'number' })
      }
    }
    expect(r.storage.listPhoneNumbers()).toEqual(before)
    expect(r.storage.getSealedCredentials('pn-new')).toBeNull()
    expect(await workspacePhoneNumbers(r)).toEqual(doc)
  })

  it('[N1] spaces, dots, dashes and parentheses are dropped: the number is stored in E.164', async () => {
    const { r, alice } = await start()
    const res = await connect(r, alice, { name: ' Billing ', number: '+1 (415) 555-0177' })
    expect(res.status).toBe(201)
    const { id, phoneNumber } = (await res.json()) as { id: string; phoneNumber: unknown }
    expect(phoneNumber).toEqual({ id, name: 'Billing', number: '+14155550177' })
    expect((await workspacePhoneNumbers(r))[id]).toEqual(phoneNumber)
  })

  it('[N1] an empty or overlong name is a 400 naming `name`, and nothing is created', async () => {
    const { r, alice } = await start()
    const before = r.storage.listPhoneNumbers()
    for (const name of ['  ', 'x'.repeat(81), undefined]) {
      const res = await connect(r, alice, { name, number: '+14155550178' })
      expect(res.status).toBe(400)
      expect(await res.json()).toMatchObject({ field: 'name' })
    }
    expect(r.storage.listPhoneNumbers()).toEqual(before)
  })
})

describe('[N2] listing numbers with their access', () => {
  it('[N2] GET lists each number with the members who have access, its webhook URL and the provider status banner', async () => {
    const { r, bob } = await start()
    await r.relay.admin.removeMember('erin')
    await r.relay.writeRoom('workspace', (doc) => {
      const map = doc.getMap<Record<string, unknown>>('phoneNumbers')
      map.set('pn-a', { ...map.get('pn-a')!, providerStatus: 'credentials-rejected' })
    })
    const res = await api(r, '/api/admin/phone-numbers', { token: bob })
    expect(res.status).toBe(200)
    const { phoneNumbers } = (await res.json()) as {
      phoneNumbers: { id: string; memberIds: string[]; webhookUrl: string }[]
    }
    const byId = Object.fromEntries(phoneNumbers.map((pn) => [pn.id, pn]))
    expect(byId['pn-a']).toMatchObject({
      memberIds: ['alice', 'carol', 'vic'],
      providerStatus: 'credentials-rejected',
      webhookUrl: `${r.url}/api/webhooks/activity`,
    })
    // A removed member keeps no access that the list would show.
    expect(byId['pn-b']!.memberIds).toEqual(['alice'])
    expect(byId['pn-b']).not.toHaveProperty('providerStatus')
  })
})

describe('[N3] renaming a number', () => {
  it('[N3] an admin renames a number: stored, and live in a member’s workspace document; its provider banner stays', async () => {
    const { r, bob } = await start()
    const carol = connectProvider(r.wsUrl, 'workspace', await r.login('carol@example.com'))
    await carol.synced
    await r.relay.writeRoom('workspace', (doc) => {
      const map = doc.getMap<Record<string, unknown>>('phoneNumbers')
      map.set('pn-a', { ...map.get('pn-a')!, providerStatus: 'credentials-rejected' })
    })
    const res = await rename(r, bob, 'pn-a', '  Customer care ')
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ phoneNumber: { id: 'pn-a', name: 'Customer care' } })
    expect(r.storage.getPhoneNumber('pn-a')?.name).toBe('Customer care')
    await until(() => readWorkspace(carol.doc).phoneNumbers.some((p) => p.name === 'Customer care'))
    expect(readWorkspace(carol.doc).phoneNumbers.find((p) => p.id === 'pn-a')).toEqual({
      id: 'pn-a',
      name: 'Customer care',
      number: '+14155550142',
      providerStatus: 'credentials-rejected',
    })
    carol.destroy()
  })

  it('[N3] a bad name is a 400 naming `name`, an unknown number a 404, a member a 403; nothing changes', async () => {
    const { r, bob } = await start()
    const carol = await r.login('carol@example.com')
    for (const name of ['', '   ', 'x'.repeat(81), 7, null]) {
      const res = await rename(r, bob, 'pn-a', name)
      expect(res.status).toBe(400)
      expect(await res.json()).toMatchObject({ field: 'name' })
    }
    expect((await rename(r, bob, 'pn-none', 'X')).status).toBe(404)
    expect((await rename(r, carol, 'pn-a', 'Mine')).status).toBe(403)
    expect(r.storage.getPhoneNumber('pn-a')?.name).toBe('Support')
  })
})

describe('[N4]–[N6] removing a number', () => {
  it('[N4] an admin gets 403, an owner who types another number 400 naming `confirm`; nothing changes', async () => {
    const { r, alice, bob } = await start()
    const before = r.storage.listPhoneNumbers()
    const forbidden = await remove(r, bob, 'pn-a', '+14155550142')
    expect(forbidden.status).toBe(403)
    expect(await forbidden.json()).toMatchObject({ field: 'role' })
    for (const confirm of ['+14155550100', 'Support', '', undefined]) {
      const res = await remove(r, alice, 'pn-a', confirm)
      expect(res.status).toBe(400)
      expect(await res.json()).toMatchObject({ field: 'confirm' })
    }
    expect((await remove(r, alice, 'pn-none', '+14155550142')).status).toBe(404)
    expect(r.storage.listPhoneNumbers()).toEqual(before)
    expect(r.storage.listAccess('carol')).toEqual(['pn-a'])
    expect((await workspaceOf(r)).phoneNumbers.map((p) => p.id)).toEqual(['pn-b', 'pn-a'])
  })

  it('[N5] the owner removes a number: its sockets close with 4403, it leaves the workspace and every access, its credentials go and its webhooks get 404', async () => {
    const { r, alice } = await start()
    const carolToken = await r.login('carol@example.com')
    expect((await r.webhook(incoming('c-1', 'pn-a'))).status).toBe(202)
    const put = await api(r, '/api/admin/phone-numbers/pn-a/credentials', {
      method: 'PUT',
      token: alice,
      body: { provider: 'twilio', credentials: TWILIO },
    })
    expect(put.status).toBe(200)
    const inbox = connectProvider(r.wsUrl, 'inbox:pn-a', carolToken)
    const conversation = connectProvider(r.wsUrl, 'conversation:c-1', carolToken)
    const workspace = connectProvider(r.wsUrl, 'workspace', carolToken)
    const other = connectProvider(r.wsUrl, 'inbox:pn-b', alice)
    await Promise.all([inbox.synced, conversation.synced, workspace.synced, other.synced])

    const res = await remove(r, alice, 'pn-a', '+1 415 555 0142')
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({
      archived: {
        id: 'pn-a',
        number: '+14155550142',
        by: 'alice',
        memberIds: ['alice', 'carol', 'vic'],
      },
    })
    await until(() => inbox.closes.length > 0 && conversation.closes.length > 0)
    expect(inbox.closes[0]).toEqual({ code: 4403, reason: 'phone number removed' })
    expect(conversation.closes[0]?.code).toBe(4403)
    expect(other.closes).toEqual([])
    // Live in the workspace document: the number and every access to it are gone.
    await until(() => !readWorkspace(workspace.doc).phoneNumbers.some((p) => p.id === 'pn-a'))
    const ws = readWorkspace(workspace.doc)
    expect([...ws.access.values()].flat()).not.toContain('pn-a')
    expect(ws.access.get('alice')).toEqual(['pn-b'])
    // The store: no number, no credentials, no access.
    expect(r.storage.getPhoneNumber('pn-a')).toBeNull()
    expect(r.storage.getSealedCredentials('pn-a')).toBeNull()
    for (const m of ['alice', 'carol', 'vic']) expect(r.storage.listAccess(m)).not.toContain('pn-a')
    // Webhooks: the generic one and the provider's both 404; nothing is stored.
    const late = incoming('c-2', 'pn-a')
    const generic = await r.webhook(late)
    expect(generic.status).toBe(404)
    expect(await generic.json()).toEqual({ error: 'unknown phone number', field: 'phoneNumberId' })
    const twilio = await fetch(`${r.url}/api/webhooks/twilio/pn-a`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'MessageSid=SM1&From=%2B15550001111&To=%2B14155550142&Body=hi',
    })
    expect(twilio.status).toBe(404)
    expect(r.storage.hasActivity(late.id)).toBe(false)
    // A socket that comes back is refused.
    const again = connectProvider(r.wsUrl, 'inbox:pn-a', carolToken)
    await until(() => again.closes.length > 0)
    expect(again.closes[0]?.code).toBe(4403)
    for (const c of [inbox, conversation, workspace, other, again]) c.destroy()
  })

  it('[N6] its rooms are archived, not deleted: kept in the store, out of reach of members, webhooks, restores and epochs; its id is not reused', async () => {
    const { r, alice } = await start()
    expect((await r.webhook(incoming('c-1', 'pn-a'))).status).toBe(202)
    const stored = await r.storage.loadRoom('inbox:pn-a')
    expect(stored.updates.length + (stored.snapshot ? 1 : 0)).toBeGreaterThan(0)
    expect((await remove(r, alice, 'pn-a', '+14155550142')).status).toBe(200)

    const kept = await r.storage.loadRoom('inbox:pn-a')
    expect(kept).toEqual(stored)
    expect(r.storage.getConversationPhoneNumber('c-1')).toBe('pn-a')
    expect(r.relay.admin.listArchivedPhoneNumbers().map((p) => p.id)).toEqual(['pn-a'])
    const epoch = await api(r, '/api/admin/rooms/inbox:pn-a/epoch', { token: alice, body: {} })
    expect(epoch.status).toBe(404)
    const restore = await api(r, '/api/admin/restore', {
      token: alice,
      body: { room: 'inbox:pn-a', at: Date.now() - 1000 },
    })
    expect(restore.status).toBe(404)
    expect((await api(r, '/api/history/pn-a', { token: alice })).status).toBeGreaterThanOrEqual(400)
    const reuse = await connect(r, alice, { id: 'pn-a', name: 'New', number: '+14155550181' })
    expect(reuse.status).toBe(409)
    expect(await reuse.json()).toMatchObject({ field: 'id' })
    expect(await r.storage.loadRoom('inbox:pn-a')).toEqual(stored)
  })

  it('[N7] the operator restores an archived number: its rooms come back with their conversations, to the members still active, without credentials', async () => {
    const { r, alice } = await start()
    expect((await r.webhook(incoming('c-1', 'pn-a'))).status).toBe(202)
    await api(r, '/api/admin/phone-numbers/pn-a/credentials', {
      method: 'PUT',
      token: alice,
      body: { provider: 'twilio', credentials: TWILIO },
    })
    expect((await remove(r, alice, 'pn-a', '+14155550142')).status).toBe(200)
    await r.relay.admin.removeMember('vic')
    const pn = await r.relay.admin.restorePhoneNumber('pn-a')
    expect(pn).toEqual({ id: 'pn-a', name: 'Support', number: '+14155550142' })
    expect(r.storage.getSealedCredentials('pn-a')).toBeNull()
    expect(r.storage.listAccess('carol')).toEqual(['pn-a'])
    expect(r.storage.listAccess('vic')).toEqual([])
    expect(r.relay.admin.listArchivedPhoneNumbers()).toEqual([])
    expect((await workspaceOf(r)).access.get('carol')).toEqual(['pn-a'])
    const inbox = connectProvider(r.wsUrl, 'inbox:pn-a', await r.login('carol@example.com'))
    await inbox.synced
    expect(inbox.doc.getMap('conversations').has('c-1')).toBe(true)
    inbox.destroy()
    await expect(r.relay.admin.restorePhoneNumber('pn-a')).rejects.toMatchObject({ status: 404 })
  })
})
