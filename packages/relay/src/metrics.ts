/** @module Prometheus text metrics, kept as plain counters so the hot path stays cheap. */

const STORE_BUCKETS_MS = [0.5, 1, 2, 5, 10, 25, 50, 100, 250, 1000]

export interface Metrics {
  connections: number
  roomsLoaded: number
  /** Bytes of big sync step 2s let in and not yet read, over every member [L6]. */
  syncBytesInFlight: number
  updatesIn: number
  updatesStored: number
  updatesBroadcast: number
  framesBroadcast: number
  bytesBroadcast: number
  acksSent: number
  compactions: number
  framesRejected: Map<string, number>
  authFailures: Map<string, number>
  socketsClosed: Map<number, number>
  /** Replies through a provider's outbox, by what became of them (queued, sent, …) [O1]–[O4]. */
  outboxReplies: Map<string, number>
  /** Sends tried again after the provider did not take them (5xx, 429, refused connection) [O2]. */
  outboxRetries: number
  /** Milliseconds the oldest reply the provider has not taken has waited, read at each scrape. */
  oldestUnsentMs: () => number
  /** Provider webhook posts, by `provider` and answer class (`2xx`, `4xx`, `5xx`). */
  webhooks: Map<string, number>
  /** Webhook deliveries that brought nothing new (a provider's retry), by provider [W6]. */
  webhookDuplicates: Map<string, number>
  outboxReply(outcome: OutboxMetric): void
  outboxRetry(): void
  webhook(provider: string, status: number): void
  webhookDuplicate(provider: string): void
  observeStore(ms: number): void
  reject(reason: string): void
  authFailure(reason: string): void
  closed(code: number): void
  render(): string
}

/** What the outbox metrics count: a reply queued (sent or resent), then its reported outcome. */
export const outboxMetrics = ['queued', 'sent', 'delivered', 'failed', 'unknown'] as const
export type OutboxMetric = (typeof outboxMetrics)[number]

const inc = <K>(map: Map<K, number>, key: K) => map.set(key, (map.get(key) ?? 0) + 1)

export function createMetrics(): Metrics {
  const buckets = new Array<number>(STORE_BUCKETS_MS.length).fill(0)
  let storeCount = 0
  let storeSum = 0
  const m: Metrics = {
    connections: 0,
    roomsLoaded: 0,
    syncBytesInFlight: 0,
    updatesIn: 0,
    updatesStored: 0,
    updatesBroadcast: 0,
    framesBroadcast: 0,
    bytesBroadcast: 0,
    acksSent: 0,
    compactions: 0,
    framesRejected: new Map(),
    authFailures: new Map(),
    socketsClosed: new Map(),
    outboxReplies: new Map(outboxMetrics.map((o) => [o, 0])),
    outboxRetries: 0,
    oldestUnsentMs: () => 0,
    webhooks: new Map(),
    webhookDuplicates: new Map(),
    outboxReply: (outcome) => inc(m.outboxReplies, outcome),
    outboxRetry: () => void m.outboxRetries++,
    webhook: (provider, status) =>
      inc(m.webhooks, `{provider="${provider}",class="${Math.floor(status / 100)}xx"}`),
    webhookDuplicate: (provider) => inc(m.webhookDuplicates, provider),
    observeStore(ms) {
      storeCount++
      storeSum += ms
      for (let i = 0; i < STORE_BUCKETS_MS.length; i++)
        if (ms <= STORE_BUCKETS_MS[i]!) buckets[i]!++
    },
    reject: (reason) => inc(m.framesRejected, reason),
    authFailure: (reason) => inc(m.authFailures, reason),
    closed: (code) => inc(m.socketsClosed, code),
    render() {
      const lines: string[] = []
      const metric = (name: string, type: string, help: string, values: [string, number][]) => {
        lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`)
        for (const [labels, v] of values) lines.push(`${name}${labels} ${v}`)
      }
      const labelled = (label: string, map: Map<string | number, number>): [string, number][] =>
        [...map].map(([k, v]) => [`{${label}="${String(k)}"}`, v])
      metric('switchboard_connections', 'gauge', 'Open WebSocket connections.', [
        ['', m.connections],
      ])
      metric('switchboard_rooms_loaded', 'gauge', 'Rooms held in memory.', [['', m.roomsLoaded]])
      metric(
        'switchboard_sync_bytes_in_flight',
        'gauge',
        'Bytes of sync step 2s over the frame cap being received.',
        [['', m.syncBytesInFlight]],
      )
      metric('switchboard_updates_in_total', 'counter', 'Document updates received from clients.', [
        ['', m.updatesIn],
      ])
      metric('switchboard_updates_stored_total', 'counter', 'Batches of updates made durable.', [
        ['', m.updatesStored],
      ])
      metric(
        'switchboard_updates_broadcast_total',
        'counter',
        'Update frames broadcast to rooms.',
        [['', m.updatesBroadcast]],
      )
      metric('switchboard_frames_sent_total', 'counter', 'Broadcast frames written to sockets.', [
        ['', m.framesBroadcast],
      ])
      metric('switchboard_acks_sent_total', 'counter', 'Ack messages sent.', [['', m.acksSent]])
      metric('switchboard_compactions_total', 'counter', 'Room logs compacted into snapshots.', [
        ['', m.compactions],
      ])
      metric(
        'switchboard_frames_rejected_total',
        'counter',
        'Frames refused, by reason.',
        labelled('reason', m.framesRejected),
      )
      metric(
        'switchboard_auth_failures_total',
        'counter',
        'Refused logins, tokens and room joins, by reason.',
        labelled('reason', m.authFailures),
      )
      metric(
        'switchboard_sockets_closed_total',
        'counter',
        'Sockets closed by the relay, by close code.',
        labelled('code', m.socketsClosed),
      )
      metric(
        'switchboard_outbox_replies_total',
        'counter',
        'Replies through a provider: queued (sent or resent), then reported sent, delivered, failed or unknown.',
        labelled('outcome', m.outboxReplies),
      )
      metric(
        'switchboard_outbox_retries_total',
        'counter',
        'Sends tried again after the provider did not take them.',
        [['', m.outboxRetries]],
      )
      metric(
        'switchboard_outbox_oldest_unsent_seconds',
        'gauge',
        'Age of the oldest reply the provider has not taken yet (0 when none).',
        [['', Math.max(0, m.oldestUnsentMs()) / 1000]],
      )
      metric(
        'switchboard_webhooks_total',
        'counter',
        'Webhook posts, by provider and answer class.',
        [...m.webhooks],
      )
      metric(
        'switchboard_webhook_duplicates_total',
        'counter',
        'Webhook deliveries that brought nothing new, by provider.',
        labelled('provider', m.webhookDuplicates),
      )
      lines.push(
        '# HELP switchboard_store_latency_ms Time from batch to durable, in ms.',
        '# TYPE switchboard_store_latency_ms histogram',
      )
      STORE_BUCKETS_MS.forEach((le, i) =>
        lines.push(`switchboard_store_latency_ms_bucket{le="${le}"} ${buckets[i]}`),
      )
      lines.push(
        `switchboard_store_latency_ms_bucket{le="+Inf"} ${storeCount}`,
        `switchboard_store_latency_ms_sum ${storeSum}`,
        `switchboard_store_latency_ms_count ${storeCount}`,
      )
      return lines.join('\n') + '\n'
    },
  }
  return m
}
