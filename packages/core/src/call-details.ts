/**
 * @module What a provider tells of a call after it ended (issue 22): its summary, next steps and
 * transcript, in the conversation document beside the call.
 *
 * They arrive minutes after the call, in events of their own, and an activity is written once,
 * so they live in the relay-only `callDetails` map keyed by the call's activity id [W10]. Each
 * event fills its own fields; a repeat of one changes nothing, so retries add nothing.
 */
import type * as Y from 'yjs'
import { assert } from './assert.ts'

/** One turn of a call's transcript: who spoke (a phone number or a name) and what they said. */
export interface TranscriptTurn {
  speaker: string
  text: string
}

/** The details of one call. */
export interface CallDetails {
  summary?: string[]
  nextSteps?: string[]
  transcript?: TranscriptTurn[]
  /** Set when the details were cut to fit MAX_CALL_DETAILS_CHARS. */
  truncated?: true
  /** When the relay last wrote them (ms since the epoch). */
  at: number
}

/** The fields one provider event brings. */
export type CallDetailsPatch = Pick<CallDetails, 'summary' | 'nextSteps' | 'transcript'>

/**
 * The most text (summary, next steps and transcript together) one call's details hold: every
 * replica that opens the conversation downloads them, so an endless transcript is cut.
 */
export const MAX_CALL_DETAILS_CHARS = 64_000
/** The longest single line or turn kept. */
export const MAX_CALL_DETAILS_LINE = 4_000

export const callDetailsRoot = (doc: Y.Doc) => doc.getMap<CallDetails>('callDetails')

/** The details of the call `activityId`, or null when none came. */
export function callDetailsOf(doc: Y.Doc, activityId: string): CallDetails | null {
  return callDetailsRoot(doc).get(activityId) ?? null
}

/** `details` within the bounds: lines cut, and whatever lies past the total dropped. */
export function boundCallDetails(details: CallDetails): CallDetails {
  let left = MAX_CALL_DETAILS_CHARS
  let cut = false
  const take = (text: string): string | null => {
    if (left <= 0) {
      cut = true
      return null
    }
    const kept = text.slice(0, Math.min(MAX_CALL_DETAILS_LINE, left))
    if (kept.length < text.length) cut = true
    left -= kept.length
    return kept
  }
  const lines = (list: string[] | undefined) =>
    list?.flatMap((line) => {
      const kept = take(line)
      return kept === null ? [] : [kept]
    })
  const out: CallDetails = { at: details.at }
  const summary = lines(details.summary)
  const nextSteps = lines(details.nextSteps)
  const transcript = details.transcript?.flatMap((turn) => {
    const text = take(turn.text)
    return text === null ? [] : [{ speaker: turn.speaker.slice(0, 100), text }]
  })
  if (summary) out.summary = summary
  if (nextSteps) out.nextSteps = nextSteps
  if (transcript) out.transcript = transcript
  if (cut || details.truncated) out.truncated = true
  return out
}

const sameFields = (a: CallDetails, b: CallDetails) => {
  const { at: _a, ...restA } = a
  const { at: _b, ...restB } = b
  return JSON.stringify(restA) === JSON.stringify(restB)
}

/**
 * Adds what one event tells of a call (the relay's write); false when the call already had
 * exactly that, so a repeated event writes nothing.
 */
export function setCallDetails(
  doc: Y.Doc,
  activityId: string,
  patch: CallDetailsPatch,
  at: number,
  origin: unknown = null,
): boolean {
  assert(Number.isFinite(at), 'setCallDetails: at must be a time')
  const current = callDetailsOf(doc, activityId)
  const fields = Object.fromEntries(
    Object.entries(patch).filter(([, value]) => value !== undefined),
  ) as CallDetailsPatch
  const next = boundCallDetails({ ...current, ...fields, at })
  if (current && sameFields(current, next)) return false
  doc.transact(() => callDetailsRoot(doc).set(activityId, next), origin)
  return true
}
