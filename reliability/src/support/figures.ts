/**
 * @module Profiles and figures. `SOAK=1` selects the long profile; every suite records its
 * figures as JSON in `reliability/results/`, which `src/report.ts` turns into docs/reliability.md.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const SOAK = process.env.SOAK === '1'
export const PROFILE = SOAK ? 'soak' : 'short'

/** Picks the short or the soak value. */
export const scale = <T>(short: T, soak: T): T => (SOAK ? soak : short)

/** One directory per profile, so a short run (e.g. `pnpm test`) never mixes into a soak report. */
export const RESULTS_DIR = join(dirname(fileURLToPath(import.meta.url)), '../../results', PROFILE)

export function recordFigures(suite: string, figures: Record<string, unknown>): void {
  mkdirSync(RESULTS_DIR, { recursive: true })
  const body = { suite, profile: PROFILE, at: new Date().toISOString(), ...figures }
  writeFileSync(join(RESULTS_DIR, `${suite}.json`), JSON.stringify(body, null, 2) + '\n')
  console.log(`[reliability] ${suite}: ${JSON.stringify(figures)}`)
}

/** The p-th percentile (0–100) of `values`, nearest rank; 0 for an empty list. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0
  const sorted = [...values].sort((a, b) => a - b)
  const rank = Math.ceil((p / 100) * sorted.length)
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

/** Polls `check` every 10 ms until it holds; throws after `limitMs` with `what`. */
export async function waitFor(
  check: () => boolean,
  what: string,
  limitMs = 60_000,
): Promise<number> {
  const started = Date.now()
  while (!check()) {
    if (Date.now() - started > limitMs) throw new Error(`timed out after ${limitMs} ms: ${what}`)
    await sleep(10)
  }
  return Date.now() - started
}
