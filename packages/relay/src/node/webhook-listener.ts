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
import { createRpc, type Rpc } from './thread-rpc.ts'

/** What the thread is started with (its `workerData`). */
export interface ListenerThreadData {
  port: number
  host: string
  /** How much nicer than the process the thread runs (`WEBHOOK_NICE`); 0: as the process. */
  nice: number
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
  /** The thread serving now (another one after a restart). */
  thread(): Worker
  /** Threads started again after one died. */
  readonly restarts: number
  close(): Promise<void>
}

/** How often the connected numbers' revision is compared (a number; nothing is read when equal). */
const CHECK_NUMBERS_MS = 100
/** The wait before a dead thread is started again, doubled after each start that fails soon. */
const RESTART_FIRST_MS = 100
const RESTART_MAX_MS = 5_000
/** A thread that served this long died on its own: the next restart waits the first delay again. */
const RESTART_SETTLED_MS = 10_000

type ThreadCalls = {
  accounts(entries: ReturnType<WebhookHost['accounts']>): void
  start(): number
  close(): void
}

/** A thread of the listener, started and serving. */
interface Started {
  worker: Worker
  rpc: Rpc<ThreadCalls>
  port: number
  exited: boolean
  sendAccounts(): void
}

/**
 * Starts the listener on `port` (0: a free one); rejects when the port cannot be opened. A thread
 * that dies later (an uncaught error, out of memory) is logged and started again on the same port.
 */
export async function startWebhookListener(
  host: WebhookHost,
  options: { port: number; host: string; nice?: number },
): Promise<WebhookListener> {
  const settings = host.settings
  let closing: Promise<void> | null = null
  let restarts = 0
  let failedInARow = 0
  let restartTimer: ReturnType<typeof setTimeout> | null = null
  // Null until the first thread listens (an exit before then is the start's failure).
  let current: Started | null = null
  const first = await spawn(options.port).catch((err: unknown) => {
    throw new Error(`WEBHOOK_PORT ${options.port}: ${(err as Error).message}`)
  })
  current = first
  const port = first.port

  /** A thread serving `port`, its copy of the numbers sent; rejects when it cannot listen. */
  async function spawn(on: number): Promise<Started> {
    const data: ListenerThreadData = { nice: 0, ...options, port: on, settings }
    const worker: Worker = startThread(new URL('./webhook-thread.ts', import.meta.url), data)
    let sent = -1
    const rpc = createRpc<ThreadCalls>(
      worker,
      {
        // Looked up at each call, so a wrapper set later (a test counting calls) sees them.
        ingest: (activity: Parameters<WebhookHost['ingest']>[0]) => host.ingest(activity),
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
    const started = performance.now()
    const self: Started = { worker, rpc, port: on, exited: false, sendAccounts }
    worker.on('error', (err) =>
      host.log({ level: 'error', msg: 'webhook listener failed', err: String(err) }),
    )
    worker.on('exit', (code) => {
      self.exited = true
      rpc.fail(`the webhook listener's thread exited (${code})`)
      if (closing || current !== self) return
      if (performance.now() - started >= RESTART_SETTLED_MS) failedInARow = 0
      restartLater(code)
    })
    sendAccounts()
    try {
      self.port = await rpc.call('start')
    } catch (err) {
      await worker.terminate()
      throw err
    }
    return self
  }

  /** Starts a thread again on the same port, after a delay that grows while starts keep failing. */
  function restartLater(code: number) {
    const delay = Math.min(RESTART_MAX_MS, RESTART_FIRST_MS * 2 ** failedInARow++)
    host.log({ level: 'error', msg: 'webhook listener thread exited: restarting', code, delay })
    restartTimer = setTimeout(() => {
      restartTimer = null
      if (closing) return
      spawn(port).then(
        (next) => {
          if (closing) return void next.worker.terminate()
          current = next
          restarts++
          host.log({ level: 'info', msg: 'webhook listener restarted', port })
        },
        (err: unknown) => {
          host.log({ level: 'error', msg: 'webhook listener restart failed', err: String(err) })
          restartLater(-1)
        },
      )
    }, delay)
    restartTimer.unref?.()
  }

  const check = setInterval(() => {
    if (!current!.exited) current!.sendAccounts()
  }, CHECK_NUMBERS_MS)
  check.unref()
  return {
    port,
    url: `http://${options.host}:${port}`,
    thread: () => current!.worker,
    get restarts() {
      return restarts
    },
    close: () =>
      (closing ??= (async () => {
        clearInterval(check)
        if (restartTimer) clearTimeout(restartTimer)
        const { worker, rpc, exited } = current!
        if (!exited) await rpc.call('close').catch(() => {})
        await worker.terminate()
      })()),
  }
}
