/**
 * @module What every provider's webhook route shares: finding the connected number a path names,
 * the refusals ([W1]–[W4], [W7]) and taking a parsed event in as an activity ([W6], [W8]).
 */
import { checkActivity, type Activity, type IngestResult } from '@switchboard/core'
import type { BodyReader } from '../body-limits.ts'
import type { HeaderReader } from '../request-headers.ts'
import { MAX_ACTIVITY_AHEAD_MS } from '../ingestion.ts'
import type { ProviderAccount, ProviderAccounts, ProviderName } from './provider-account.ts'
import type { DeliveryReport } from './delivery-reports.ts'
import type { ParsedEvent } from './provider-activity.ts'
import type { QuoCalls } from './quo-calls.ts'

export interface ProviderWebhookDeps {
  /** The connected numbers and their opened credentials. */
  accounts: ProviderAccounts
  ingest(activity: Activity): Promise<IngestResult>
  /**
   * The base URL providers call (`PUBLIC_URL`): Twilio signs the URL it called, which a proxy in
   * front of the relay hides from the request. Unset: the request's own URL.
   */
  publicUrl?: string
  now?: () => number
  /** Body cap of a provider webhook [W2]. */
  maxBodyBytes: number
  /** Reads bodies the runtime's way (RelayOptions.readBody). */
  readBody?: BodyReader
  /** Reads request headers the runtime's way (RelayOptions.readHeader). */
  readHeader?: HeaderReader
  /** Counts a refused signature (metrics' auth failures). */
  onRefused?: (reason: string) => void
  /** Counts a delivery that brought nothing new (a retried event) [W6]. */
  onDuplicate?: (provider: ProviderName) => void
  /**
   * A provider's report of a reply's delivery (deliveries.ts) [O8]; false when no reply carries
   * the id. Without it, reports are acknowledged and ignored.
   */
  reportDelivery?: (account: ProviderAccount, report: DeliveryReport) => Promise<boolean>
  /**
   * Quo's calls, for their summaries and transcripts [W10]. Without it, those are acknowledged
   * and ignored.
   */
  quoCalls?: QuoCalls
}

/** Accounts that know no number: every provider webhook answers 404 until numbers are connected. */
export const noProviderAccounts: ProviderAccounts = { get: () => null }

/** An answer of a provider webhook: status and JSON body. */
export interface WebhookAnswer {
  /** 503: the event cannot be placed yet (a look-up at the provider failed); it is sent again. */
  status: 200 | 400 | 403 | 404 | 503
  body: Record<string, unknown>
}

/** [W1] The account a path's phone number id names, when it is connected through `provider`. */
export function accountFor<P extends ProviderName>(
  accounts: ProviderAccounts,
  provider: P,
  phoneNumberId: string,
): Extract<ProviderAccount, { provider: P }> | null {
  const account = accounts.get(phoneNumberId)
  return account?.provider === provider
    ? (account as Extract<ProviderAccount, { provider: P }>)
    : null
}

/** [W1] The same answer for a number that does not exist and one of another provider. */
export const unknownNumber: WebhookAnswer = { status: 404, body: { error: 'unknown number' } }

/** The raw body, read once (the body limit already bounds it). */
export { readBody as rawBody } from '../body-limits.ts'

/**
 * [W6][W7][W8] A parsed event in: a malformed one is 400 naming the field, an ignored one 200,
 * an activity is checked like any webhook activity, its time kept unless far ahead, and ingested
 * once (a duplicate answers 200 too).
 */
export async function takeIn(
  parsed: ParsedEvent,
  ingest: ProviderWebhookDeps['ingest'],
  now: number,
): Promise<WebhookAnswer> {
  if (!parsed.ok) return { status: 400, body: { error: parsed.error, field: parsed.field } }
  if (!parsed.activity) return { status: 200, body: { ignored: parsed.ignored } }
  const checked = checkActivity(clampTime(parsed.activity, now))
  if (!checked.ok)
    return {
      status: 400,
      body: { error: `${checked.field} ${checked.message}`, field: checked.field },
    }
  const result = await ingest(checked.value)
  return { status: 200, body: { activity: checked.value.id, duplicate: result.duplicate } }
}

/** [W8] A provider's time far ahead of the relay's clock is taken as the relay's time. */
function clampTime(activity: Activity, now: number): Activity {
  return activity.at > now + MAX_ACTIVITY_AHEAD_MS ? { ...activity, at: now } : activity
}

/**
 * [O8] A verified delivery report: applied to this number's reply that carries its id, 200 either
 * way (an id none carries — another system's message, an older attempt, another number's reply —
 * is acknowledged and ignored).
 */
export async function takeReport(
  account: ProviderAccount,
  report: DeliveryReport,
  deps: ProviderWebhookDeps,
): Promise<WebhookAnswer> {
  const matched = (await deps.reportDelivery?.(account, report)) ?? false
  return matched
    ? { status: 200, body: { delivery: report.state } }
    : { status: 200, body: { ignored: `no reply has the message id ${report.providerMessageId}` } }
}
