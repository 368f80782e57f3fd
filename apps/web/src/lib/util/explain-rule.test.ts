import { formatTimestamp, RULE_DEVICE, type Conversation } from '@switchboard/core'
import { describe, expect, it } from 'vitest'
import { explainState } from './explain.ts'

const wall = new Date(2026, 2, 12, 10, 2).getTime()
const at = formatTimestamp({ wall, counter: 0, device: RULE_DEVICE })
const decision = { memberId: RULE_DEVICE, deviceId: RULE_DEVICE, kind: 'done' as const, at }

const conversation: Conversation = {
  id: 'c1',
  phoneNumberId: 'pn1',
  participants: ['12345'],
  contactName: null,
  status: 'done',
  unread: false,
  pinned: false,
  assignee: null,
  lastActivity: null,
  decidedBy: decision,
  statusBy: decision,
  reopenedBy: null,
  snooze: null,
  createdAt: wall,
}

describe('a rule’s mark in the conversation header', () => {
  it('[F7] names the rule from the history entry of its mark', () => {
    const text = explainState(conversation, {
      nameOf: (id) => id,
      activity: () => null,
      history: [
        {
          conversationId: 'c1',
          kind: 'done',
          memberId: RULE_DEVICE,
          deviceId: RULE_DEVICE,
          at,
          rule: 'Verification codes',
          ruleId: 'r1',
        },
      ],
      now: wall + 60_000,
    })
    expect(text).toMatch(/^Marked done by rule 'Verification codes'/)
  })
})
