/**
 * @module Filing Quo's summaries and transcripts beside their call [W10]. They name only the
 * call, so the relay records where each call it takes in was filed; a summary of a call it does
 * not know (it came first, or before this table existed) is placed by asking Quo's API for the
 * call (`GET /v1/calls/{callId}`: its number and participants). A look-up that fails answers 503,
 * so Quo sends the event again later.
 */
import { setCallDetails, type Activity, type CallDetailsPatch } from '@switchboard/core'
import type * as Y from 'yjs'
import { RELAY_ORIGIN } from '../room.ts'
import type { QueuedReports } from '../scale/queued-writes.ts'
import type { RelayStorage } from '../storage/relay-storage.ts'
import type { ProviderAccount } from './provider-account.ts'
import { providerActivityId, providerConversationId } from './provider-activity.ts'
import { field } from './provider-send.ts'
import type { WebhookAnswer } from './provider-webhook.ts'

type QuoAccount = Extract<ProviderAccount, { provider: 'quo' }>

export interface QuoCallsDeps {
  storage: Pick<
    RelayStorage,
    'getProviderCall' | 'putProviderCall' | 'hasActivity' | 'setConversationPhoneNumber'
  >
  writeRoom(name: string, fn: (doc: Y.Doc) => void): Promise<void>
  /** `QUO_API_BASE`, without a trailing slash. */
  apiBase: string
  now: () => number
  /** How long one request to Quo's API may take. */
  lookupTimeoutMs?: number
  /** Several relays: details go to the conversation's owner as queued rows [W11]. */
  queued?: Pick<QueuedReports, 'callDetails'> | undefined
}

export interface QuoCalls {
  /** Records where a call or voicemail of the number was filed, for its later details. */
  filed(account: ProviderAccount, activity: Activity): void
  /** Attaches a summary or transcript to its call, in the call's conversation document. */
  attach(account: QuoAccount, callId: string, patch: CallDetailsPatch): Promise<WebhookAnswer>
}

/** The key of a Quo call in the directory: its activity id as a call, whatever it became. */
const callKeyOf = (callId: string) => providerActivityId('quo', 'call', callId)
const digits = (n: string) => n.replace(/\D/g, '')

type Placed =
  | { ok: true; conversationId: string; activityId: string }
  | { ok: true; conversationId: null; ignored: string }
  | { ok: false; reason: string }

export function createQuoCalls(deps: QuoCallsDeps): QuoCalls {
  const { storage } = deps
  const timeoutMs = deps.lookupTimeoutMs ?? 10_000
  // A number's Quo id (`PN…`) does not change: asked once per relay.
  const quoIds = new Map<string, string>()

  async function get(account: QuoAccount, path: string): Promise<unknown> {
    const res = await fetch(`${deps.apiBase}${path}`, {
      headers: { authorization: account.credentials.apiKey },
      signal: AbortSignal.timeout(timeoutMs),
    })
    if (!res.ok) throw new Error(`Quo's API answered ${res.status} to GET ${path.split('?')[0]}`)
    return res.json()
  }

  async function quoIdOf(account: QuoAccount): Promise<string | null> {
    const known = quoIds.get(account.phoneNumberId)
    if (known) return known
    const body = (await get(account, '/v1/phone-numbers')) as { data?: unknown }
    const numbers = Array.isArray(body.data) ? body.data : []
    const id = field(
      numbers.find((n) => digits(field(n, 'number') ?? '') === digits(account.number)),
      'id',
    )
    if (id) quoIds.set(account.phoneNumberId, id)
    return id ?? null
  }

  /** The call at Quo: its conversation here, or why it is not this number's. */
  async function lookUp(account: QuoAccount, callId: string): Promise<Placed> {
    let call: unknown
    let ours: string | null
    try {
      const body = (await get(account, `/v1/calls/${encodeURIComponent(callId)}`)) as {
        data?: unknown
      }
      call = body.data
      ours = await quoIdOf(account)
    } catch (error) {
      return { ok: false, reason: error instanceof Error ? error.message : String(error) }
    }
    if (typeof call !== 'object' || call === null)
      return { ok: false, reason: "Quo's API answered no call" }
    if (!ours) return { ok: true, conversationId: null, ignored: 'number not in the Quo workspace' }
    const callNumber = field(call, 'phoneNumberId')
    if (callNumber !== ours)
      return { ok: true, conversationId: null, ignored: 'call of another phone number' }
    const participants = (call as { participants?: unknown }).participants
    const contact = (Array.isArray(participants) ? participants : []).find(
      (p): p is string => typeof p === 'string' && digits(p) !== digits(account.number),
    )
    if (!contact) return { ok: false, reason: "Quo's API named no participant of the call" }
    const voicemail = providerActivityId('quo', 'vm', callId)
    return {
      ok: true,
      conversationId: providerConversationId(account.phoneNumberId, contact),
      activityId: storage.hasActivity(voicemail) ? voicemail : callKeyOf(callId),
    }
  }

  return {
    filed(account, activity) {
      if (account.provider !== 'quo' || (activity.kind !== 'call' && activity.kind !== 'voicemail'))
        return
      const callKey = callKeyOf(activity.id.replace(/^quo-(call|vm)-/, ''))
      // A retried call.completed writes nothing: the first record stays anyway.
      if (storage.getProviderCall(callKey)) return
      storage.putProviderCall({
        callKey,
        phoneNumberId: account.phoneNumberId,
        conversationId: activity.conversationId,
        activityId: activity.id,
      })
    },

    async attach(account, callId, patch) {
      const known = storage.getProviderCall(callKeyOf(callId))
      let placed: Placed
      if (known && known.phoneNumberId !== account.phoneNumberId)
        placed = { ok: true, conversationId: null, ignored: 'call of another phone number' }
      else if (known) placed = { ok: true, ...known }
      else placed = await lookUp(account, callId)
      if (!placed.ok)
        return { status: 503, body: { error: `call ${callId} is not known yet: ${placed.reason}` } }
      if (placed.conversationId === null) return { status: 200, body: { ignored: placed.ignored } }
      const { conversationId, activityId } = placed
      // A conversation first seen through its call's details belongs to this number, as [W5].
      storage.setConversationPhoneNumber(conversationId, account.phoneNumberId)
      if (deps.queued) {
        const answer = await deps.queued.callDetails(conversationId, activityId, patch)
        return { status: 200, body: { callDetails: activityId, ...answer } }
      }
      let changed = false
      await deps.writeRoom(`conversation:${conversationId}`, (doc) => {
        changed = setCallDetails(doc, activityId, patch, deps.now(), RELAY_ORIGIN)
      })
      return { status: 200, body: { callDetails: activityId, duplicate: !changed } }
    },
  }
}
