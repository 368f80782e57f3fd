/**
 * @module Quo's call summaries and transcripts as a call's details [W10]. They name the call
 * (`callId`), not the contact: `call.summary.completed` carries `summary` and `nextSteps` (lists
 * of sentences), `call.transcript.completed` a `dialogue` of turns (`identifier` the speaker's
 * number, `content` what they said) (https://www.quo.com/docs/mdx/guides/webhooks). That page's
 * samples name the events `callSummary` and `callTranscript`; both spellings are read.
 */
import type { CallDetailsPatch, TranscriptTurn } from '@switchboard/core'

type Json = Record<string, unknown>
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v)
const str = (v: unknown) => (typeof v === 'string' && v.trim() ? v.trim() : null)

const SUMMARY = new Set(['call.summary.completed', 'callSummary'])
const TRANSCRIPT = new Set(['call.transcript.completed', 'callTranscript'])

/** What a verified Quo event tells of a call after it ended, if it is such an event. */
export type QuoCallDetailsEvent =
  | { ok: true; callId: string; patch: CallDetailsPatch }
  /** A summary or transcript Quo could not make (`status` absent, failed, in progress). */
  | { ok: true; callId: null; ignored: string }
  | { ok: false; error: string; field: string }

const lines = (v: unknown): string[] | null =>
  Array.isArray(v) ? v.flatMap((line) => (str(line) ? [str(line)!] : [])) : null

/** null when `body` is not a summary or transcript event (the caller parses it as any other). */
export function parseQuoCallDetails(body: unknown): QuoCallDetailsEvent | null {
  if (!isObject(body) || typeof body.type !== 'string') return null
  const summary = SUMMARY.has(body.type)
  if (!summary && !TRANSCRIPT.has(body.type)) return null
  const data = isObject(body.data) ? body.data : {}
  const field = isObject(data.object) ? 'data.object' : 'data.resource'
  const o = data.object ?? data.resource
  if (!isObject(o)) return { ok: false, error: `${field} must be an object`, field }
  const callId = str(o.callId)
  if (!callId) return { ok: false, error: `${field}.callId is required`, field: `${field}.callId` }
  if (o.status !== undefined && o.status !== 'completed')
    return { ok: true, callId: null, ignored: `${body.type} with status '${String(o.status)}'` }
  if (summary) {
    const said = lines(o.summary)
    const nextSteps = lines(o.nextSteps)
    if (!said && !nextSteps)
      return { ok: false, error: `${field}.summary must be a list`, field: `${field}.summary` }
    const patch: CallDetailsPatch = {}
    if (said) patch.summary = said
    if (nextSteps) patch.nextSteps = nextSteps
    return { ok: true, callId, patch }
  }
  if (!Array.isArray(o.dialogue))
    return { ok: false, error: `${field}.dialogue must be a list`, field: `${field}.dialogue` }
  const transcript: TranscriptTurn[] = o.dialogue.flatMap((turn) => {
    if (!isObject(turn)) return []
    const text = str(turn.content)
    if (!text) return []
    return [{ speaker: str(turn.identifier) ?? str(turn.userId) ?? 'unknown', text }]
  })
  return { ok: true, callId, patch: { transcript } }
}
