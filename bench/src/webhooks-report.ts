/** @module The "Webhooks in" section of results/latest.md (workload 9). */
import type { WebhooksResult } from './webhooks.ts'

const f = (x: number, digits = 1) => (Number.isFinite(x) ? x.toFixed(digits) : '—')

export function webhooksSection(r: WebhooksResult): string[] {
  const s = r.settings
  const w = r.webhooks
  const refused = Object.entries(w.refused)
    .map(([status, n]) => `${n} × ${status}`)
    .join(', ')
  const alone = (r.fanoutBefore.p99 + r.fanoutAfter.p99) / 2
  const lines = [
    `## 9. Webhooks in (provider webhooks, each delivered twice, beside the fan-out)${r.server && r.server !== 'switchboard' ? ` — ${r.server}` : ''}${r.listener ? ' — posts to `WEBHOOK_PORT`' : ''}`,
    '',
    `One relay (SQLite, auth, demo, \`PUBLIC_URL\`, \`CREDENTIALS_KEY\`) with a Twilio, a Telnyx and a Quo number connected through \`POST /api/admin/phone-numbers\`. A load process signs ${s.rate} provider messages/s for ${s.durationMs / 1000} s (the providers take turns; Quo alternates \`openphone-signature\` and Standard Webhooks) and posts each twice, the duplicate ${s.duplicateAfterMs} ms after the first${s.warmupMs > 0 ? `, after ${s.warmupMs / 1000} s of the same unmeasured (other contacts: the run still opens a conversation per contact; ${w.warmupRefused ?? 0} of its posts refused)` : ''}. Latency: send → 2xx answer, every post. Meanwhile the fan-out's writer makes ${s.marksPerSec} marks/s to ${s.subscribers} subscribers in the demo inbox of the same relay; it runs alone before and after. Targets: p99 ≤ 50 ms; exactly one activity per provider message id; fan-out p99 with webhooks ≤ 1.5× without.`,
    '',
    '| messages | posts | achieved msg/s | 2xx | refused | p50 ms | p99 ms | max ms | duplicates p50 / p99 ms | relay (main thread) / load / fan-out CPU ms/s |',
    '|--:|--:|--:|--:|---|--:|--:|--:|--:|--:|',
    `| ${w.messages} | ${w.posts} | ${f(w.achievedRate, 0)} | ${w.ok} | ${refused || 'none'} | ${f(w.p50, 2)} | ${f(w.p99, 2)} | ${f(w.max)} | ${f(w.duplicateP50, 2)} / ${f(w.duplicateP99, 2)} | ${f(r.relayCpuMsPerSec, 0)} (${f(r.relayMainCpuMsPerSec ?? NaN, 0)}) / ${f(r.loadCpuMsPerSec, 0)} / ${f(r.fanoutCpuMsPerSec ?? NaN, 0)} |`,
    '',
    `p99 by second of the run (ms): ${(w.p99BySecond ?? []).map((x) => f(x, 0)).join(' · ')}.`,
    '',
    "Read back: each number's inbox room synced through a member's socket after the run; its activity log counted per activity id.",
    '',
    '| provider | messages sent | ids in the log | missing | logged more than once | ids not sent |',
    '|---|--:|--:|--:|--:|--:|',
    ...r.readBack.map(
      (x) => `| ${x.provider} | ${x.sent} | ${x.logged} | ${x.missing} | ${x.twice} | ${x.extra} |`,
    ),
    '',
    '| fan-out | p50 ms | p99 ms | max ms | delivered |',
    '|---|--:|--:|--:|--:|',
    ...(
      [
        ['alone, before', r.fanoutBefore],
        ['with webhooks', r.fanoutWith],
        ['alone, after', r.fanoutAfter],
      ] as const
    ).map(
      ([label, x]) =>
        `| ${label} | ${f(x.p50, 2)} | ${f(x.p99, 2)} | ${f(x.max)} | ${f(x.delivered * 100, 1)}% |`,
    ),
    '',
    `Fan-out p99 with webhooks / alone: ${f(r.fanoutWith.p99 / alone, 2)}× the mean of before and after, ${f(r.fanoutWith.p99 / r.fanoutAfter.p99, 2)}× after alone (the run before follows the subscribers' joins).`,
    '',
  ]
  return lines
}
