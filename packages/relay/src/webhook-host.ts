/**
 * @module What a webhook listener on a thread of its own (node/webhook-listener.ts) asks of the
 * relay: the connected numbers with their credentials opened, and the work that must stay on the
 * main thread — ingestion (dedupe, the rooms' writes, broadcast), delivery reports, Quo's calls,
 * the generic webhook's checks against the store, metrics and logs. Every argument and answer is
 * plain data, so it crosses a MessagePort as it is.
 */
import type { Activity, CallDetailsPatch, IngestResult } from '@switchboard/core'
import { parseWebhook } from './ingestion.ts'
import type { Metrics } from './metrics.ts'
import type { DeliveryReport } from './providers/delivery-reports.ts'
import type { ProviderAccount, ProviderAccounts } from './providers/provider-account.ts'
import type { WebhookAnswer } from './providers/provider-webhook.ts'
import type { QuoCalls } from './providers/quo-calls.ts'
import type { RelayStorage } from './storage/relay-storage.ts'

/** A connected number as the listener holds it: its account, or why its credentials do not open. */
export type AccountEntry =
  { id: string; account: ProviderAccount | null } | { id: string; error: string }

/** The generic webhook's answer: status and JSON body. */
export interface ActivitiesAnswer {
  status: number
  body: Record<string, unknown>
}

/** Counts a listener made since its last report: `[counter, label, status or 0, how many]`. */
export type WebhookCounts = [counter: 'webhook' | 'duplicate' | 'refused', string, number, number][]

export interface WebhookSettings {
  publicUrl?: string
  /** Body cap of every webhook (the frame cap, MAX_FRAME_BYTES). */
  maxBodyBytes: number
  /** The generic webhook's HMAC key. */
  webhookSecret: string
  /** `RELAY_PUBLIC_URLS`, named in the answers' Content-Security-Policy. */
  relayUrls: readonly string[]
}

export interface WebhookHost {
  readonly settings: WebhookSettings
  ingest(activity: Activity): Promise<IngestResult>
  /** [A5][A6] The generic webhook's verified body: checked against the store, then ingested. */
  takeActivities(input: unknown): Promise<ActivitiesAnswer>
  reportDelivery(phoneNumberId: string, report: DeliveryReport): Promise<boolean>
  quoFiled(phoneNumberId: string, activity: Activity): void
  quoAttach(phoneNumberId: string, callId: string, patch: CallDetailsPatch): Promise<WebhookAnswer>
  count(counts: WebhookCounts): void
  log(event: Record<string, unknown>): void
  /** Moves on with every change of a number or its credentials (Directory.phoneNumbersRevision). */
  accountsRevision(): number
  /** Every number connected through a provider. */
  accounts(): AccountEntry[]
  account(id: string): AccountEntry
}

export interface WebhookHostDeps {
  publicUrl: string | undefined
  maxFrameBytes: number
  webhookSecret: string
  relayUrls: readonly string[]
  storage: RelayStorage
  accounts: ProviderAccounts
  ingest(activity: Activity): Promise<IngestResult>
  metrics: Metrics
  log(event: Record<string, unknown>): void
  now(): number
  reportDelivery(account: ProviderAccount, report: DeliveryReport): Promise<boolean>
  quoCalls: QuoCalls
}

/** [A5][A6] Checks a generic webhook's body against the store and ingests its activities. */
export async function takeActivities(
  deps: Pick<WebhookHostDeps, 'storage' | 'ingest' | 'metrics' | 'now'>,
  input: unknown,
): Promise<ActivitiesAnswer> {
  const parsed = parseWebhook(deps.storage, input, deps.now())
  if (!parsed.ok)
    return { status: parsed.status ?? 400, body: { error: parsed.error, field: parsed.field } }
  // All taken in at once, in order: the ingestion batches them (a queue's one statement).
  const results = await Promise.all(
    parsed.activities.map(async (a) => ({ id: a.id, ...(await deps.ingest(a)) })),
  )
  for (const r of results) if (r.duplicate) deps.metrics.webhookDuplicate('generic')
  return { status: 202, body: { accepted: results.length, results } }
}

export function createWebhookHost(deps: WebhookHostDeps): WebhookHost {
  const { storage, accounts, metrics } = deps
  const entry = (id: string): AccountEntry => {
    try {
      return { id, account: accounts.get(id) }
    } catch (err) {
      return { id, error: err instanceof Error ? err.message : String(err) }
    }
  }
  const connected = (id: string) => {
    const e = entry(id)
    return 'account' in e ? e.account : null
  }
  return {
    settings: {
      ...(deps.publicUrl === undefined ? {} : { publicUrl: deps.publicUrl }),
      maxBodyBytes: deps.maxFrameBytes,
      webhookSecret: deps.webhookSecret,
      relayUrls: [...deps.relayUrls],
    },
    ingest: deps.ingest,
    takeActivities: (input) => takeActivities(deps, input),
    async reportDelivery(id, report) {
      const account = connected(id)
      return account ? deps.reportDelivery(account, report) : false
    },
    quoFiled(id, activity) {
      const account = connected(id)
      if (account) deps.quoCalls.filed(account, activity)
    },
    async quoAttach(id, callId, patch) {
      const account = connected(id)
      if (account?.provider !== 'quo')
        return { status: 404, body: { error: 'unknown number' } } as WebhookAnswer
      return deps.quoCalls.attach(account, callId, patch)
    },
    count(counts) {
      for (const [counter, label, status, n] of counts)
        for (let i = 0; i < n; i++)
          if (counter === 'webhook') metrics.webhook(label, status)
          else if (counter === 'duplicate') metrics.webhookDuplicate(label)
          else metrics.authFailure(label)
    },
    log: deps.log,
    accountsRevision: () => storage.phoneNumbersRevision(),
    accounts: () =>
      storage
        .listPhoneNumbers()
        .filter((pn) => pn.provider)
        .map((pn) => entry(pn.id)),
    account: entry,
  }
}
