import * as Y from 'yjs'
import { describe, expect, it } from 'vitest'
import {
  checkPattern,
  compactInbox,
  createHlc,
  formatTimestamp,
  getConversation,
  globMatch,
  history,
  ingestActivity,
  inboxRoots,
  listMutes,
  markConversation,
  markDoneByRule,
  matchingRule,
  muteOf,
  mutesRoot,
  parseRoom,
  RULE_DEVICE,
  senderMatches,
  staleConversations,
  textMatches,
  validateUpdate,
  writeMutes,
  type Room,
  type TriageRule,
} from '../src/index.ts'
import { activity, device, recordUpdates, sync, T0 } from './helpers.ts'

const DAY = 86_400_000
const ruleClock = (now = T0 + 60_000) => createHlc(RULE_DEVICE, () => now)

const rule = (over: Partial<TriageRule>): TriageRule => ({
  id: 'r1',
  phoneNumberId: 'pn1',
  kind: 'done',
  name: 'Verification codes',
  field: 'sender',
  pattern: '#####',
  createdBy: 'alice',
  createdAt: T0,
  ...over,
})

describe('[F3] safe patterns', () => {
  it('[F3] a sender glob matches the whole number: # a digit, ? any one, * any run', () => {
    expect(senderMatches('#####', '12345')).toBe(true)
    expect(senderMatches('#####', '123456')).toBe(false)
    expect(senderMatches('#####|######', '123456')).toBe(true)
    expect(senderMatches('#####', '1234a')).toBe(false)
    expect(senderMatches('+1555*', '+15550100')).toBe(true)
    expect(senderMatches('+15550100', '+15550100')).toBe(true)
    expect(senderMatches('+15550100', '+155501001')).toBe(false)
    expect(senderMatches('+1556?100', '+15550100')).toBe(false)
    expect(senderMatches('+15550?00', '+15550100')).toBe(true)
  })

  it('[F3] a text pattern matches anywhere, case-insensitively, # literally', () => {
    expect(textMatches('verification code', 'Your Verification Code is 1234')).toBe(true)
    expect(textMatches('code * expires', 'Your code 991 expires soon')).toBe(true)
    expect(textMatches('order #', 'Order #12 shipped')).toBe(true)
    expect(textMatches('order #', 'Order 12 shipped')).toBe(false)
    expect(textMatches('hello', 'nothing here')).toBe(false)
  })

  it('[F3] patterns are bounded: empty, too long, too many alternatives or match-all are refused', () => {
    expect(checkPattern('#####|######')).toEqual({ ok: true, value: '#####|######' })
    expect(checkPattern(' +1555* ')).toEqual({ ok: true, value: '+1555*' })
    for (const bad of ['', ' | a', 'a'.repeat(65), Array(9).fill('a').join('|'), '**', 3, null])
      expect(checkPattern(bad).ok).toBe(false)
  })

  it('[F3] a hostile pattern over a long text takes bounded time (no backtracking blow-up)', () => {
    const pattern = '*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b'
    const text = 'a'.repeat(50_000)
    const started = performance.now()
    expect(textMatches(pattern, text)).toBe(false)
    expect(globMatch(pattern, 'a'.repeat(5_000), false)).toBe(false)
    expect(performance.now() - started).toBeLessThan(1_000)
  })
})

describe('[F1][F4] rule marks', () => {
  it('[F4] mutes come before rules, and only incoming activity matches', () => {
    const mute = rule({ id: 'm1', kind: 'mute', name: 'Muted sender', createdAt: T0 + 5 })
    const byText = rule({ id: 'r2', field: 'text', pattern: 'code' })
    const sms = activity('c1', { from: '12345', body: 'your code' })
    expect(matchingRule([byText, mute], sms)?.id).toBe('m1')
    expect(matchingRule([byText], sms)?.id).toBe('r2')
    expect(matchingRule([byText, mute], { ...sms, direction: 'outgoing' })).toBeNull()
    expect(matchingRule([rule({ kind: 'close', days: 3 })], sms)).toBeNull()
  })

  it('[F1][M4] a rule mark has seen the SMS it follows: the conversation is Done and read, on every replica', () => {
    const relay = new Y.Doc()
    ingestActivity(relay, activity('c1', { from: '12345' }))
    markDoneByRule(relay, 'c1', { id: 'm1', name: 'Muted sender' }, ruleClock())
    const replica = new Y.Doc()
    sync(relay, replica)
    for (const doc of [relay, replica])
      expect(getConversation(doc, 'c1')).toMatchObject({
        status: 'done',
        unread: false,
        reopenedBy: null,
      })
    expect(history(replica, 'c1').at(-1)).toMatchObject({
      kind: 'done',
      deviceId: RULE_DEVICE,
      rule: 'Muted sender',
      ruleId: 'm1',
    })
  })

  it('[F1][B6] the next SMS reopens until its own rule mark; a member’s later Open wins as any later intent', () => {
    const relay = new Y.Doc()
    const clock = ruleClock()
    ingestActivity(relay, activity('c1', { from: '12345' }))
    markDoneByRule(relay, 'c1', { id: 'm1', name: 'Muted' }, clock)
    ingestActivity(relay, activity('c1', { from: '12345' }))
    expect(getConversation(relay, 'c1')).toMatchObject({ status: 'open', unread: true })
    markDoneByRule(relay, 'c1', { id: 'm1', name: 'Muted' }, clock)
    expect(getConversation(relay, 'c1')).toMatchObject({ status: 'done', unread: false })
    // Bob's clock runs behind the relay's: [M3] still sorts his mark after the rule's.
    const bob = device('bob', 'bob-web', T0)
    markConversation(relay, 'c1', 'open', bob.author)
    expect(getConversation(relay, 'c1')).toMatchObject({ status: 'open' })
  })

  it('[F1][M2] an offline member’s Open stamped after the rule mark wins it, as any later intent', () => {
    const relay = new Y.Doc()
    ingestActivity(relay, activity('c1'))
    const offline = new Y.Doc()
    sync(relay, offline)
    markConversation(offline, 'c1', 'open', device('bob', 'bob-web', T0 + 120_000).author)
    ingestActivity(relay, activity('c1', { from: '12345' }))
    markDoneByRule(relay, 'c1', { id: 'm1', name: 'Muted' }, ruleClock())
    sync(relay, offline)
    // Bob's Open is newer than the rule mark (his clock is ahead), so his intent wins: Open.
    expect(getConversation(offline, 'c1')?.status).toBe('open')
    expect(getConversation(relay, 'c1')?.status).toBe('open')
  })

  it('[F2] a member may not write a history entry naming a rule', () => {
    const relay = new Y.Doc()
    ingestActivity(relay, activity('c1'))
    const replica = new Y.Doc()
    sync(relay, replica)
    const updates = recordUpdates(replica)
    inboxRoots.history(replica).push([
      {
        conversationId: 'c1',
        kind: 'done',
        memberId: 'alice',
        deviceId: 'alice-web',
        at: formatTimestamp({ wall: T0, counter: 0, device: 'alice-web' }),
        rule: 'Verification codes',
      },
    ])
    const result = validateUpdate(relay, Y.mergeUpdates(updates), {
      room: parseRoom('inbox:pn1') as Room,
      memberId: 'alice',
      now: T0,
      maxDrift: 60_000,
    })
    expect(result).toMatchObject({ ok: false, code: 'forbidden' })
  })

  it('[F6] members cannot write the mutes mirror', () => {
    const relay = new Y.Doc()
    ingestActivity(relay, activity('c1'))
    const replica = new Y.Doc()
    sync(relay, replica)
    const updates = recordUpdates(replica)
    mutesRoot(replica).set('x', { id: 'x', pattern: '*1*', by: 'alice', at: T0 })
    const result = validateUpdate(relay, Y.mergeUpdates(updates), {
      room: parseRoom('inbox:pn1') as Room,
      memberId: 'alice',
      now: T0,
      maxDrift: 60_000,
    })
    expect(result).toMatchObject({ ok: false, code: 'forbidden' })
  })
})

describe('[F6] the mutes mirror', () => {
  it('[F6] writeMutes makes the mirror equal the list; a repeat writes nothing; muteOf names the covering mute', () => {
    const doc = new Y.Doc()
    const a = { id: 'm1', pattern: '#####', by: 'alice', at: T0 }
    const b = { id: 'm2', pattern: '+15550100', by: 'bob', at: T0 + 1 }
    writeMutes(doc, [a, b])
    expect(listMutes(doc)).toEqual([a, b])
    const updates = recordUpdates(doc)
    writeMutes(doc, [a, b])
    expect(updates).toHaveLength(0)
    writeMutes(doc, [b])
    expect(listMutes(doc)).toEqual([b])
    expect(muteOf(listMutes(doc), ['+15550100'])?.id).toBe('m2')
    expect(muteOf(listMutes(doc), ['12345'])).toBeNull()
  })

  it('[F6][E2] compaction keeps the mutes mirror', () => {
    const doc = new Y.Doc()
    ingestActivity(doc, activity('c1'))
    writeMutes(doc, [{ id: 'm1', pattern: '#####', by: 'alice', at: T0 }])
    const { doc: next } = compactInbox(doc, { epoch: 'e1', historySince: 0, now: T0 })
    expect(listMutes(next).map((m) => m.id)).toEqual(['m1'])
  })
})

describe('[F5] auto-close', () => {
  it('[F5] closes only Open, read conversations whose last activity is ours and older than N days', () => {
    const doc = new Y.Doc()
    const now = T0 + 10 * DAY
    const alice = device('alice', 'alice-web', T0 + DAY)
    // c1: we replied 8 days ago, no answer since → stale.
    ingestActivity(doc, activity('c1', { at: T0 }))
    ingestActivity(doc, activity('c1', { direction: 'outgoing', at: T0 + 2 * DAY }))
    markConversation(doc, 'c1', 'read', alice.author)
    // c2: the customer wrote last → awaiting our reply, never closed.
    ingestActivity(doc, activity('c2', { at: T0 }))
    markConversation(doc, 'c2', 'read', alice.author)
    // c3: we replied yesterday → not yet.
    ingestActivity(doc, activity('c3', { direction: 'outgoing', at: now - DAY }))
    // c4: stale but marked Unread (a reminder) → kept.
    ingestActivity(doc, activity('c4', { direction: 'outgoing', at: T0 }))
    markConversation(doc, 'c4', 'unread', alice.author)
    // c5: stale but snoozed → kept.
    ingestActivity(doc, activity('c5', { direction: 'outgoing', at: T0 }))
    // c6: stale and Done already → nothing to do.
    ingestActivity(doc, activity('c6', { direction: 'outgoing', at: T0 }))
    markConversation(doc, 'c6', 'done', alice.author)
    // c7: stale, but Alice reopened it yesterday → her recent intent stands.
    ingestActivity(doc, activity('c7', { direction: 'outgoing', at: T0 }))
    markConversation(doc, 'c7', 'open', device('alice', 'alice-web', now - DAY).author)
    const stale = staleConversations(doc, { days: 7, now, isSnoozed: (c) => c.id === 'c5' })
    expect(stale).toEqual(['c1'])
    markDoneByRule(doc, 'c1', { id: 'r9', name: 'Stale after 7 days' }, ruleClock(now))
    expect(getConversation(doc, 'c1')?.status).toBe('done')
    expect(staleConversations(doc, { days: 7, now })).toEqual(['c5'])
  })
})
