import { describe, expect, it } from 'vitest'
import type { Conversation } from '@switchboard/core'
import { actionMessage } from '../sync/actions.ts'
import { wasReopened } from './explain.ts'
import { inTab } from './inbox-view.ts'
import { Command, commandForKey } from './keyboard.ts'
import { fromLocalInput, snoozeChoices, snoozeNote, toLocalInput } from './snooze.ts'

const local = (y: number, m: number, d: number, h: number, min = 0) =>
  new Date(y, m - 1, d, h, min).getTime()

function c(
  snooze: Conversation['snooze'],
  last: Partial<Conversation['lastActivity']> = {},
): Conversation {
  return {
    id: 'c1',
    phoneNumberId: 'pn1',
    participants: ['+15550100'],
    contactName: null,
    status: 'open',
    unread: false,
    pinned: false,
    assignee: null,
    lastActivity: {
      id: 'a1',
      direction: 'incoming',
      kind: 'message',
      preview: 'hi',
      at: 0,
      ...last,
    },
    decidedBy: null,
    statusBy: null,
    reopenedBy: null,
    createdAt: 0,
    snooze,
  }
}

describe('snooze choices', () => {
  it('later today, tomorrow 9:00, next Monday 9:00, until they reply', () => {
    const wed = local(2026, 12, 9, 10, 20) // a Wednesday
    const choices = snoozeChoices(wed)
    expect(choices.map((x) => x.label)).toEqual([
      'Later today',
      'Tomorrow',
      'Next week',
      'Until they reply',
    ])
    expect(choices[0]!.until).toBe(local(2026, 12, 9, 14))
    expect(choices[1]!.until).toBe(local(2026, 12, 10, 9))
    expect(choices[2]!.until).toBe(local(2026, 12, 14, 9))
    expect(choices[3]!.until).toBe('reply')
  })

  it('late in the evening there is no "later today"; on a Monday next week is a week on', () => {
    expect(snoozeChoices(local(2026, 12, 9, 22)).map((x) => x.label)[0]).toBe('Tomorrow')
    const monday = local(2026, 12, 7, 8)
    expect(snoozeChoices(monday).find((x) => x.label === 'Next week')!.until).toBe(
      local(2026, 12, 14, 9),
    )
  })

  it('a custom time round-trips through the datetime-local value, seconds included', () => {
    const t = new Date(2026, 11, 9, 10, 20, 35).getTime()
    expect(fromLocalInput(toLocalInput(t))).toBe(t)
    expect(fromLocalInput('soon')).toBeNull()
  })
})

describe('[Z5] snooze notes', () => {
  const now = local(2026, 12, 9, 10)
  const snooze = { until: now + 60_000, memberId: 'alice', deviceId: 'd', at: 'x', wokenBy: null }
  it('away until a time or a reply, then back with the reason', () => {
    expect(snoozeNote(c(snooze), now)).toMatch(/^Snoozed until /)
    expect(snoozeNote(c({ ...snooze, until: null }), now)).toBe('Snoozed until they reply')
    expect(snoozeNote(c(snooze), now + 60_000)).toBe('Snooze ended')
    expect(snoozeNote(c({ ...snooze, wokenBy: 'a1' }), now)).toBe('Woken by new SMS')
    expect(snoozeNote(c({ ...snooze, wokenBy: 'a1' }, { kind: 'call' }), now)).toBe(
      'Woken by new call',
    )
    expect(snoozeNote(c(null), now)).toBeNull()
  })
})

describe('[Z5] the Snoozed tab', () => {
  const now = 1_000_000
  const snooze = { until: now + 60_000, memberId: 'alice', deviceId: 'd', at: 'x', wokenBy: null }
  const ctx = (at: number) => ({ memberId: 'alice', needsNewOwner: () => false, now: at })
  it('a snoozed conversation is only in Snoozed until it wakes, then back in Open', () => {
    const away = c(snooze)
    expect(inTab(away, 'snoozed', ctx(now))).toBe(true)
    for (const tab of ['open', 'unread', 'mine', 'unassigned'] as const)
      expect(inTab(away, tab, ctx(now))).toBe(false)
    expect(inTab(away, 'snoozed', ctx(now + 60_000))).toBe(false)
    expect(inTab(away, 'open', ctx(now + 60_000))).toBe(true)
  })
  it('H asks for the Snooze menu; the toast names the conversation and the choice', () => {
    expect(commandForKey({ key: 'h' })).toBe(Command.Snooze)
    expect(commandForKey({ key: 'h', editing: true })).toBeNull()
    expect(
      actionMessage({ kind: 'snooze', until: 'reply', label: 'Until they reply' }, 'Ada'),
    ).toBe('Snoozed Ada · Until they reply')
    expect(actionMessage({ kind: 'unsnooze' }, 'Ada')).toBe('Unsnoozed Ada')
  })
})

describe('[Z3] a snoozed Done', () => {
  it('is open because of the snooze, not "reopened by new message"', () => {
    const done = { memberId: 'alice', deviceId: 'd', kind: 'done' as const, at: 'x' }
    const snooze = { until: null, memberId: 'bob', deviceId: 'e', at: 'y', wokenBy: null }
    expect(wasReopened({ ...c(snooze), statusBy: done })).toBe(false)
    expect(wasReopened({ ...c(null), statusBy: done })).toBe(true)
  })
})
