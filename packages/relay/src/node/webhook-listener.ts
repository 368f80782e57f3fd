/**
 * @module `WEBHOOK_PORT`: the providers' webhooks on a port of their own, answered by a thread of
 * the relay process (webhook-thread.ts), so their HTTP, signatures and parsing do not take turns
 * with the members' sockets on the main event loop (bench/README.md, workload 9). The main thread
 * keeps what touches rooms and the store (webhook-host.ts) and sends the thread the connected
 * numbers at start and whenever they change. The main port keeps answering webhooks too.
 */
import type { Worker } from 'node:worker_threads'
import { unavailableReason } from '../error-answers.ts'
import { startThread } from '../storage/programs.ts'
import type { WebhookHost, WebhookSettings } from '../webhook-host.ts'
import { createRpc } from './thread-rpc.ts'

/** What the thread is started with (its `workerData`). */
export interface ListenerThreadData {
  port: number
  host: string
  settings: WebhookSettings
}

/** An error of the main thread as the thread receives it. */
export interface ThreadError {
  message: string
  /** Set when the webhook may be sent again later: answered 503 with Retry-After. */
  unavailable?: string
}

export interface WebhookListener {
  port: number
  url: string
  close(): Promise<void>
}

/** How often the connected numbers' revision is compared (a number; nothing is read when equal). */
const CHECK_NUMBERS_MS = 100

type ThreadCalls = {
  accounts(entries: ReturnType<WebhookHost['accounts']>): void
  start(): number
  close(): void
}

/** Starts the listener on `port` (0: a free one); rejects when the port cannot be opened. */
export async function startWebhookListener(
  host: WebhookHost,
  options: { port: number; host: string },
): Promise<WebhookListener> {
  const data: ListenerThreadData = { ...options, settings: host.settings }
  const worker: Worker = startThread(new URL('./webhook-thread.ts', import.meta.url), data)
  let sent = -1
  const rpc = createRpc<ThreadCalls>(
    worker,
    {
      ingest: host.ingest,
      takeActivities: host.takeActivities,
      reportDelivery: host.reportDelivery,
      quoFiled: host.quoFiled,
      quoAttach: host.quoAttach,
      count: host.count,
      log: host.log,
      account(id: string) {
        sendAccounts()
        return host.account(id)
      },
    },
    {
      encodeError: (err): ThreadError => {
        const unavailable = unavailableReason(err)
        return {
          message: err instanceof Error ? err.message : String(err),
          ...(unavailable ? { unavailable } : {}),
        }
      },
    },
  )
  /** The numbers, when they changed since they were last sent (on this relay or, on PostgreSQL, another). */
  function sendAccounts() {
    const revision = host.accountsRevision()
    if (revision === sent) return
    sent = revision
    rpc.note('accounts', host.accounts())
  }
  let exited = false
  worker.on('error', (err) =>
    host.log({ level: 'error', msg: 'webhook listener failed', err: String(err) }),
  )
  worker.on('exit', (code) => {
    exited = true
    rpc.fail(`the webhook listener's thread exited (${code})`)
  })
  sendAccounts()
  let port: number
  try {
    port = await rpc.call('start')
  } catch (err) {
    await worker.terminate()
    throw new Error(`WEBHOOK_PORT ${options.port}: ${(err as Error).message}`)
  }
  const check = setInterval(sendAccounts, CHECK_NUMBERS_MS)
  check.unref()
  let closing: Promise<void> | null = null
  return {
    port,
    url: `http://${options.host}:${port}`,
    close: () =>
      (closing ??= (async () => {
        clearInterval(check)
        if (!exited) await rpc.call('close').catch(() => {})
        await worker.terminate()
      })()),
  }
}
