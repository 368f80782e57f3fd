/**
 * @module Workload 9, provider webhooks in (issue 22): one Switchboard relay with three numbers
 * connected through the admin API (Twilio, Telnyx, Quo), a load process posting their signed
 * webhooks, each twice, and the fan-out's writer and subscribers in the demo inbox of the same
 * relay. Measures the webhooks' 2xx latency, reads every number's inbox back through a socket to
 * count activities per provider message id, and compares the marks' fan-out latency without and
 * with the webhooks.
 */
import { randomBytes } from 'node:crypto'
import * as Y from 'yjs'
import { readActivityLog } from '@switchboard/core'
import { startChild, type Child } from './child.ts'
import { openSocket } from './load/client.ts'
import type { WebhookNumber, Provider } from './load/webhook-payloads.ts'
import type { WebhooksRun } from './load/webhooks.ts'
import { startServer } from './servers.ts'
import { cpuOf, threadsCpuOf } from './stats.ts'
import { freePort, ServerKind, type RunningServer, type Target } from './target.ts'

export interface WebhooksSettings {
  /** Provider messages per second, each delivered twice. */
  rate: number
  durationMs: number
  duplicateAfterMs: number
  subscribers: number
  marksPerSec: number
  /** Posting as the run does, unmeasured, before it (load/webhooks.ts `warmUp`); 0: none. */
  warmupMs: number
}

export interface FanoutSample {
  p50: number
  p99: number
  max: number
  delivered: number
}

export interface WebhooksResult {
  /** Which relay ran: this checkout's, or `BENCH_BASELINE_ROOT`'s. */
  server?: string
  /** The webhooks went to `WEBHOOK_PORT` (a listener on a thread of its own), not the main port. */
  listener?: boolean
  settings: WebhooksSettings
  webhooks: Omit<WebhooksRun, 'activityIds'>
  /** Per provider: messages sent, distinct ids in the inbox's activity log, ids missing, ids logged more than once. */
  readBack: {
    provider: Provider
    sent: number
    logged: number
    missing: number
    twice: number
    extra: number
  }[]
  fanoutBefore: FanoutSample
  fanoutWith: FanoutSample
  fanoutAfter: FanoutSample
  /** The relay's CPU over the run with webhooks, ms per second. */
  relayCpuMsPerSec: number
  /** Of which its main thread's (the event loop that serves the marks). */
  relayMainCpuMsPerSec?: number
  /** Each of its threads', busiest first (main, the webhook listener, the store's writer, …). */
  relayThreadsCpuMsPerSec?: number[]
  /** The webhooks' load process's CPU over the same run, ms per second. */
  loadCpuMsPerSec: number
  /** The marks' writer and subscribers' process's CPU over the same run, ms per second. */
  fanoutCpuMsPerSec?: number
}

// Numbers of their own (not the demo's), so every activity of their inboxes is the workload's.
const NUMBERS: { provider: Provider; number: string; name: string }[] = [
  { provider: 'twilio', number: '+14155550301', name: 'Bench Twilio' },
  { provider: 'telnyx', number: '+14155550302', name: 'Bench Telnyx' },
  { provider: 'quo', number: '+14155550303', name: 'Bench Quo' },
]

export async function connectNumbers(
  server: RunningServer,
  telnyxPublicKey: string,
): Promise<(WebhookNumber & { id: string })[]> {
  const { token, memberId } = server.target()
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${token}` }
  const post = async (path: string, body: unknown) => {
    const res = await fetch(`${server.base}${path}`, {
      method: 'POST',
      headers,
      body: JSON.stringify(body),
    })
    if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`)
    return res.json() as Promise<Record<string, unknown>>
  }
  const out: (WebhookNumber & { id: string })[] = []
  for (const { provider, number, name } of NUMBERS) {
    const secret = randomBytes(provider === 'quo' ? 32 : 16).toString(
      provider === 'quo' ? 'base64' : 'hex',
    )
    const credentials =
      provider === 'twilio'
        ? { accountSid: 'AC' + randomBytes(16).toString('hex'), authToken: secret }
        : provider === 'telnyx'
          ? { apiKey: 'KEY' + secret, publicKey: telnyxPublicKey }
          : { apiKey: secret.slice(0, 24), webhookSecret: secret }
    const { id, webhookUrl } = (await post('/api/admin/phone-numbers', {
      name,
      number,
      provider,
      credentials,
    })) as { id: string; webhookUrl: string }
    await post('/api/admin/access', { memberId, phoneNumberId: id })
    out.push({
      id,
      provider,
      number,
      webhookUrl,
      ...(provider === 'telnyx' ? {} : { secret }),
    })
  }
  return out
}

/** The inbox room of `phoneNumberId`, synced through a member's socket: its activity log. */
export async function activityLogOf(target: Target, phoneNumberId: string) {
  const doc = `inbox:${phoneNumberId}`
  const url = target.url.replace(encodeURIComponent(target.doc), encodeURIComponent(doc))
  const ydoc = new Y.Doc()
  const socket = openSocket({ ...target, url, doc }, (msg) => {
    if (msg.type === 'step-2' || msg.type === 'update') Y.applyUpdate(ydoc, msg.update)
  })
  await socket.ready
  socket.ws.close()
  return readActivityLog(ydoc)
}

export function readBack(sent: string[], log: { id: string }[]) {
  const times = new Map<string, number>()
  for (const e of log) times.set(e.id, (times.get(e.id) ?? 0) + 1)
  const expected = new Set(sent)
  return {
    sent: sent.length,
    logged: sent.filter((id) => times.has(id)).length,
    missing: sent.filter((id) => !times.has(id)).length,
    twice: sent.filter((id) => times.get(id)! > 1).length,
    extra: [...times.keys()].filter((id) => !expected.has(id)).length,
  }
}

/**
 * With `listener`, the relay also listens on `WEBHOOK_PORT` and `PUBLIC_URL` names that port, so
 * every `webhookUrl` (and Twilio's signatures) point there, as a proxy routing `/api/webhooks/`
 * to it would; the marks stay on the main port.
 */
export async function webhooks(
  settings: WebhooksSettings,
  log: (...args: unknown[]) => void,
  kind: typeof ServerKind.Switchboard | typeof ServerKind.Baseline = ServerKind.Switchboard,
  listener = false,
): Promise<{ result: WebhooksResult | null; errors: string[] }> {
  const webhookPort = listener ? await freePort() : null
  const server = await startServer(kind, (base) => ({
    PUBLIC_URL: webhookPort ? `http://127.0.0.1:${webhookPort}` : base,
    ...(webhookPort ? { WEBHOOK_PORT: String(webhookPort) } : {}),
    CREDENTIALS_KEY: randomBytes(32).toString('base64'),
  }))
  const label = listener ? `${kind}, WEBHOOK_PORT` : kind
  const children: Child[] = []
  try {
    const hooks = await startChild('load/webhooks.ts')
    children.push(hooks)
    const fan = await startChild('load/fanout.ts')
    children.push(fan)
    const { telnyxPublicKey } = await hooks.call<{ telnyxPublicKey: string }>({ cmd: 'keys' })
    const numbers = await connectNumbers(server, telnyxPublicKey)
    await fan.call({ cmd: 'connect', target: server.target(), subscribers: settings.subscribers })
    const fanRun = () =>
      fan.call<FanoutSample>({
        cmd: 'run',
        rate: settings.marksPerSec,
        durationMs: settings.durationMs,
        drainMs: 2000,
      })
    const sample = ({ p50, p99, max, delivered }: FanoutSample) => ({ p50, p99, max, delivered })
    const fanoutBefore = sample(await fanRun())
    log(`webhooks (${label})`, 'fan-out alone', `p50 ${fanoutBefore.p50} p99 ${fanoutBefore.p99}`)
    if (settings.warmupMs > 0)
      await hooks.call(
        {
          cmd: 'warmup',
          numbers,
          rate: settings.rate,
          durationMs: settings.warmupMs,
          duplicateAfterMs: settings.duplicateAfterMs,
        },
        600_000,
      )
    // Signed before the marks' run starts: signing 5,000–10,000 requests takes the load process
    // 0.2–0.3 s of CPU, which fell inside the measured run when `run` signed them itself.
    await hooks.call(
      { cmd: 'prepare', numbers, rate: settings.rate, durationMs: settings.durationMs },
      600_000,
    )
    const cpu0 = await cpuOf(server.pid)
    const mainCpu0 = await cpuOf(server.pid, server.pid)
    const threads0 = await threadsCpuOf(server.pid)
    const loadCpu0 = await cpuOf(hooks.pid)
    const fanCpu0 = await cpuOf(fan.pid)
    const t0 = performance.now()
    const [run, withHooks] = await Promise.all([
      hooks.call<WebhooksRun>({ cmd: 'run', numbers, ...settings }, 600_000),
      fanRun(),
    ])
    const elapsed = performance.now() - t0
    const relayCpuMsPerSec = (((await cpuOf(server.pid)) - cpu0) / elapsed) * 1000
    const relayMainCpuMsPerSec =
      (((await cpuOf(server.pid, server.pid)) - mainCpu0) / elapsed) * 1000
    // The busiest threads (main, the webhook listener's, the SQLite writer, libuv's pool …).
    const relayThreadsCpuMsPerSec = [...(await threadsCpuOf(server.pid))]
      .map(([tid, ms]) => (((ms - (threads0.get(tid) ?? 0)) / elapsed) * 1000) | 0)
      .filter((ms) => ms > 0)
      .sort((a, b) => b - a)
    const loadCpuMsPerSec = (((await cpuOf(hooks.pid)) - loadCpu0) / elapsed) * 1000
    const fanoutCpuMsPerSec = (((await cpuOf(fan.pid)) - fanCpu0) / elapsed) * 1000
    const fanoutWith = sample(withHooks)
    log(
      `webhooks (${label})`,
      `${run.ok}/${run.posts} 2xx, p50 ${run.p50} p99 ${run.p99}`,
      `p99 by second ${run.p99BySecond.map((x) => Math.round(x)).join(' ')}`,
      JSON.stringify(run.refused),
      `CPU relay ${relayCpuMsPerSec.toFixed(0)} (main thread ${relayMainCpuMsPerSec.toFixed(0)}; threads ${relayThreadsCpuMsPerSec.join(' ')}) load ${loadCpuMsPerSec.toFixed(0)} fan-out ${fanoutCpuMsPerSec.toFixed(0)} ms/s`,
      `fan-out with: p50 ${fanoutWith.p50} p99 ${fanoutWith.p99}`,
    )
    const fanoutAfter = sample(await fanRun())
    log(
      `webhooks (${label})`,
      'fan-out alone again',
      `p50 ${fanoutAfter.p50} p99 ${fanoutAfter.p99}`,
    )
    const rows: WebhooksResult['readBack'] = []
    for (const n of numbers) {
      const r = readBack(
        run.activityIds[n.provider] ?? [],
        await activityLogOf(server.target(), n.id),
      )
      rows.push({ provider: n.provider, ...r })
      log(`webhooks (${label})`, 'read back', n.provider, JSON.stringify(r))
    }
    const { activityIds: _ids, ...webhooksRun } = run
    return {
      result: {
        server: kind,
        ...(listener ? { listener } : {}),
        settings,
        webhooks: webhooksRun,
        readBack: rows,
        fanoutBefore,
        fanoutWith,
        fanoutAfter,
        relayCpuMsPerSec,
        relayMainCpuMsPerSec,
        relayThreadsCpuMsPerSec,
        loadCpuMsPerSec,
        fanoutCpuMsPerSec,
      },
      errors: [],
    }
  } catch (err) {
    return {
      result: null,
      errors: [`webhooks (${label}): ${(err as Error).message.slice(0, 300)}`],
    }
  } finally {
    for (const c of children) await c.stop().catch(() => c.kill())
    await server.stop()
  }
}
