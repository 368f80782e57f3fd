/**
 * @module Mutes (any member who may triage the number) and rules (owners and admins) of a phone
 * number, as the thread header and Settings call them [F1]–[F8]; failures name their field.
 */
import type { TriageRule } from '@switchboard/core'
import { request, type ApiResult } from './api.ts'
import { session } from './session.svelte.ts'

const number = (id: string) => encodeURIComponent(id)
const token = () => session.current?.token

/** Mutes a sender's number (or a pattern: `#####` = any 5-digit short code). */
export const muteSender = (phoneNumberId: string, pattern: string) =>
  request<{ mute: TriageRule }>(`/api/phone-numbers/${number(phoneNumberId)}/mutes`, {
    method: 'POST',
    token: token(),
    body: { pattern },
  })

export const unmute = (phoneNumberId: string, muteId: string) =>
  request<{ mute: TriageRule }>(
    `/api/phone-numbers/${number(phoneNumberId)}/mutes/${encodeURIComponent(muteId)}`,
    { method: 'DELETE', token: token() },
  )

export const listRules = (phoneNumberId: string) =>
  request<{ rules: TriageRule[] }>(`/api/admin/phone-numbers/${number(phoneNumberId)}/rules`, {
    token: token(),
  })

/** `{name, kind: 'done', match: 'sender' | 'text', pattern}` or `{name, kind: 'close', days}`. */
export type NewRule =
  | { name: string; kind: 'done'; match: 'sender' | 'text'; pattern: string }
  | { name: string; kind: 'close'; days: number }

export const addRule = (
  phoneNumberId: string,
  rule: NewRule,
): Promise<ApiResult<{ rule: TriageRule }>> =>
  request(`/api/admin/phone-numbers/${number(phoneNumberId)}/rules`, {
    method: 'POST',
    token: token(),
    body: rule,
  })

export const removeRule = (phoneNumberId: string, ruleId: string) =>
  request<{ rule: TriageRule }>(
    `/api/admin/phone-numbers/${number(phoneNumberId)}/rules/${encodeURIComponent(ruleId)}`,
    { method: 'DELETE', token: token() },
  )

/** What a rule does, in a sentence for its list ("Done when the text has “code”"). */
export function describeRule(rule: TriageRule): string {
  if (rule.kind === 'close') return `Close after ${rule.days} days with no reply from the contact`
  const what =
    rule.field === 'text' ? `the text has “${rule.pattern}”` : `the sender is ${rule.pattern}`
  return rule.kind === 'mute' ? `Muted: ${rule.pattern}` : `Done when ${what}`
}
