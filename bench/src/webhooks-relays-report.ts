/** @module The "T7: webhooks over two relays" section of results/latest.md. */
import type { RelaysWebhooksResult } from './webhooks-relays.ts'

const f = (x: number, digits = 1) => (Number.isFinite(x) ? x.toFixed(digits) : '—')

/** A bucket's upper bound (Infinity, or null once through JSON: above the last, 1,000 ms). */
const bucket = (le: number | null) =>
  le === null || !Number.isFinite(le) ? '> 1000 ms' : `≤ ${le} ms`

export function webhooksRelaysSection(r: RelaysWebhooksResult): string[] {
  const s = r.settings
  const w = r.webhooks
  const refused = Object.entries(w.refused)
    .map(([status, n]) => `${n} × ${status}`)
    .join(', ')
  const c = r.cpuMsPerSec
  return [
    '## T7. Webhooks over two relays (issue 25; two relays on one PostgreSQL)',
    '',
    `The two relays of T1 (the owner and the edge, one throwaway PostgreSQL on this machine) share \`PUBLIC_URL\` and \`CREDENTIALS_KEY\`; a Twilio, a Telnyx and a Quo number connected. ${s.rate} signed provider messages/s for ${s.durationMs / 1000} s, each delivered ${s.deliveries}× ${s.duplicateAfterMs} ms apart, the relays taking turns (message i's k-th delivery to relay (i + k) mod 2)${s.warmupMs > 0 ? `, after ${s.warmupMs / 1000} s of the same unmeasured` : ''}. Visible: first send → the activity in the inbox's activity log at a member's socket on the owner, and on the edge (through the relay link). Targets: 2xx p99 ≤ 100 ms, visible p99 ≤ 500 ms, exactly one activity per message.`,
    '',
    '| posts to | posts | 2xx | p50 ms | p99 ms | max ms |',
    '|---|--:|--:|--:|--:|--:|',
    `| both | ${w.posts} | ${w.ok} | ${f(w.p50, 2)} | ${f(w.p99, 2)} | ${f(w.max)} |`,
    ...(w.byRelay ?? []).map(
      (x, i) =>
        `| ${i === 0 ? 'owner' : 'edge'} | ${x.posts} | ${x.ok} | ${f(x.p50, 2)} | ${f(x.p99, 2)} | ${f(x.max)} |`,
    ),
    '',
    `Retries alone (the second and third deliveries): p50 ${f(w.duplicateP50, 2)} ms, p99 ${f(w.duplicateP99, 2)} ms. Messages ${w.messages} at ${f(w.achievedRate, 0)}/s; refused: ${refused || 'none'}; warm-up refused ${w.warmupRefused}. CPU ms/s: owner ${f(c.owner, 0)}, edge ${f(c.edge, 0)}, load ${f(c.load, 0)}, watchers ${f(c.watchers, 0)}, PostgreSQL ${f(c.postgres ?? NaN, 0)}; the machine ${f((c.machineBusy ?? NaN) * 100, 0)} % busy. 2xx p99 by second: ${(w.p99BySecond ?? []).map((x) => f(x, 0)).join(' · ')}.`,
    '',
    ...(r.store ?? []).map(
      (x, i) =>
        `${i === 0 ? 'Owner' : 'Edge'}'s room-log batches over the run (\`/metrics\`, batch → durable): ${x.batches}, mean ${f(x.meanMs, 2)} ms, p50 ${bucket(x.p50AtMostMs)}, p99 ${bucket(x.p99AtMostMs)}.`,
    ),
    ...(r.database
      ? [
          `PostgreSQL over the run (\`pg_stat_database\`): ${r.database.deadlocks} deadlocks, ${r.database.rollbacks} transactions rolled back.`,
        ]
      : []),
    '',
    '| visible at | seen | not seen | p50 ms | p99 ms | max ms |',
    '|---|--:|--:|--:|--:|--:|',
    ...r.visible.map(
      (v) =>
        `| ${v.watcher} | ${v.seen} | ${v.notSeen} | ${f(v.p50, 1)} | ${f(v.p99, 1)} | ${f(v.max)} |`,
    ),
    '',
    '| provider | messages sent | ids in the log | missing | logged more than once | ids not sent |',
    '|---|--:|--:|--:|--:|--:|',
    ...r.readBack.map(
      (x) => `| ${x.provider} | ${x.sent} | ${x.logged} | ${x.missing} | ${x.twice} | ${x.extra} |`,
    ),
    '',
  ]
}
