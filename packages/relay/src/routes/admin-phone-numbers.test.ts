/**
 * The admin API's numbers connected through a provider, over real HTTP on a real SQLite store:
 * credentials sealed at rest, never sent back, logged or written to a document.
 */
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { CredentialsError } from '../providers/credential-vault.ts'
import { QUO, QUO_STANDARD, SECRETS, TELNYX, TWILIO } from '../providers/test-credentials.ts'
import { api } from '../test-helpers.ts'
import {
  connect,
  phoneNumbersFixture,
  PUBLIC_URL,
  storeBytes,
  workspacePhoneNumbers,
} from './phone-numbers-fixture.ts'

const { start, printed, keep } = phoneNumbersFixture()

describe('[K1]–[K8] connecting a number from a provider (POST /api/admin/phone-numbers)', () => {
  it('[K1][K8] a Twilio number is stored with its credentials sealed; the answer has its id, its webhook URL and the number', async () => {
    const { r, dir, bob } = await start({ publicUrl: PUBLIC_URL })
    const res = await connect(r, bob, {
      name: 'Front desk',
      number: '+14155550199',
      provider: 'twilio',
      credentials: TWILIO,
    })
    expect(res.status).toBe(201)
    const text = await res.text()
    const body = JSON.parse(text) as { id: string; webhookUrl: string; phoneNumber: unknown }
    expect(body).toEqual({
      id: body.id,
      webhookUrl: `${PUBLIC_URL}/api/webhooks/twilio/${body.id}`,
      phoneNumber: { id: body.id, name: 'Front desk', number: '+14155550199', provider: 'twilio' },
    })
    expect(body.id).toMatch(/^pn-/)
    for (const secret of SECRETS) expect(text).not.toContain(secret)

    expect(r.relay.providerAccounts.get(body.id)).toEqual({
      phoneNumberId: body.id,
      number: '+14155550199',
      provider: 'twilio',
      credentials: TWILIO,
    })
    expect(r.storage.getSealedCredentials(body.id)).toMatch(/^sbc1\./)
    // At rest: neither the token nor the account SID is in any file of the store.
    const bytes = storeBytes(dir)
    expect(bytes.includes(Buffer.from(r.storage.getSealedCredentials(body.id)!))).toBe(true)
    expect(bytes.includes(Buffer.from(TWILIO.authToken))).toBe(false)
    expect(bytes.includes(Buffer.from(TWILIO.accountSid))).toBe(false)
    // [K6] The workspace document lists the number, its provider and the provider's reply
    // limit (the composer refuses longer ones [O1]), nothing of its credentials.
    expect((await workspacePhoneNumbers(r))[body.id]).toEqual({
      id: body.id,
      name: 'Front desk',
      number: '+14155550199',
      provider: 'twilio',
      maxBodyLength: 1600,
    })
  })

  it('[K1] Telnyx and Quo numbers (both kinds of Quo signing key) connect; their secrets are sealed too', async () => {
    const { r, dir, alice } = await start({ publicUrl: PUBLIC_URL })
    for (const [provider, credentials, number] of [
      ['telnyx', TELNYX, '+14155550101'],
      ['quo', QUO, '+14155550102'],
      ['quo', QUO_STANDARD, '+442071838750'],
    ] as const) {
      const res = await connect(r, alice, { name: provider, number, provider, credentials })
      expect(res.status).toBe(201)
      const { id, webhookUrl } = (await res.json()) as { id: string; webhookUrl: string }
      expect(webhookUrl).toBe(`${PUBLIC_URL}/api/webhooks/${provider}/${id}`)
      expect(r.relay.providerAccounts.get(id)).toMatchObject({ provider, credentials })
    }
    const bytes = storeBytes(dir)
    for (const secret of SECRETS.filter((s) => s !== TWILIO.authToken))
      expect(bytes.includes(Buffer.from(secret))).toBe(false)
  })

  it('[K8] without PUBLIC_URL the webhook URL is built on the origin the admin called; a number without a provider points at the generic webhook', async () => {
    const { r, bob } = await start()
    const res = await connect(r, bob, {
      name: 'Quo line',
      number: '+14155550103',
      provider: 'quo',
      credentials: QUO,
    })
    const { id, webhookUrl } = (await res.json()) as { id: string; webhookUrl: string }
    expect(webhookUrl).toBe(`${r.url}/api/webhooks/quo/${id}`)
    const generic = await connect(r, bob, {
      id: 'pn-gen',
      name: 'Generic',
      number: '+14155550160',
    })
    expect(generic.status).toBe(201)
    expect(await generic.json()).toEqual({
      id: 'pn-gen',
      webhookUrl: `${r.url}/api/webhooks/activity`,
      phoneNumber: { id: 'pn-gen', name: 'Generic', number: '+14155550160' },
    })
    expect(r.relay.providerAccounts.get('pn-gen')).toBeNull()
  })

  it('[K5] a member or a viewer gets 403 on connecting or replacing credentials, and nothing is stored', async () => {
    const { r } = await start()
    const carol = await r.login('carol@example.com')
    const vic = await r.login('vic@example.com')
    const before = r.storage.listPhoneNumbers()
    for (const token of [carol, vic]) {
      const res = await connect(r, token, {
        name: 'Mine',
        number: '+14155550107',
        provider: 'twilio',
        credentials: TWILIO,
      })
      expect(res.status).toBe(403)
      const put = await api(r, '/api/admin/phone-numbers/pn-a/credentials', {
        method: 'PUT',
        token,
        body: { provider: 'twilio', credentials: TWILIO },
      })
      expect(put.status).toBe(403)
      expect((await api(r, '/api/admin/phone-numbers', { token })).status).toBe(403)
    }
    expect(r.storage.listPhoneNumbers()).toEqual(before)
    expect(r.storage.getSealedCredentials('pn-a')).toBeNull()
    const anonymous = await api(r, '/api/admin/phone-numbers', {
      body: { name: 'x', number: '+14155550107', provider: 'twilio', credentials: TWILIO },
    })
    expect(anonymous.status).toBe(401)
  })

  it('[K6] GET lists each number with its provider and never its credentials', async () => {
    const { r, alice } = await start()
    const res = await connect(r, alice, {
      id: 'pn-q',
      name: 'Quo',
      number: '+14155550108',
      provider: 'quo',
      credentials: QUO,
    })
    expect(res.status).toBe(201)
    const list = await api(r, '/api/admin/phone-numbers', { token: alice })
    const text = await list.text()
    const shown = (JSON.parse(text) as { phoneNumbers: Record<string, unknown>[] }).phoneNumbers
    // Each with its access and webhook URL [N2]; here only what a number is.
    expect(shown.map(({ id, name, number, provider }) => ({ id, name, number, provider }))).toEqual(
      [
        { id: 'pn-a', name: 'Support', number: '+14155550142', provider: undefined },
        { id: 'pn-b', name: 'Sales', number: '+14155550100', provider: undefined },
        { id: 'pn-q', name: 'Quo', number: '+14155550108', provider: 'quo' },
      ],
    )
    for (const secret of [...SECRETS, 'sbc1.', 'credentials']) expect(text).not.toContain(secret)
    const me = await (await api(r, '/api/me', { token: alice })).text()
    for (const secret of [...SECRETS, 'sbc1.']) expect(me).not.toContain(secret)
  })

  it('[K7] PUT …/:id/credentials replaces them (rotation), checked as on creation; a bad one keeps the old', async () => {
    const { r, dir, bob } = await start({ publicUrl: PUBLIC_URL })
    await connect(r, bob, {
      id: 'pn-t',
      name: 'T',
      number: '+14155550109',
      provider: 'twilio',
      credentials: TWILIO,
    })
    const rotated = { ...TWILIO, authToken: 'rotated-' + randomBytes(12).toString('hex') }
    const put = (body: unknown, id = 'pn-t') =>
      api(r, `/api/admin/phone-numbers/${id}/credentials`, { method: 'PUT', token: bob, body })
    const bad = await put({ credentials: { ...rotated, authToken: '' } })
    expect([bad.status, ((await bad.json()) as { field: string }).field]).toEqual([
      400,
      'credentials.authToken',
    ])
    expect(r.relay.providerAccounts.get('pn-t')?.credentials).toEqual(TWILIO)

    const ok = await put({ credentials: rotated })
    expect(ok.status).toBe(200)
    const text = await ok.text()
    expect(JSON.parse(text)).toEqual({
      id: 'pn-t',
      webhookUrl: `${PUBLIC_URL}/api/webhooks/twilio/pn-t`,
      phoneNumber: { id: 'pn-t', name: 'T', number: '+14155550109', provider: 'twilio' },
    })
    expect(text).not.toContain(rotated.authToken)
    expect(r.relay.providerAccounts.get('pn-t')?.credentials).toEqual(rotated)
    expect(storeBytes(dir).includes(Buffer.from(rotated.authToken))).toBe(false)

    expect((await put({ credentials: rotated }, 'pn-none')).status).toBe(404)
    // A number without a provider is connected by naming one; it must be in E.164.
    const generic = await put({ provider: 'telnyx', credentials: TELNYX }, 'pn-a')
    expect(generic.status).toBe(200)
    expect(((await generic.json()) as { webhookUrl: string }).webhookUrl).toBe(
      `${PUBLIC_URL}/api/webhooks/telnyx/pn-a`,
    )
    // A number stored before [N1] required E.164 on every number.
    r.storage.putPhoneNumber({ id: 'pn-local', name: 'Local', number: '555-0100' })
    const local = await put({ provider: 'quo', credentials: QUO }, 'pn-local')
    expect([local.status, ((await local.json()) as { field: string }).field]).toEqual([
      400,
      'number',
    ])
    const noProvider = await put({ credentials: QUO }, 'pn-local')
    expect(((await noProvider.json()) as { field: string }).field).toBe('provider')
    expect(r.storage.getSealedCredentials('pn-local')).toBeNull()
  })

  it('[K6] no credential reaches a log line or the console, whatever the request', async () => {
    const { r, bob } = await start()
    await connect(r, bob, {
      name: 'T',
      number: '+14155550110',
      provider: 'twilio',
      credentials: TWILIO,
    })
    await connect(r, bob, {
      name: 'Q',
      number: '+14155550111',
      provider: 'quo',
      credentials: QUO_STANDARD,
    })
    await connect(r, bob, {
      name: 'X',
      number: '+14155550112',
      provider: 'telnyx',
      credentials: { ...TELNYX, publicKey: 'x' },
    })
    await connect(r, bob, { name: 'Y', number: 'nope', provider: 'quo', credentials: QUO })
    // A body that is not JSON, credentials inside: refused without quoting it.
    const broken = await fetch(`${r.url}/api/admin/phone-numbers`, {
      method: 'POST',
      headers: { authorization: `Bearer ${bob}`, 'content-type': 'application/json' },
      body: `{"name":"broken","credentials":${JSON.stringify(TWILIO)}`,
    })
    expect(broken.status).toBe(400)
    expect(await broken.text()).not.toContain(TWILIO.authToken)
    await api(r, '/api/admin/phone-numbers/pn-a/credentials', {
      method: 'PUT',
      token: bob,
      body: { provider: 'telnyx', credentials: TELNYX },
    })
    const logged = printed()
    expect(logged).toContain('phone number credentials stored')
    for (const secret of SECRETS) expect(logged).not.toContain(secret)
  })

  it('[K2][K3] a restart with another CREDENTIALS_KEY cannot open them (a clear error); with the key that sealed them it can', async () => {
    const keyA = new Uint8Array(randomBytes(32))
    const first = await start({ credentialsKey: keyA })
    const res = await connect(first.r, first.bob, {
      id: 'pn-t',
      name: 'T',
      number: '+14155550113',
      provider: 'twilio',
      credentials: TWILIO,
    })
    expect(res.status).toBe(201)
    await first.r.close()
    keep()

    const other = await start({ dir: first.dir, credentialsKey: new Uint8Array(randomBytes(32)) })
    expect(() => other.r.relay.providerAccounts.get('pn-t')).toThrow(CredentialsError)
    expect(() => other.r.relay.providerAccounts.get('pn-t')).toThrow(
      /sealed with key \S+, but this relay holds key \S+: start it with the CREDENTIALS_KEY/,
    )
    await other.r.close()
    keep()

    // Derived from SWITCHBOARD_SECRET is another key too.
    const derived = await start({ dir: first.dir })
    expect(() => derived.r.relay.providerAccounts.get('pn-t')).toThrow(CredentialsError)
    await derived.r.close()
    keep()

    const same = await start({ dir: first.dir, credentialsKey: keyA })
    expect(same.r.relay.providerAccounts.get('pn-t')?.credentials).toEqual(TWILIO)
    expect(existsSync(join(first.dir, 'relay.db'))).toBe(true)
  })
})
