/**
 * @module The outbox sender (issue 22): sends the outbox's due replies through their numbers'
 * providers, one request at a time per reply, and turns each answer into a delivery [O2]–[O5].
 *
 * A provider that refuses the connection, or answers 5xx or 429 before taking a reply, is tried
 * again after a capped exponential backoff while the reply stays Sending [O2]. Twilio and Quo
 * take no idempotency key, so a request whose answer never came (a time-out, a reset, or a relay
 * killed mid-send, found in flight at the next start) is never sent again blindly: the sender
 * looks the message up at the provider, Sent if it is there, else Unknown for a person to check
 * and resend [O4].
 */
import type { DeliveryState } from '@switchboard/core'
import type { Deliveries } from './deliveries.ts'
import type { ProviderAccounts, ProviderName } from './providers/provider-account.ts'
import { retryDelay, type OutboxTiming } from './outbox-timing.ts'
import type { SendClient, SendResult } from './providers/provider-send.ts'
import { quoSend } from './providers/quo-send.ts'
import { telnyxSend } from './providers/telnyx-send.ts'
import { twilioSend } from './providers/twilio-send.ts'
import type { OutboxRow, RelayStorage } from './storage/relay-storage.ts'
import { isConflict } from './storage/storage-error.ts'

export const UNKNOWN_REASON = 'could not confirm — check and resend'

export const sendClients: Readonly<Record<ProviderName, SendClient>> = {
  twilio: twilioSend,
  telnyx: telnyxSend,
  quo: quoSend,
}

export interface OutboxSenderDeps {
  storage: RelayStorage
  accounts: ProviderAccounts
  deliveries: Deliveries
  apiBases: Readonly<Record<ProviderName, string>>
  /** `PUBLIC_URL`: where providers post delivery reports; without it none are asked for. */
  publicUrl: string | undefined
  now: () => number
  log: (event: Record<string, unknown>) => void
  timing: OutboxTiming
  clients?: Readonly<Record<ProviderName, SendClient>>
  /** Counts a send tried again [O2] (metrics.ts). */
  onRetry?: () => void
}

export interface OutboxSender {
  /** Resolves replies a killed relay left in flight, then sends what is due. */
  start(): void
  /** Looks for due replies now (after an enqueue). */
  wake(): void
  /** Stops taking replies; resolves once the requests under way have settled. */
  stop(): Promise<void>
}

/** Where a provider posts the delivery reports of a number's replies (Twilio, Telnyx). */
export function statusCallbackUrl(
  publicUrl: string | undefined,
  provider: ProviderName,
  phoneNumberId: string,
): string | undefined {
  if (!publicUrl) return undefined
  if (provider === 'twilio') return `${publicUrl}/api/webhooks/twilio/${phoneNumberId}/status`
  if (provider === 'telnyx') return `${publicUrl}/api/webhooks/telnyx/${phoneNumberId}`
  return undefined
}

export function createOutboxSender(deps: OutboxSenderDeps): OutboxSender {
  const { storage, deliveries, now, log, timing } = deps
  const clients = deps.clients ?? sendClients
  const running = new Map<string, Promise<void>>()
  let timer: ReturnType<typeof setTimeout> | null = null
  let stopped = true
  /** Aborts the requests under way when the relay stops; their rows stay in flight [O4]. */
  let stopping = new AbortController()
  const signal = () => AbortSignal.any([AbortSignal.timeout(timing.sendTimeoutMs), stopping.signal])

  const schedule = (ms: number) => {
    if (stopped) return
    if (timer) clearTimeout(timer)
    timer = setTimeout(tick, ms)
    timer.unref?.()
  }

  /** Runs `work` for a reply unless one is under way for it [O2]. */
  function run(row: OutboxRow, work: () => Promise<void>) {
    if (running.has(row.activityId)) return
    const done = work()
      .catch((err: unknown) =>
        log({
          level: 'error',
          msg: 'outbox send failed',
          activityId: row.activityId,
          err: String(err),
        }),
      )
      .finally(() => {
        running.delete(row.activityId)
        schedule(0)
      })
    running.set(row.activityId, done)
  }

  function tick() {
    timer = null
    if (stopped) return
    try {
      for (const row of storage.dueOutgoing(now(), 32)) run(row, () => send(row))
    } catch (err) {
      log({ level: 'error', msg: 'outbox read failed', err: String(err) })
    }
    schedule(timing.pollMs)
  }

  const fail = (row: OutboxRow, reason: string) => deliveries.report(row, 'failed', { reason })

  /**
   * [O4] Takes the row in flight, committed before any request is written; false when it is not
   * queued at this attempt any more, or another relay sharing the store took it first.
   */
  const start = (row: OutboxRow) =>
    storage
      .durably(() => storage.startOutgoing(row.activityId, row.attempt, now()))
      .catch((error: unknown) => {
        if (isConflict(error)) return false
        throw error
      })

  async function send(row: OutboxRow): Promise<void> {
    const account = deps.accounts.get(row.phoneNumberId)
    if (account?.provider !== row.provider) {
      if (await start(row))
        await fail(row, `the number is no longer connected through ${row.provider}`)
      return
    }
    if (!(await start(row))) return
    const started: OutboxRow = { ...row, state: 'in-flight', startedAt: now() }
    const result: SendResult = await clients[row.provider].send({
      account,
      apiBase: deps.apiBases[row.provider],
      to: row.to,
      body: row.body,
      statusCallback: statusCallbackUrl(deps.publicUrl, row.provider, row.phoneNumberId),
      idempotencyKey: `${row.activityId}:${row.attempt}`.replace(/[^A-Za-z0-9_:-]/g, '-'),
      signal: signal(),
    })
    // Stopped mid-request: the next start looks it up [O4].
    if (stopped && result.kind === 'unknown') return
    switch (result.kind) {
      case 'accepted':
        await deliveries.report(started, 'sent', { providerMessageId: result.providerMessageId })
        await deliveries.credentialsRejected(row.phoneNumberId, false)
        return
      case 'retry':
        // [O2] The provider never took it: the reply stays Sending and is tried again later.
        storage.retryOutgoing(
          row.activityId,
          row.attempt,
          now() + retryDelay(row.tries, timing),
          result.reason,
        )
        deps.onRetry?.()
        log({
          level: 'warn',
          msg: 'outbox retry',
          activityId: row.activityId,
          reason: result.reason,
        })
        return
      case 'refused':
        await fail(started, result.reason)
        if (result.status === 401 || result.status === 403)
          await deliveries.credentialsRejected(row.phoneNumberId, true)
        return
      case 'unknown':
        log({
          level: 'warn',
          msg: 'outbox send unconfirmed',
          activityId: row.activityId,
          reason: result.reason,
        })
        await confirm(started)
    }
  }

  /** [O4] A request whose answer never came: Sent if the provider has it, else Unknown. */
  async function confirm(row: OutboxRow): Promise<void> {
    const account = deps.accounts.get(row.phoneNumberId)
    let state: DeliveryState = 'unknown'
    let providerMessageId: string | undefined
    if (account?.provider === row.provider) {
      try {
        const found = await clients[row.provider].lookup({
          account,
          apiBase: deps.apiBases[row.provider],
          to: row.to,
          body: row.body,
          since: row.startedAt ?? row.createdAt,
          signal: signal(),
        })
        // A message another reply already claimed (the same words twice) is not this one.
        const mine = found.found
          ? found.providerMessageIds.find((id) => {
              const owner = storage.outgoingByProviderId(row.provider, id)
              return !owner || owner.activityId === row.activityId
            })
          : undefined
        if (mine) {
          state = 'sent'
          providerMessageId = mine
        }
      } catch (err) {
        log({
          level: 'warn',
          msg: 'outbox look-up failed',
          activityId: row.activityId,
          err: String(err),
        })
      }
    }
    if (stopped && state !== 'sent') return
    if (state === 'sent') await deliveries.report(row, 'sent', { providerMessageId })
    else await deliveries.report(row, 'unknown', { reason: UNKNOWN_REASON })
  }

  return {
    start() {
      if (!stopped) return
      stopped = false
      stopping = new AbortController()
      for (const row of storage.inFlightOutgoing()) run(row, () => confirm(row))
      schedule(0)
    },
    wake: () => schedule(0),
    async stop() {
      stopped = true
      stopping.abort()
      if (timer) clearTimeout(timer)
      timer = null
      await Promise.allSettled([...running.values()])
    },
  }
}
