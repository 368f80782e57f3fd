/**
 * @module The webhook listener's thread (started by webhook-listener.ts): an HTTP server of its
 * own for `/api/webhooks/*` (webhook-app.ts), so Node's HTTP parsing, body reading, signature
 * checks and payload parsing run off the relay's main event loop. It keeps a copy of the
 * connected numbers the main thread sends, and asks the main thread for everything else.
 */
import { serve, type HttpBindings, type ServerType } from '@hono/node-server'
import type { AddressInfo } from 'node:net'
import { parentPort, workerData } from 'node:worker_threads'
import type { ProviderAccount } from '../providers/provider-account.ts'
import { webhookApp, type RemoteHost, type WebhookCounter } from '../webhook-app.ts'
import { WebhookUnavailable } from '../webhook-errors.ts'
import type { AccountEntry, WebhookCounts, WebhookHost } from '../webhook-host.ts'
import { answeringRetries, confirmedIds } from './confirmed-ids.ts'
import { readIncomingBody } from './incoming-body.ts'
import { readIncomingHeader } from './incoming-headers.ts'
import { niceThisThread } from './thread-nice.ts'
import { createRpc } from './thread-rpc.ts'
import type { ListenerThreadData, ThreadError } from './webhook-listener.ts'

/** How often the counts go to the main thread's metrics. */
const COUNT_EVERY_MS = 250
/** How long a closing listener lets the requests under way finish. */
const DRAIN_MS = 2_000

const data = workerData as ListenerThreadData
let known = new Map<string, AccountEntry>()
let server: ServerType | null = null
let underWay = 0
let drained: (() => void) | null = null

type MainCalls = Pick<WebhookHost, keyof RemoteHost | 'count' | 'account'>
const main = createRpc<MainCalls>(
  parentPort!,
  {
    accounts(entries: AccountEntry[]) {
      known = new Map(entries.map((e) => [e.id, e]))
    },
    start: () => start(),
    close: () => close(),
  },
  {
    decodeError: (encoded) => {
      const e = encoded as ThreadError
      return e.unavailable ? new WebhookUnavailable(e.unavailable) : new Error(e.message)
    },
  },
)

// Counted here, reported in bulk: one message a quarter second, not one per post.
const counts = new Map<string, WebhookCounts[number]>()
const add = (counter: WebhookCounts[number][0], label: string, status: number) => {
  const key = `${counter}\u0000${label}\u0000${status}`
  const held = counts.get(key)
  if (held) held[3]++
  else counts.set(key, [counter, label, status, 1])
}
const report = setInterval(() => {
  if (counts.size === 0) return
  main.note('count', [...counts.values()])
  counts.clear()
}, COUNT_EVERY_MS)
const metrics: WebhookCounter = {
  webhook: (provider, status) => add('webhook', provider, status),
  webhookDuplicate: (provider) => add('duplicate', provider, 0),
  authFailure: (reason) => add('refused', reason, 0),
}

const accounts = {
  get(id: string): ProviderAccount | null {
    const e = known.get(id)
    if (!e) return null
    if ('error' in e) throw new Error(e.error)
    return e.account
  },
}
// A number this copy does not know may have been connected a moment ago: asked of the main
// thread before its webhook is answered 404 (one question at a time per number).
const asking = new Map<string, Promise<void>>()
function ask(id: string): Promise<void> {
  let pending = asking.get(id)
  if (!pending) {
    pending = main
      .call('account', id)
      .then((e) => {
        if ('error' in e || e.account) known.set(id, e)
      })
      .finally(() => asking.delete(id))
    asking.set(id, pending)
  }
  return pending
}

const app = webhookApp({
  settings: data.settings,
  accounts,
  host: {
    // [W12] A retry of an id the main thread confirmed is answered here; first deliveries go there.
    ingest: answeringRetries(confirmedIds(), (activity) => main.call('ingest', activity)),
    takeActivities: (input) => main.call('takeActivities', input),
    reportDelivery: (id, report) => main.call('reportDelivery', id, report),
    // Only a call or voicemail is recorded (quo-calls.ts): a message need not cross.
    quoFiled: (id, activity) => {
      if (activity.kind === 'call' || activity.kind === 'voicemail')
        main.note('quoFiled', id, activity)
    },
    quoAttach: (id, callId, patch) => main.call('quoAttach', id, callId, patch),
    log: (event) => main.note('log', event),
  },
  metrics,
  readBody: readIncomingBody,
  readHeader: readIncomingHeader,
})

async function handle(request: Request, env: unknown): Promise<Response> {
  underWay++
  try {
    const url = (env as Partial<HttpBindings>).incoming?.url ?? new URL(request.url).pathname
    const [, api, hooks, provider, id] = url.split('?')[0]!.split('/')
    if (api === 'api' && hooks === 'webhooks' && id && PROVIDERS.has(provider!) && !known.has(id))
      await ask(id)
    return await app.fetch(request, env)
  } finally {
    if (--underWay === 0) drained?.()
  }
}
const PROVIDERS = new Set(['twilio', 'telnyx', 'quo'])

function start(): Promise<number> {
  const refused = niceThisThread(data.nice)
  if (refused)
    main.note('log', {
      level: 'warn',
      msg: 'webhook listener: WEBHOOK_NICE not applied',
      err: refused,
    })
  return new Promise((resolve, reject) => {
    const s = serve({ fetch: handle, port: data.port, hostname: data.host }, () =>
      resolve((s.address() as AddressInfo).port),
    )
    s.on('error', reject)
    s.on('clientError', (_err, socket) => socket.destroy())
    server = s
  })
}

async function close(): Promise<void> {
  clearInterval(report)
  if (counts.size > 0) main.note('count', [...counts.values()])
  const s = server
  if (!s) return
  await new Promise<void>((resolve) => {
    s.close(() => resolve())
    ;(s as { closeIdleConnections?: () => void }).closeIdleConnections?.()
    const done = () => {
      ;(s as { closeAllConnections?: () => void }).closeAllConnections?.()
      resolve()
    }
    if (underWay === 0) return done()
    drained = done
    setTimeout(done, DRAIN_MS).unref()
  })
}
