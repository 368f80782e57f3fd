/** @module The Directory contract suite: every backend runs it (`runDirectoryContract`). */
import { afterEach, describe, expect, it } from 'vitest'
import type { Directory, MemberRecord } from './directory.ts'

export interface DirectoryHarness {
  directory: Directory
  /** Close this directory and open the same store again (a restart). */
  reopen(): Promise<DirectoryHarness>
  close(): Promise<void>
}

const member = (id: string, extra: Partial<MemberRecord> = {}): MemberRecord => ({
  id,
  email: `${id}@example.com`,
  name: id.toUpperCase(),
  role: 'member',
  passwordHash: 'h',
  createdAt: 1,
  ...extra,
})

export function runDirectoryContract(name: string, make: () => Promise<DirectoryHarness>) {
  describe(`Directory contract: ${name}`, () => {
    let open: DirectoryHarness[] = []
    const harness = async () => {
      const h = await make()
      open.push(h)
      return h
    }
    afterEach(async () => {
      for (const h of open) await h.close().catch(() => {})
      open = []
    })

    it('members, phone numbers, access and the conversation index round-trip', async () => {
      const { directory: d } = await harness()
      const m = member('m1', { email: 'Alice@Example.com', name: 'Alice', role: 'owner' })
      d.putMember(m)
      expect(d.getMember('m1')).toEqual({ ...m, email: 'alice@example.com' })
      expect(d.getMemberByEmail('ALICE@example.com')?.id).toBe('m1')
      expect(d.getMemberByEmail('nobody@example.com')).toBeNull()
      d.putMember({ ...m, role: 'admin' })
      expect(d.listMembers().map((x) => x.role)).toEqual(['admin'])

      d.putPhoneNumber({ id: 'pn1', name: 'Sales', number: '+15550100' })
      expect(d.getPhoneNumber('pn1')?.number).toBe('+15550100')
      expect(d.listPhoneNumbers()).toHaveLength(1)

      d.grantAccess('m1', 'pn1')
      d.grantAccess('m1', 'pn1')
      expect(d.listAccess('m1')).toEqual(['pn1'])
      d.revokeAccess('m1', 'pn1')
      expect(d.listAccess('m1')).toEqual([])

      d.setConversationPhoneNumber('c1', 'pn1')
      d.setConversationPhoneNumber('c1', 'pn2')
      expect(d.getConversationPhoneNumber('c1')).toBe('pn1')
      expect(d.getConversationPhoneNumber('c2')).toBeNull()

      expect(d.recordActivity('act1')).toBe(true)
      expect(d.recordActivity('act1')).toBe(false)
      expect(d.hasActivity('act1')).toBe(true)

      d.setMeta('seeded', '1')
      expect(d.getMeta('seeded')).toBe('1')
      expect(d.getMeta('other')).toBeNull()
    })

    it('[N5] removing a number drops its row, its sealed credentials and all access to it; its conversation index stays', async () => {
      const { directory: d } = await harness()
      d.putPhoneNumber({ id: 'pn1', name: 'Sales', number: '+14155550100', provider: 'quo' })
      d.putPhoneNumber({ id: 'pn2', name: 'Support', number: '+14155550142' })
      d.putSealedCredentials('pn1', 'sbc1.k.n.quo')
      for (const m of ['m2', 'm1']) d.grantAccess(m, 'pn1')
      d.grantAccess('m1', 'pn2')
      d.setConversationPhoneNumber('c1', 'pn1')
      expect(d.removePhoneNumber('pn1')).toEqual(['m1', 'm2'])
      expect(d.getPhoneNumber('pn1')).toBeNull()
      expect(d.getSealedCredentials('pn1')).toBeNull()
      expect(d.listPhoneNumbers().map((pn) => pn.id)).toEqual(['pn2'])
      expect(d.listAccess('m1')).toEqual(['pn2'])
      expect(d.listAccess('m2')).toEqual([])
      expect(d.getConversationPhoneNumber('c1')).toBe('pn1')
      expect(d.removePhoneNumber('pn1')).toEqual([])
    })

    it('[K1] a connected number keeps its provider and its sealed credentials apart from every listing', async () => {
      const { directory: d } = await harness()
      d.putPhoneNumber({ id: 'pn1', name: 'Sales', number: '+14155550100' })
      d.putPhoneNumber({ id: 'pn2', name: 'Support', number: '+14155550142', provider: 'telnyx' })
      d.putSealedCredentials('pn2', 'sbc1.k.n.first')
      expect(d.getPhoneNumber('pn1')).toEqual({ id: 'pn1', name: 'Sales', number: '+14155550100' })
      expect(d.getPhoneNumber('pn1')).not.toHaveProperty('provider')
      expect(d.getPhoneNumber('pn2')).toEqual({
        id: 'pn2',
        name: 'Support',
        number: '+14155550142',
        provider: 'telnyx',
      })
      expect(d.listPhoneNumbers().map((pn) => pn.provider ?? null)).toEqual([null, 'telnyx'])
      expect(JSON.stringify(d.listPhoneNumbers())).not.toContain('sbc1')
      expect(d.getSealedCredentials('pn1')).toBeNull()
      expect(d.getSealedCredentials('pn2')).toBe('sbc1.k.n.first')
      d.transaction(() => {
        d.putPhoneNumber({ id: 'pn1', name: 'Sales', number: '+14155550100', provider: 'quo' })
        d.putSealedCredentials('pn1', 'sbc1.k.n.quo')
      })
      d.putSealedCredentials('pn2', 'sbc1.k.n.second')
      expect(d.getPhoneNumber('pn1')?.provider).toBe('quo')
      expect(d.getSealedCredentials('pn1')).toBe('sbc1.k.n.quo')
      expect(d.getSealedCredentials('pn2')).toBe('sbc1.k.n.second')
    })

    it('[M8] the first binding of a client id (per room) or a device id stays; a second one is refused', async () => {
      const { directory: d } = await harness()
      expect(d.bindClient('inbox:pn1', 42, 'm1')).toBe(true)
      expect(d.bindClient('inbox:pn1', 42, 'm2')).toBe(false)
      expect(d.getClientOwner('inbox:pn1', 42)).toBe('m1')
      expect(d.getClientOwner('inbox:pn2', 42)).toBeNull()
      expect(d.bindDevice('d1', 'm1')).toBe(true)
      expect(d.bindDevice('d1', 'm2')).toBe(false)
      expect(d.getDeviceOwner('d1')).toBe('m1')
      expect(d.getDeviceOwner('d2')).toBeNull()
    })

    it('[W10] a provider call is found by its key after a restart; its first record stays', async () => {
      const h = await harness()
      const call = {
        callKey: 'quo:AC1',
        phoneNumberId: 'pn1',
        conversationId: 'pc-1',
        activityId: 'quo-call-AC1',
      }
      expect(h.directory.getProviderCall('quo:AC1')).toBeNull()
      h.directory.putProviderCall(call)
      h.directory.putProviderCall({ ...call, activityId: 'quo-vm-AC1' })
      expect(h.directory.getProviderCall('quo:AC1')).toEqual(call)
      const again = await h.reopen()
      open.push(again)
      expect(again.directory.getProviderCall('quo:AC1')).toEqual(call)
      expect(again.directory.getProviderCall('quo:AC2')).toBeNull()
    })

    it('[W6][M8][W10] the conversation index, activity ids, client bindings and provider calls are seen at once and kept after whenDurable()', async () => {
      const h = await harness()
      const d = h.directory
      d.setConversationPhoneNumber('c1', 'pn1')
      d.setConversationPhoneNumber('c1', 'pn2')
      expect(d.recordActivity('twilio-msg-SM1')).toBe(true)
      expect(d.recordActivity('twilio-msg-SM1')).toBe(false)
      expect(d.bindClient('conversation:c1', 7, 'relay')).toBe(true)
      expect(d.bindClient('conversation:c1', 7, 'm1')).toBe(false)
      const call = {
        callKey: 'quo:AC1',
        phoneNumberId: 'pn1',
        conversationId: 'c1',
        activityId: 'quo-call-AC1',
      }
      d.putProviderCall(call)
      d.putProviderCall({ ...call, conversationId: 'c2' })
      expect(d.getProviderCall('quo:AC1')).toEqual(call)
      // Seen before they are durable: the relay decides on them in the same tick.
      expect(d.getConversationPhoneNumber('c1')).toBe('pn1')
      expect(d.hasActivity('twilio-msg-SM1')).toBe(true)
      expect(d.getClientOwner('conversation:c1', 7)).toBe('relay')
      await d.whenDurable()
      const again = await h.reopen()
      open.push(again)
      expect(again.directory.getConversationPhoneNumber('c1')).toBe('pn1')
      expect(again.directory.hasActivity('twilio-msg-SM1')).toBe(true)
      expect(again.directory.getClientOwner('conversation:c1', 7)).toBe('relay')
      expect(again.directory.getProviderCall('quo:AC1')).toEqual(call)
    })

    it('[S6] a removed member keeps their record with the time of removal', async () => {
      const { directory: d } = await harness()
      const m = member('m1', { name: 'M' })
      d.putMember(m)
      expect(d.getMember('m1')?.deactivatedAt).toBeUndefined()
      d.putMember({ ...m, deactivatedAt: 5 })
      expect(d.getMember('m1')).toEqual({ ...m, deactivatedAt: 5 })
      expect(d.getMemberByEmail('m1@example.com')?.deactivatedAt).toBe(5)
    })

    it('[S1][S2] sessions: stored, listed newest first, rotated once per generation, ended once, pruned', async () => {
      const { directory: d } = await harness()
      const base = { memberId: 'm1', expiresAt: 1000, refreshGen: 0, refreshedAt: 10 }
      d.putSession({ ...base, id: 's1', createdAt: 10, userAgent: 'ua', ip: '10.0.0.1' })
      d.putSession({ ...base, id: 's2', createdAt: 20 })
      d.putSession({ ...base, id: 's3', createdAt: 30, memberId: 'm2' })
      expect(d.getSession('s1')).toEqual({
        ...base,
        id: 's1',
        createdAt: 10,
        userAgent: 'ua',
        ip: '10.0.0.1',
      })
      expect(d.getSession('nope')).toBeNull()
      expect(d.listSessions('m1').map((s) => s.id)).toEqual(['s2', 's1'])

      expect(d.rotateSession('s1', 0, 50)).toBe(true)
      expect(d.rotateSession('s1', 0, 51)).toBe(false)
      expect(d.getSession('s1')).toMatchObject({ refreshGen: 1, refreshedAt: 50 })

      expect(d.endSession('s1', 60, 'logout')).toBe(true)
      expect(d.endSession('s1', 61, 'revoked')).toBe(false)
      expect(d.getSession('s1')).toMatchObject({ endedAt: 60, endReason: 'logout' })
      expect(d.rotateSession('s1', 1, 70)).toBe(false)

      expect(d.endSessions('m1', 80, 'member-removed')).toEqual(['s2'])
      expect(d.endSessions('m1', 81, 'member-removed')).toEqual([])
      expect(d.getSession('s3')?.endedAt).toBeUndefined()

      expect(d.pruneSessions(70)).toBe(1)
      expect(d.getSession('s1')).toBeNull()
      expect(d.getSession('s2')).not.toBeNull()
      expect(d.pruneSessions(2000)).toBe(2)
    })

    it('[I1][I3] invites: kept by token hash, listed newest first, used once, revoked only unused', async () => {
      const { directory: d } = await harness()
      const base = {
        email: 'New@Example.com',
        role: 'member' as const,
        phoneNumberIds: ['pn1', 'pn2'],
        createdBy: 'm1',
        expiresAt: 1000,
      }
      d.putInvite({ ...base, id: 'i1', tokenHash: 'h1', createdAt: 10 })
      d.putInvite({ ...base, id: 'i2', tokenHash: 'h2', createdAt: 20, createdBy: null })
      expect(d.getInvite('i1')).toEqual({
        ...base,
        email: 'new@example.com',
        id: 'i1',
        tokenHash: 'h1',
        createdAt: 10,
      })
      expect(d.getInviteByTokenHash('h2')?.id).toBe('i2')
      expect(d.getInviteByTokenHash('h3')).toBeNull()
      expect(d.listInvites().map((i) => i.id)).toEqual(['i2', 'i1'])
      expect(d.useInvite('i1', 50, 'm9')).toBe(true)
      expect(d.useInvite('i1', 51, 'm8')).toBe(false)
      expect(d.getInvite('i1')).toMatchObject({ usedAt: 50, usedBy: 'm9' })
      expect(d.revokeInvite('i1', 60)).toBe(false)
      expect(d.revokeInvite('i2', 60)).toBe(true)
      expect(d.useInvite('i2', 61, 'm9')).toBe(false)
      expect(d.getInvite('i2')).toMatchObject({ revokedAt: 60 })
      expect(d.getInvite('i2')).not.toHaveProperty('usedAt')
      expect(d.revokeInvite('nope', 60)).toBe(false)
    })

    it('[F8] mutes and rules: listed per number oldest first, close rules across numbers, deleted once, kept across a restart', async () => {
      const h = await harness()
      const d = h.directory
      const before = d.rulesRevision()
      d.putRule({
        id: 'r2',
        phoneNumberId: 'pn',
        kind: 'close',
        name: 'Stale',
        days: 7,
        createdBy: 'm',
        createdAt: 2,
      })
      d.putRule({
        id: 'r1',
        phoneNumberId: 'pn',
        kind: 'mute',
        name: 'Muted',
        field: 'sender',
        pattern: '#####',
        createdBy: 'm',
        createdAt: 1,
      })
      d.putRule({
        id: 'r3',
        phoneNumberId: 'pn2',
        kind: 'done',
        name: 'Codes',
        field: 'text',
        pattern: 'code',
        createdBy: 'm',
        createdAt: 3,
      })
      expect(d.rulesRevision()).not.toBe(before)
      expect(d.listRules('pn').map((r) => r.id)).toEqual(['r1', 'r2'])
      expect(d.getRule('r1')).toEqual({
        id: 'r1',
        phoneNumberId: 'pn',
        kind: 'mute',
        name: 'Muted',
        field: 'sender',
        pattern: '#####',
        createdBy: 'm',
        createdAt: 1,
      })
      expect(d.listCloseRules().map((r) => r.id)).toEqual(['r2'])
      expect(d.deleteRule('r1')).toBe(true)
      expect(d.deleteRule('r1')).toBe(false)
      const again = await h.reopen()
      open.push(again)
      expect(again.directory.listRules('pn')).toEqual([
        {
          id: 'r2',
          phoneNumberId: 'pn',
          kind: 'close',
          name: 'Stale',
          days: 7,
          createdBy: 'm',
          createdAt: 2,
        },
      ])
      expect(again.directory.getRule('r3')?.pattern).toBe('code')
    })

    it('a member’s last activity only moves forward', async () => {
      const { directory: d } = await harness()
      d.setLastSeen('m1', 100)
      d.setLastSeen('m1', 50)
      d.setLastSeen('m2', 7)
      expect(d.listLastSeen()).toEqual(
        new Map([
          ['m1', 100],
          ['m2', 7],
        ]),
      )
    })

    it('a transaction returns what its function returns, and its writes are all there', async () => {
      const { directory: d } = await harness()
      const bound = d.transaction(() => {
        d.putMember(member('m1'))
        return d.bindDevice('dev', 'm1')
      })
      expect(bound).toBe(true)
      expect(d.getMember('m1')?.id).toBe('m1')
      expect(d.getDeviceOwner('dev')).toBe('m1')
    })

    it('durably() decides at once, resolves with what its function returns, its writes kept; a throw in it rejects with that error', async () => {
      const h = await harness()
      const d = h.directory
      const bound = d.durably(() => {
        d.putMember(member('m1'))
        return d.bindDevice('dev', 'm1')
      })
      expect(d.getDeviceOwner('dev')).toBe('m1')
      await expect(bound).resolves.toBe(true)
      await expect(d.durably(() => JSON.parse('not json'))).rejects.toThrow(SyntaxError)
      const again = await h.reopen()
      open.push(again)
      expect(again.directory.getMember('m1')?.id).toBe('m1')
      expect(again.directory.getDeviceOwner('dev')).toBe('m1')
    })

    it('everything written is there after a restart', async () => {
      const h = await harness()
      h.directory.putMember(member('m', { createdAt: 0 }))
      h.directory.bindClient('r', 7, 'm')
      h.directory.bindDevice('dev', 'm')
      h.directory.putSession({
        id: 's',
        memberId: 'm',
        createdAt: 1,
        expiresAt: 9,
        refreshGen: 2,
        refreshedAt: 3,
      })
      h.directory.putPhoneNumber({ id: 'pn', name: 'P', number: '+14155550100', provider: 'quo' })
      h.directory.putSealedCredentials('pn', 'sbc1.k.n.sealed')
      h.directory.putInvite({
        id: 'i',
        tokenHash: 'th',
        email: 'x@example.com',
        role: 'admin',
        phoneNumberIds: ['pn'],
        createdBy: 'm',
        createdAt: 1,
        expiresAt: 2,
      })
      h.directory.setLastSeen('m', 42)
      const again = await h.reopen()
      open.push(again)
      expect(again.directory.getClientOwner('r', 7)).toBe('m')
      expect(again.directory.getDeviceOwner('dev')).toBe('m')
      expect(again.directory.getMember('m')?.email).toBe('m@example.com')
      expect(again.directory.getSession('s')).toMatchObject({ memberId: 'm', refreshGen: 2 })
      expect(again.directory.getPhoneNumber('pn')?.provider).toBe('quo')
      expect(again.directory.getSealedCredentials('pn')).toBe('sbc1.k.n.sealed')
      expect(again.directory.getInviteByTokenHash('th')).toMatchObject({
        role: 'admin',
        phoneNumberIds: ['pn'],
      })
      expect(again.directory.listLastSeen().get('m')).toBe(42)
    })
  })
}
